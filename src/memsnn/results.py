"""Results folders, atomic file writes and checkpoints.

A run writes into ``<out>.partial/`` and renames it to ``<out>`` only when it finished: a crashed or interrupted
run never leaves a folder that looks complete. Checkpoints live in the partial folder, so re-running the same
command resumes. Every single file is written atomically (temporary file + ``os.replace``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import torch

from .config import Config


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (same-directory temp file, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Atomic UTF-8 text write."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, Config):
        return obj.to_dict()
    if hasattr(obj, "item") and callable(obj.item):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def atomic_write_json(path: str | Path, data: Any) -> None:
    """Atomic JSON write (tensors and numpy scalars are converted)."""
    atomic_write_text(path, json.dumps(data, indent=2, default=_jsonable) + "\n")


def atomic_write_csv(path: str | Path, rows: Sequence[Mapping[str, Any]], fieldnames: Sequence[str] | None = None) -> None:
    """Atomic CSV write of a list of dict rows."""
    if fieldnames is None:
        fieldnames = []
        for r in rows:
            fieldnames += [k for k in r if k not in fieldnames]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fieldnames), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: r.get(k, "") for k in fieldnames})
    atomic_write_text(path, buf.getvalue())


def atomic_save_torch(path: str | Path, obj: Any) -> None:
    """Atomic ``torch.save``."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    atomic_write_bytes(path, buf.getvalue())


def save_figure(fig: Any, path: str | Path, dpi: int = 130) -> None:
    """Save a matplotlib figure as PNG atomically and close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def environment_info() -> dict[str, Any]:
    """Versions and machine facts recorded with every run."""
    from . import __version__

    return {
        "memsnn": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }


class RunDir:
    """A results folder that appears under its final name only when the run completes.

    Use as a context manager; ``self.path`` is the working (partial) folder. On normal exit it is renamed to
    ``final``; on a :class:`~memsnn.errors.MemsnnError` before any checkpoint was written it is removed; on any other
    interruption it is kept so the same command resumes from its checkpoints.
    """

    def __init__(self, final: str | Path, config: Config | None = None, *, overwrite: bool = False):
        self.final = Path(final)
        self.path = self.final.with_name(self.final.name + ".partial")
        self.config = config
        self.overwrite = overwrite
        self.t0 = 0.0
        self.resumed = False

    def __enter__(self) -> "RunDir":
        if self.final.exists():
            if not self.overwrite:
                from .errors import ConfigError

                raise ConfigError(f"results folder {self.final} exists already (use --overwrite or another --out)")
            shutil.rmtree(self.final)
        self.resumed = self.path.exists()
        self.path.mkdir(parents=True, exist_ok=True)
        self.t0 = time.perf_counter()
        if self.config is not None:
            atomic_write_text(self.path / "config.toml", self.config.to_toml())
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        from .errors import MemsnnError

        if exc_type is None:
            if self.final.exists():
                shutil.rmtree(self.final)
            os.replace(self.path, self.final)
            self.path = self.final
        elif isinstance(exc, MemsnnError) and not any(self.path.glob("checkpoint*")):
            shutil.rmtree(self.path, ignore_errors=True)
        return False

    @property
    def elapsed(self) -> float:
        """Seconds since the folder was opened."""
        return time.perf_counter() - self.t0

    def file(self, name: str) -> Path:
        """Path of a file inside the (working) folder."""
        return self.path / name


def mean_std(values: Iterable[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    vals = [float(v) for v in values]
    m = sum(vals) / len(vals)
    if len(vals) < 2:
        return m, 0.0
    var = sum((v - m) ** 2 for v in vals) / (len(vals) - 1)
    return m, var**0.5
