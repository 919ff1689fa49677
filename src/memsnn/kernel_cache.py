"""Consistency of numba's on-disk cache of memsnn's compiled kernels.

numba keys a cached function on the contents of its own source file only. The kernels call each other across
modules (``learning/*_jit.py`` → ``crossbar/pulse_jit.py`` → ``devices/jit.py``) and the callees are compiled into
the caller, so after an edit or upgrade of a callee's module the caller's cache would still hold the old code.
:func:`drop_stale` (run when a kernel module is imported, before anything is compiled or loaded) empties the cache
index of every kernel in that module when the digest of all kernel sources differs from the one recorded beside it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numba

#: every module with cached (``cache=True``) kernels, relative to the package (a test keeps this list complete)
KERNEL_MODULES = ("rng.py", "snn/encoders.py", "devices/jit.py", "crossbar/pulse_jit.py", "learning/stdp_jit.py",
                  "learning/approx_bp_jit.py")

_ROOT = Path(__file__).resolve().parent


def sources_digest() -> str:
    """SHA-256 over the numba version and the sources of all kernel modules."""
    h = hashlib.sha256(numba.__version__.encode())
    for rel in KERNEL_MODULES:
        h.update((_ROOT / rel).read_bytes())
    return h.hexdigest()


def drop_stale(namespace: dict[str, Any]) -> None:
    """Empty the cache index of every cached dispatcher in a module's ``namespace`` (its ``globals()``) if the
    kernel sources changed since the cache was written; record the current digest. Read-only caches are left alone
    (numba then compiles in memory)."""
    disps = [d for d in namespace.values() if isinstance(d, numba.core.registry.CPUDispatcher)
             and getattr(d, "_cache", None) is not None and d.__module__ == namespace["__name__"]]
    if not disps:
        return
    digest = sources_digest()
    cache_dir = Path(disps[0]._cache._cache_path)
    marker = cache_dir / f"{namespace['__name__'].rsplit('.', 1)[-1]}.kernels-digest"
    try:
        if marker.is_file() and marker.read_text() == digest:
            return
        for d in disps:
            d._cache.flush()
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(digest)
        tmp.replace(marker)
    except OSError:
        pass
