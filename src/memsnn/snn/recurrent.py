"""Recurrent layer of leaky integrate-and-fire (LIF) neurons with a leaky-integrator readout.

Bellec et al., "A solution to the learning dilemma for recurrent networks of spiking neurons", Nat. Commun. 11,
3625 (2020), as used by Demirag et al. (arXiv:2108.01804). With ``v[0] = z[0] = vo[0] = 0`` and for
``t = 0 … T−2``::

    v[t+1]  = α·v[t] + W_rec·z[t] + W_in·x[t] − thr·z[t]          (reset by subtraction)
    z[t+1]  = H(v[t+1] − thr)                                       (strict >)
    vo[t+1] = κ·vo[t] + W_out·z[t+1] + b_out

Weights may be fixed matrices or be re-read every time step (e.g. noisy, drifting memristive crossbars): the
``weights`` callable returns, for the steps ``[t0, t1)``, either 2-D matrices (constant over the block) or
``[t1−t0, …]`` stacks (one matrix per step). The input and output projections are batched over the block; only
the recurrent update is a Python loop over time.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, NamedTuple

import torch

from ..config import check_positive
from .filters import leaky_filter

WeightBlock = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


@dataclasses.dataclass(frozen=True)
class LIFParams:
    """Neuron constants: threshold, membrane and readout decay per step."""

    thr: float = 0.1
    tau_rec: float = 30e-3
    tau_out: float = 30e-3
    dt: float = 1e-3
    b_out: float = 0.0

    def validate(self) -> None:
        for name in ("thr", "tau_rec", "tau_out", "dt"):
            check_positive(name, getattr(self, name))

    @property
    def alpha(self) -> float:
        """Membrane decay ``exp(−dt/τ_rec)``."""
        return math.exp(-self.dt / self.tau_rec)

    @property
    def kappa(self) -> float:
        """Readout decay ``exp(−dt/τ_out)``."""
        return math.exp(-self.dt / self.tau_out)


class RecurrentRun(NamedTuple):
    """Time series of one run, each ``[T, B, n]``."""

    v: torch.Tensor
    z: torch.Tensor
    vo: torch.Tensor


def _project(inp: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """``inp[Tc, B, n] @ wᵀ`` with w either ``[m, n]`` or per-step ``[Tc, m, n]``."""
    if w.dim() == 2:
        return inp @ w.T
    return torch.bmm(inp, w.transpose(1, 2))


def run_recurrent_lif(x: torch.Tensor, weights: Callable[[int, int], WeightBlock] | WeightBlock, params: LIFParams,
                      *, block: int = 100) -> RecurrentRun:
    """Simulate the recurrent LIF layer and readout for ``x[T, B, n_in]`` (see module docstring)."""
    T, B, _ = x.shape
    if not callable(weights):
        fixed = weights
        weights = lambda t0, t1: fixed  # noqa: E731
    alpha, kappa, thr = params.alpha, params.kappa, params.thr
    probe = weights(0, min(1, max(T - 1, 1)))
    n_rec, n_out = probe[1].shape[-1], probe[2].shape[-2]
    v_all = torch.zeros(T, B, n_rec, dtype=x.dtype)
    z_all = torch.zeros(T, B, n_rec, dtype=x.dtype)
    u_out = torch.zeros(T, B, n_out, dtype=x.dtype)
    v = torch.zeros(B, n_rec, dtype=x.dtype)
    z = torch.zeros(B, n_rec, dtype=x.dtype)
    for t0 in range(0, T - 1, block):
        t1 = min(t0 + block, T - 1)
        w_in, w_rec, w_out = weights(t0, t1)
        i_in = _project(x[t0:t1], w_in)
        per_step = w_rec.dim() == 3
        w_rec_t = w_rec.transpose(-1, -2)
        for k in range(t1 - t0):
            v = alpha * v + z @ (w_rec_t[k] if per_step else w_rec_t) + i_in[k] - thr * z
            z = (v > thr).to(x.dtype)
            v_all[t0 + k + 1] = v
            z_all[t0 + k + 1] = z
        u_out[t0 + 1:t1 + 1] = _project(z_all[t0 + 1:t1 + 1], w_out) + params.b_out
    vo = leaky_filter(u_out, kappa)
    return RecurrentRun(v_all, z_all, vo)
