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


def bernoulli_spikes(x: torch.Tensor, steps: int, generator: torch.Generator | None = None,
                     dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Spike trains of shape ``x.shape[:-1] + (steps, x.shape[-1])`` with P(spike) = x (clamped to [0,1])."""
    u = torch.rand(x.shape[:-1] + (steps, x.shape[-1]), generator=generator, dtype=x.dtype, device=x.device)
    return (x.unsqueeze(-2) > u).to(dtype)


@njit(cache=True)
def bernoulli_events(u, p, cols):  # pragma: no cover - compiled
    """The spike events ``u < p`` as compressed rows, for the compiled simulation loops: u [T, G, K] uniform draws
    (step, group e.g. sample, input), p [G, K] probabilities, cols [K] the input index of each column. Returns
    (ptr [G·T+1], idx): the inputs spiking at step t of group g are idx[ptr[g·T+t]:ptr[g·T+t+1]], in column order —
    the same events as ``torch.nonzero((u < p).transpose(0, 1))``."""
    steps, groups, k = u.shape
    ptr = np.zeros(groups * steps + 1, dtype=np.int64)
    idx = np.empty(groups * steps * k + 1, dtype=np.int64)
    n = 0
    for g in range(groups):
        pg = p[g]
        for t in range(steps):
            ut = u[t, g]
            for c in range(k):  # branch-free: write always, advance on a spike
                idx[n] = cols[c]
                n += ut[c] < pg[c]
            ptr[g * steps + t + 1] = n
    return ptr, idx[:n].copy()


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
