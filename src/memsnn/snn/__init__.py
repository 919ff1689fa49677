"""Spiking network layer: encoders, neurons, batched simulation."""
