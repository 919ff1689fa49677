"""The ``memsnn`` command line.

Every module in :mod:`memsnn.experiments` that defines ``register(subparsers)`` adds its own sub-command(s); the
registered handler receives the parsed ``argparse.Namespace`` and returns an exit code. User errors
(:class:`~memsnn.errors.MemsnnError`) print one line ``memsnn: error: ...`` and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from typing import NoReturn, Sequence

from . import __version__
from .errors import MemsnnError


class _Parser(argparse.ArgumentParser):
    """Argument parser whose usage errors are one line: ``memsnn <command>: error: ...`` (exit status 2)."""

    def error(self, message: str) -> "NoReturn":  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with all discovered sub-commands."""
    parser = _Parser(prog="memsnn", description="Memristor-based spiking neural network simulator")
    parser.add_argument("--version", action="version", version=f"memsnn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from . import experiments

    for info in sorted(pkgutil.iter_modules(experiments.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{experiments.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``memsnn`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except MemsnnError as exc:
        print(f"memsnn: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("memsnn: interrupted; re-run the same command to resume from the last checkpoint", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
