"""Compiled float32 uniform draws that equal ``torch.rand(n, generator=g, dtype=torch.float32)`` on the CPU.

torch's CPU generator is the 32-bit Mersenne Twister MT19937 (Matsumoto & Nishimura, ACM TOMACS 8(1), 1998), and a
float32 uniform is its next output's low 24 bits times 2⁻²⁴. torch makes the draws one at a time (about 4 ns each);
:func:`rand_float32` reads the generator's state, makes the same outputs block by block in a compiled loop (the
tempering vectorised) and writes the advanced state back, so the generator goes on exactly as if torch had drawn
them. On first use it checks itself against ``torch.rand``; if the state layout of the installed torch is not the one
read here, it falls back to ``torch.rand`` (same numbers, torch's speed) with a warning."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from numba import njit

from .kernel_cache import drop_stale

_N, _M = 624, 397  #: MT19937 state words, shift
#: byte offsets in ``torch.Generator.get_state()`` (CPUGeneratorImplState: initial seed u64, left i32, seeded i32,
#: next u64, state u64[624], then the normal-sampling cache)
_LEFT, _NEXT, _STATE = 8, 16, 24
_SIZE = 5056


@njit(cache=True, inline="always")
def _mix(st, k, k1, km):  # pragma: no cover - compiled
    """st[k] ← st[km] ⊕ twist(upper bit of st[k], lower 31 bits of st[k1]) (the MT19937 recurrence)."""
    y = (st[k] & np.uint32(0x80000000)) | (st[k1] & np.uint32(0x7FFFFFFF))
    st[k] = st[km] ^ (y >> np.uint32(1)) ^ (np.uint32(0x9908B0DF) * (y & np.uint32(1)))


@njit(cache=True)
def _twist(st):  # pragma: no cover - compiled
    """Regenerate the 624 state words in place, in the recurrence's order (words k + 397 wrap to the new ones)."""
    for k in range(_N - _M):
        _mix(st, k, k + 1, k + _M)
    for k in range(_N - _M, _N - 1):
        _mix(st, k, k + 1, k + _M - _N)
    _mix(st, _N - 1, 0, _M - 1)


@njit(cache=True)
def _mt_uniform24(st, left, nxt, out):  # pragma: no cover - compiled
    """Fill out (float32) with the generator's next draws (low 24 bits of each tempered word × 2⁻²⁴), torch's
    bookkeeping: before each draw ``left`` drops by one and at zero the state is regenerated (left = 624, next = 0).
    Returns the new (left, next)."""
    scale = np.float32(2.0 ** -24)
    i, n = 0, out.shape[0]
    while i < n:
        if left == 1:
            _twist(st)
            left, nxt = _N + 1, 0
        k = min(left - 1, n - i)
        for j in range(k):  # tempering in int64 (the words are < 2³²; the masks keep 32 bits): vectorised
            y = np.int64(st[nxt + j])
            y ^= y >> 11
            y ^= (y << 7) & 0x9D2C5680
            y ^= (y << 15) & 0xEFC60000
            y ^= y >> 18
            out[i + j] = np.float32(np.int32(y & 0xFFFFFF)) * scale
        i += k
        nxt += k
        left -= k
    return left, nxt


@njit(cache=True)
def _draw_from_state(state, out):  # pragma: no cover - compiled
    """:func:`_mt_uniform24` on a ``get_state()`` byte array, advanced in place; False (nothing drawn) where its
    bookkeeping is not that of the layout read here."""
    left = state[_LEFT:_LEFT + 4].view(np.int32)[0]
    nxt = state[_NEXT:_NEXT + 8].view(np.uint64)[0]
    words = state[_STATE:_STATE + 8 * _N].view(np.uint64)
    if not (1 <= left <= _N + 1 and nxt <= _N and nxt + left - 1 <= _N) or words.max() >> np.uint64(32):
        return False
    st = words.astype(np.uint32)
    left, nxt = _mt_uniform24(st, np.int64(left), np.int64(nxt), out)
    state[_LEFT:_LEFT + 4].view(np.int32)[0] = left
    state[_NEXT:_NEXT + 8].view(np.uint64)[0] = nxt
    words[:] = st
    return True


def _compiled_rand(n: int, generator: torch.Generator) -> np.ndarray:
    state = generator.get_state()
    out = np.empty(n, dtype=np.float32)
    if state.shape[0] != _SIZE or not _draw_from_state(state.numpy(), out):
        raise ValueError(f"unexpected generator state layout ({state.shape[0]} bytes)")
    generator.set_state(state)
    return out


_checked: bool | None = None  #: None: not yet checked against torch.rand; then whether the compiled draws are used


def _self_check() -> bool:
    """The compiled draws equal torch.rand (values and the generator's next draws) on a few generator states."""
    try:
        for seed, skip, n in ((0, 0, 1500), (7, 623, 5), (11, 1000, 2000)):
            a, b = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
            torch.rand(skip, generator=a), torch.rand(skip, generator=b)
            if not (np.array_equal(_compiled_rand(n, a), torch.rand(n, generator=b).numpy())
                    and torch.equal(torch.rand(700, generator=a), torch.rand(700, generator=b))):
                raise ValueError("draws differ from torch.rand")
    except ValueError as err:
        warnings.warn(f"compiled uniform draws disabled ({err}); using torch.rand", RuntimeWarning, stacklevel=3)
        return False
    return True


def rand_float32(n: int, generator: torch.Generator | None = None) -> np.ndarray:
    """``torch.rand(n, generator=generator, dtype=torch.float32).numpy()``, the same numbers and the same generator
    state afterwards, drawn by a compiled loop (default generator: ``torch.default_generator``)."""
    global _checked
    gen = torch.default_generator if generator is None else generator
    if _checked is None:
        _checked = _self_check()
    if not _checked or gen.device.type != "cpu":
        return torch.rand(n, generator=gen, dtype=torch.float32).numpy()
    return _compiled_rand(n, gen)


drop_stale(globals())
