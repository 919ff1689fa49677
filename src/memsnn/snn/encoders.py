"""Spike encoders.

Bernoulli ("Poisson") rate coding (Huang et al. 2022 §3): ``spike[e, t] = 1`` iff ``x[e] > u[e, t]`` with
``u ~ U[0,1)`` drawn fresh per sample, input and time step. Trains are produced one chunk of time steps at a time
so memory stays bounded for any T.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
from numba import njit

from ..kernel_cache import drop_stale
from ..rng import rand_float32


def bernoulli_spikes(x: torch.Tensor, steps: int, generator: torch.Generator | None = None,
                     dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Spike trains of shape ``x.shape[:-1] + (steps, x.shape[-1])`` with P(spike) = x (clamped to [0,1])."""
    u = torch.rand(x.shape[:-1] + (steps, x.shape[-1]), generator=generator, dtype=x.dtype, device=x.device)
    return (x.unsqueeze(-2) > u).to(dtype)


def nonzero_rate_draws(p: torch.Tensor | np.ndarray, steps: int, generator: torch.Generator | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Uniform draws for Bernoulli rate coding of p [B, K] made only for the inputs with p > 0 (an input with p = 0
    never spikes). Returns (u, probabilities, columns, cptr) for :func:`bernoulli_events`: sample b's inputs are
    columns[cptr[b]:cptr[b+1]] and its draws are ``steps`` rows of them, step-major; samples follow each other in
    one draw, so a batch draws the same numbers as its samples drawn one at a time (torch's CPU generator is
    sequential; the draws are ``torch.rand``'s numbers, made by :func:`memsnn.rng.rand_float32`)."""
    p = p.numpy() if isinstance(p, torch.Tensor) else np.asarray(p)
    rows, cols = np.nonzero(p > 0)
    cptr = np.zeros(p.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=p.shape[0]), out=cptr[1:])
    u = rand_float32(steps * cols.shape[0], generator)  # = torch.rand(…, float32), compiled
    return u, p[rows, cols].astype(np.float32), cols, cptr


@njit(cache=True)
def bernoulli_events(u, p, cols, cptr, steps):  # pragma: no cover - compiled
    """The spike events ``u < p`` as compressed rows, for the compiled simulation loops. Group g (e.g. a sample)
    has the inputs cols[cptr[g]:cptr[g+1]] with probabilities p[cptr[g]:cptr[g+1]] and the n_g·steps draws
    u[steps·cptr[g] + t·n_g + k] (step t, input k). Returns (ptr [G·steps+1], idx): the inputs spiking at step t of
    group g are idx[ptr[g·steps+t]:ptr[g·steps+t+1]], in column order."""
    groups = cptr.shape[0] - 1
    ptr = np.zeros(groups * steps + 1, dtype=np.int64)
    idx = np.empty(u.shape[0] + 1, dtype=np.int64)
    n = 0
    for g in range(groups):
        c0 = cptr[g]
        k = cptr[g + 1] - c0
        pg, cg = p[c0:c0 + k], cols[c0:c0 + k]
        for t in range(steps):
            ut = u[steps * c0 + t * k:steps * c0 + (t + 1) * k]
            for c in range(k):  # branch-free: write always, advance on a spike
                idx[n] = cg[c]
                n += ut[c] < pg[c]
            ptr[g * steps + t + 1] = n
    return ptr, idx[:n].copy()


@njit(cache=True)
def spike_changes(u, p, cols, steps):  # pragma: no cover - compiled
    """The spike events ``u < p`` of one group (as :func:`bernoulli_events`: inputs cols [k], ascending, draws u
    [steps·k] step-major) with the changes between steps, for incremental synaptic currents. Returns (ptr, idx,
    on_ptr, on_idx, off_ptr, off_idx): the inputs spiking at step t are idx[ptr[t]:ptr[t+1]], those spiking at t
    but not at t − 1 on_idx[on_ptr[t]:on_ptr[t+1]], those spiking at t − 1 but not at t off_idx[off_ptr[t]:
    off_ptr[t+1]] (nothing spikes before step 0), each in column order."""
    k = cols.shape[0]
    ptr, on_ptr, off_ptr = np.zeros(steps + 1, np.int64), np.zeros(steps + 1, np.int64), np.zeros(steps + 1, np.int64)
    idx, on_idx, off_idx = np.empty(steps * k + 1, np.int64), np.empty(steps * k + 1, np.int64), \
        np.empty(steps * k + 1, np.int64)
    prev = np.zeros(k, np.int64)
    n = n_on = n_off = 0
    for t in range(steps):
        ut = u[t * k:(t + 1) * k]
        for c in range(k):  # branch-free: write always, advance on an event
            s = np.int64(ut[c] < p[c])
            idx[n] = on_idx[n_on] = off_idx[n_off] = cols[c]
            n += s
            n_on += s & (1 - prev[c])
            n_off += prev[c] & (1 - s)
            prev[c] = s
        ptr[t + 1], on_ptr[t + 1], off_ptr[t + 1] = n, n_on, n_off
    return ptr, idx, on_ptr, on_idx, off_ptr, off_idx


def chunk_sizes(total: int, chunk: int) -> Iterator[int]:
    """Sizes of consecutive chunks covering ``total`` steps."""
    if total <= 0:
        from ..errors import ConfigError

        raise ConfigError(f"number of time steps T must be > 0, got {total}")
    done = 0
    while done < total:
        n = min(chunk, total - done)
        yield n
        done += n


drop_stale(globals())
