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
def bernoulli_events(u, p, rows_per_group, cols):  # pragma: no cover - compiled
    """The spike events ``u < p`` as compressed rows, for the compiled simulation loops: u [R, K] uniform draws,
    p [G, K] probabilities (row r uses p[r // rows_per_group]), cols [K] the input index of each column. Returns
    (ptr [R+1], idx): the inputs spiking in row r (e.g. a time step) are idx[ptr[r]:ptr[r+1]], in column order —
    the same events as ``torch.nonzero(u < p)``."""
    n_rows, k = u.shape
    ptr = np.zeros(n_rows + 1, dtype=np.int64)
    idx = np.empty(n_rows * k + 1, dtype=np.int64)
    n = 0
    for r in range(n_rows):
        pr = p[r // rows_per_group]
        for c in range(k):  # branch-free: write always, advance on a spike
            idx[n] = cols[c]
            n += u[r, c] < pr[c]
        ptr[r + 1] = n
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
