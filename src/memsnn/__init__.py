"""memsnn: a fast, unified simulator for memristor-based spiking neural networks."""

__version__ = "0.1.0"
