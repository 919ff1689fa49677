"""Crossbar arrays of device states: weight ↔ conductance maps, noisy reads, programming strategies."""
