"""Where data lives: CLI flag → ``MEMSNN_DATA`` → a ``shared/data`` folder beside the checkout → user cache.

Also a checksum-verified downloader for users with internet access.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path
from typing import Callable, Sequence

from ..errors import DataError

ENV_VAR = "MEMSNN_DATA"


def cache_dir() -> Path:
    """User cache folder for downloads and derived files (``$MEMSNN_CACHE`` or ``~/.cache/memsnn``)."""
    return Path(os.environ.get("MEMSNN_CACHE", Path.home() / ".cache" / "memsnn"))


def candidate_roots(explicit: str | Path | None = None) -> list[Path]:
    """Data roots in order of preference."""
    roots: list[Path] = []
    if explicit:
        return [Path(explicit)]
    if os.environ.get(ENV_VAR):
        roots.append(Path(os.environ[ENV_VAR]))
    here = Path(__file__).resolve()
    for parent in [Path.cwd(), *Path.cwd().parents, *here.parents]:
        cand = parent / "shared" / "data"
        if cand.is_dir() and cand not in roots:
            roots.append(cand)
            break
    roots.append(cache_dir() / "data")
    return roots


def find_data(relative: str | Path, explicit: str | Path | None = None, *, what: str = "data") -> Path | None:
    """First existing ``root/relative`` among the candidate roots, or None."""
    for root in candidate_roots(explicit):
        p = root / relative
        if p.exists():
            return p
    return None


def digest_of(path: str | Path, algorithm: str = "sha256", chunk: int = 1 << 20) -> str:
    """Hex digest (sha256, md5, ...) of a file."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _verified(path: str | Path, sha256: str | None, md5: str | None, size: int | None) -> str | None:
    """None if the file matches every given check, else a description of the mismatch."""
    if size is not None and os.path.getsize(path) != size:
        return f"size {os.path.getsize(path)} instead of {size} bytes"
    for algorithm, want in (("sha256", sha256), ("md5", md5)):
        if want is not None and (got := digest_of(path, algorithm)) != want:
            return f"{algorithm} {got} instead of {want}"
    return None


def download(url: str, dest: str | Path, sha256: str | None = None, *, md5: str | None = None,
             size: int | None = None, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` atomically and verify its checksum/size (where given); returns ``dest``."""
    dest = Path(dest)
    if dest.exists() and _verified(dest, sha256, md5, size) is None:
        return dest
    print(f"memsnn: downloading {url} -> {dest}", flush=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    os.close(fd)
    try:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp, open(tmp, "wb") as out:
                shutil.copyfileobj(resp, out)
        except OSError as exc:
            raise DataError(
                f"could not download {url} ({exc}); download it by hand and pass its folder with --data-dir "
                f"or ${ENV_VAR}"
            ) from None
        problem = _verified(tmp, sha256, md5, size)
        if problem is not None:
            raise DataError(f"download of {url} failed its check: {problem}")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


def locate(what: str, candidates: Sequence[str], layout: str, path: str | Path | None = None,
           data_dir: str | Path | None = None, fetch: Callable[[], Path] | None = None) -> Path:
    """A data source: an explicit ``path``, else the first of ``candidates`` under the data roots, else ``fetch()``.

    Raises DataError naming the path and the expected ``layout`` when it is missing (no download when an explicit
    path or data folder was given).
    """
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise DataError(f"{what} not found at {p}; expected {layout}")
        return p
    if data_dir is not None and not Path(data_dir).is_dir():
        raise DataError(f"data folder {data_dir} does not exist (it should hold {layout})")
    roots = candidate_roots(data_dir)
    for root in roots:
        for rel in candidates:
            if (root / rel).exists():
                return root / rel
    if fetch is None or data_dir is not None:
        raise DataError(f"{what} not found under {', '.join(map(str, roots))}; expected {layout}")
    return fetch()
