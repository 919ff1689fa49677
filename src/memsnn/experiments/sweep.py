"""Parameter sweeps: grids of configurations run as one resumable batch, locally or as Ray tasks.

Pieces (shared by ``memsnn sweep`` and the Huang et al. 2022 figure commands):

* :func:`parse_grid` / :func:`expand_grid` / :func:`validate_cells` — a grid ``{field: [values]}`` is expanded into
  cells (the Cartesian product); an empty grid, an unknown field or a value outside its valid range is a
  :class:`~memsnn.errors.ConfigError` raised before any work starts.
* :class:`CellStore` — one JSON file per finished cell (written atomically) in the sweep folder; a restarted sweep
  skips those cells and reassembles the same table.
* :func:`run_tasks` — runs a module-level function over payloads with one of two backends: ``local`` (in-process
  for one worker, else a pool of spawn worker processes with one torch thread each; no Ray needed) or ``ray``
  (``ray.init(address)``; every payload is one Ray task). Results are handed back as they complete, so the caller
  stores each finished cell at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib
import itertools
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from ..config import Config, parse_scalar
from ..errors import ConfigError
from ..results import RunDir, atomic_write_csv, atomic_write_json, environment_info

Grid = dict[str, list[Any]]


def parse_grid(items: Sequence[str]) -> Grid:
    """``["r_tolerance=0.005,0.01", "seed=0,1"]`` → ``{"r_tolerance": [0.005, 0.01], "seed": [0, 1]}``.

    Values are parsed as TOML scalars (numbers, booleans, quoted strings; bare words stay strings).
    """
    grid: Grid = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--grid expects NAME=V1,V2,..., got {item!r}")
        name, values = item.split("=", 1)
        name = name.strip().replace("-", "_")
        vals = [parse_scalar(v.strip()) for v in values.split(",") if v.strip()]
        if not vals:
            raise ConfigError(f"--grid {name} has no values")
        if name in grid:
            raise ConfigError(f"--grid {name} given twice")
        grid[name] = vals
    return grid


def expand_grid(grid: Grid) -> list[dict[str, Any]]:
    """All cells of the grid (Cartesian product, the first field varying slowest)."""
    if not grid or any(len(v) == 0 for v in grid.values()):
        raise ConfigError("the sweep grid is empty: give at least one field with at least one value")
    names = list(grid)
    return [dict(zip(names, combo)) for combo in itertools.product(*(grid[n] for n in names))]


def validate_cells(base: Config, cells: list[dict[str, Any]]) -> list[Config]:
    """Config of every cell, each validated (unknown fields and out-of-range values raise ConfigError)."""
    fields = {f.name for f in dataclasses.fields(base)}
    if not cells:
        raise ConfigError("the sweep grid is empty: give at least one field with at least one value")
    for name in cells[0]:
        if name not in fields:
            raise ConfigError(f"unknown sweep parameter {name!r} (valid: {', '.join(sorted(fields))})")
    out = []
    for cell in cells:
        cfg = base.replace(**cell)
        try:
            cfg.validate()
        except ConfigError as exc:
            raise ConfigError(f"sweep cell {cell_key(cell)}: {exc}") from None
        out.append(cfg)
    return out


def cell_key(cell: dict[str, Any]) -> str:
    """Stable, file-name-safe key of a cell, e.g. ``r_tolerance=0.005,seed=0``."""
    return ",".join(f"{k}={v}" for k, v in cell.items())


def _file_name(key: str) -> str:
    safe = "".join(c if c.isalnum() or c in "=.,_-" else "_" for c in key)
    if len(safe) > 120 or safe != key:
        safe = safe[:100] + "-" + hashlib.sha1(key.encode()).hexdigest()[:10]
    return safe + ".json"


class CellStore:
    """Finished cells of a sweep, one JSON file each under ``folder`` (atomic writes, so a kill loses no cell)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        """File of one cell."""
        return self.folder / _file_name(key)

    def done(self, key: str) -> bool:
        """Whether the cell has finished."""
        return self.path(key).exists()

    def load(self, key: str) -> Any:
        """Stored result of a finished cell."""
        return json.loads(self.path(key).read_text())

    def save(self, key: str, result: Any) -> None:
        """Store one finished cell."""
        atomic_write_json(self.path(key), result)


# ------------------------------------------------------------------------------------------------------ backends

@dataclasses.dataclass
class Backend:
    """Where tasks run: ``local`` worker processes or a Ray cluster (``ray_address``: ``auto``, ``local``,
    ``host:port`` or ``ray://host:port``; ``local`` starts a private Ray instance on this machine)."""

    workers: int = 2
    ray_address: str | None = None

    @property
    def name(self) -> str:
        """``ray`` or ``local``."""
        return "ray" if self.ray_address else "local"

    def validate(self) -> None:
        """At least one worker; Ray importable when asked for."""
        if self.workers < 1:
            raise ConfigError(f"workers must be >= 1, got {self.workers}")
        if self.ray_address:
            try:
                import ray  # noqa: F401
            except ImportError:
                raise ConfigError("--ray-address needs Ray: pip install 'memsnn[ray]' (or pip install ray)") from None


def _call(fn_path: str, payload: Any, threads: int) -> Any:
    """Worker entry: import ``module:function`` and call it on the payload (one torch thread pool per worker)."""
    import torch

    torch.set_num_threads(threads)
    module, name = fn_path.split(":")
    return getattr(importlib.import_module(module), name)(payload)


def run_tasks(fn_path: str, payloads: Sequence[tuple[str, Any]], backend: Backend,
              on_done: Callable[[str, Any], None], desc: str = "cells") -> None:
    """Run ``fn(payload)`` for every ``(key, payload)``; ``on_done(key, result)`` is called in this process as each
    finishes (in completion order). ``fn_path`` is ``"module:function"`` so workers can import it."""
    if not payloads:
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=len(payloads), desc=desc, unit="task", disable=None)
    try:
        for key, result in _iter_results(fn_path, payloads, backend):
            on_done(key, result)
            bar.update(1)
    finally:
        bar.close()


def _iter_results(fn_path: str, payloads: Sequence[tuple[str, Any]], backend: Backend) -> Iterator[tuple[str, Any]]:
    if backend.ray_address:
        yield from _iter_ray(fn_path, payloads, backend)
        return
    workers = min(backend.workers, len(payloads))
    threads = max(1, (os.cpu_count() or 1) // backend.workers)  # the cores the user gave each worker
    if workers == 1:
        for key, payload in payloads:
            yield key, _call(fn_path, payload, threads)
        return
    import multiprocessing as mp

    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        futs = {pool.submit(_call, fn_path, payload, threads): key for key, payload in payloads}
        for fut in as_completed(futs):
            yield futs[fut], fut.result()


def _iter_ray(fn_path: str, payloads: Sequence[tuple[str, Any]], backend: Backend) -> Iterator[tuple[str, Any]]:
    import ray

    if not ray.is_initialized():
        address = None if backend.ray_address == "local" else backend.ray_address
        src = str(Path(__file__).resolve().parents[2])
        ray.init(address=address, runtime_env={"env_vars": {"PYTHONPATH": src}}, log_to_driver=False)
    remote = ray.remote(num_cpus=1)(_call)
    refs = {remote.remote(fn_path, payload, 1): key for key, payload in payloads}
    pending = list(refs)
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        for ref in done:
            yield refs[ref], ray.get(ref)


def add_backend_arguments(p: argparse.ArgumentParser) -> None:
    """``--workers`` and ``--ray-address``."""
    p.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    p.add_argument("--ray-address", default=None,
                   help="run the cells as Ray tasks: 'auto', 'local' (private instance), host:port or ray://host:port")


def backend_from_args(args: argparse.Namespace) -> Backend:
    """Validated backend of the command line."""
    b = Backend(workers=args.workers, ray_address=args.ray_address)
    b.validate()
    return b


# ------------------------------------------------------------------------- generic sweep of complete IMDB runs

METRIC_GROUPS = ("ann", "snn", "snn_xbar")


def imdb_cell(payload: dict[str, Any]) -> dict[str, Any]:
    """One sweep cell: a complete ``memsnn imdb`` run on the given config; returns its metrics.

    Runs in memory (no folder) so it works unchanged on a Ray cluster; the driver stores the result.
    """
    from .imdb import ImdbConfig, load_data, run_convert, run_direct

    cfg = ImdbConfig.from_dict(payload["config"])
    t0 = time.perf_counter()
    data = load_data(cfg)
    result = (run_convert if cfg.approach == "convert" else run_direct)(cfg, data)
    metrics = {k: v for k, v in result.items() if k in (*METRIC_GROUPS, "best_epoch")}
    metrics["history"] = result["history"]
    metrics["wall_time_s"] = round(time.perf_counter() - t0, 2)
    return metrics


def tidy_rows(cell: dict[str, Any], metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (cell, metric): the cell's parameters, ``metric`` and ``value``."""
    rows = []
    for group in METRIC_GROUPS:
        for name, value in (metrics.get(group) or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                rows.append({**cell, "metric": f"{group}.{name}", "value": value})
    return rows


def run_sweep(base: Config, grid: Grid, out: Path, backend: Backend, *, overwrite: bool = False) -> list[dict[str, Any]]:
    """Run every cell of the grid (complete IMDB runs) and write ``results.csv`` (one row per cell × metric) and
    ``sweep.json``; finished cells are kept in ``cells/`` so a restarted sweep skips them."""
    cells = expand_grid(grid)
    cfgs = validate_cells(base, cells)
    backend.validate()
    t0 = time.perf_counter()
    with RunDir(out, base, overwrite=overwrite) as rd:
        store = CellStore(rd.file("cells"))
        todo = [(cell_key(c), {"config": cfg.to_dict()}) for c, cfg in zip(cells, cfgs) if not store.done(cell_key(c))]
        run_tasks("memsnn.experiments.sweep:imdb_cell", todo, backend, store.save, desc="sweep cells")
        rows = [r for c in cells for r in tidy_rows(c, store.load(cell_key(c)))]
        atomic_write_csv(rd.file("results.csv"), rows)
        atomic_write_json(rd.file("sweep.json"), {"grid": grid, "cells": len(cells), "backend": backend.name,
                                                  "wall_time_s": round(time.perf_counter() - t0, 2),
                                                  "environment": environment_info()})
    return rows


def _cmd_sweep(args: argparse.Namespace) -> int:
    from .imdb import config_from_args, default_out

    grid = parse_grid(args.grid)
    base = config_from_args(args)
    backend = backend_from_args(args)
    out = Path(args.out) if args.out else default_out("sweep")
    rows = run_sweep(base, grid, out, backend, overwrite=args.overwrite)
    print(f"{len(rows)} rows → {out / 'results.csv'}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` sub-command."""
    from .imdb import add_config_arguments

    p = sub.add_parser("sweep", help="run a grid of IMDB configurations (Huang et al. 2022) as one resumable batch")
    add_config_arguments(p)
    p.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2,...",
                   help="a swept ImdbConfig field and its values (repeat for more fields)")
    add_backend_arguments(p)
    p.set_defaults(func=_cmd_sweep)
