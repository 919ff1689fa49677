"""Spike encoders.

Bernoulli ("Poisson") rate coding (Huang et al. 2022 §3): ``spike[e, t] = 1`` iff ``x[e] > u[e, t]`` with
``u ~ U[0,1)`` drawn fresh per sample, input and time step. Trains are produced one chunk of time steps at a time
so memory stays bounded for any T.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch


def bernoulli_spikes(x: torch.Tensor, steps: int, generator: torch.Generator | None = None,
                     dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Spike trains of shape ``x.shape[:-1] + (steps, x.shape[-1])`` with P(spike) = x (clamped to [0,1])."""
    u = torch.rand(x.shape[:-1] + (steps, x.shape[-1]), generator=generator, dtype=x.dtype, device=x.device)
    return (x.unsqueeze(-2) > u).to(dtype)


def event_pointers(bins: torch.Tensor, n_bins: int) -> np.ndarray:
    """CSR pointers of spike events sorted by bin (e.g. time step): the events of bin b are the entries
    ``ptr[b]:ptr[b+1]`` of the event list (for the compiled simulation loops)."""
    ptr = np.zeros(n_bins + 1, dtype=np.int64)
    np.cumsum(np.bincount(bins.numpy(), minlength=n_bins), out=ptr[1:])
    return ptr


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
