"""SPICE co-simulation: netlist generation for the in-situ emulator network and an ngspice batch-mode runner."""
