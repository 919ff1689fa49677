"""Experiments: one module per paper / figure set. Each module may define ``register(subparsers)`` for the CLI."""
