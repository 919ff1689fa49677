"""The on-disk cache of the compiled kernels is dropped when any kernel source changes (memsnn.kernel_cache)."""

import importlib.util
import sys
from pathlib import Path

import memsnn
from memsnn import kernel_cache

SRC = Path(memsnn.__file__).resolve().parent


def test_kernel_module_list_is_complete():
    cached = {p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py") if "@njit(cache=True" in p.read_text()}
    assert cached == set(kernel_cache.KERNEL_MODULES)


def test_stale_cache_is_flushed(tmp_path, monkeypatch):
    mod_path = tmp_path / "kern_mod.py"
    mod_path.write_text("from numba import njit\n\n@njit(cache=True)\ndef f(x):\n    return x + 1\n")
    spec = importlib.util.spec_from_file_location("kern_mod", mod_path)
    mod = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "kern_mod", mod)
    spec.loader.exec_module(mod)
    assert mod.f(1) == 2  # compiled and cached
    index = mod.f._cache._cache_file
    assert index._load_index()  # one cached overload
    kernel_cache.drop_stale(vars(mod))  # no digest recorded yet: treated as stale
    assert not index._load_index()
    marker = Path(mod.f._cache._cache_path) / "kern_mod.kernels-digest"
    assert marker.read_text() == kernel_cache.sources_digest()
    mod.f.recompile()
    mod.f._cache.save_overload(mod.f.signatures[0], mod.f.overloads[mod.f.signatures[0]])
    assert index._load_index()
    kernel_cache.drop_stale(vars(mod))  # digest unchanged: kept
    assert index._load_index()
    marker.write_text("an older digest")
    kernel_cache.drop_stale(vars(mod))
    assert not index._load_index()
