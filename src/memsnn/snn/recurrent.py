"""Recurrent layer of leaky integrate-and-fire (LIF) neurons with a leaky-integrator readout.

Bellec et al., "A solution to the learning dilemma for recurrent networks of spiking neurons", Nat. Commun. 11,
3625 (2020), as used by Demirag et al. (arXiv:2108.01804). With ``v[0] = z[0] = vo[0] = 0`` and for
``t = 0 … T−2``::

    v[t+1]  = α·v[t] + W_rec·z[t] + W_in·x[t] − thr·z[t]          (reset by subtraction)
    z[t+1]  = H(v[t+1] − thr)                                       (strict >)
    vo[t+1] = κ·vo[t] + W_out·z[t+1] + b_out

The synaptic currents come from a :class:`Synapses` source: fixed matrices, or e.g. memristive crossbars read
afresh (noise, drift) at every step. Input and output projections are requested for blocks of steps (batched);
only the recurrent update is a Python loop over time.
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple, Protocol

import torch

from ..config import check_positive
from .filters import leaky_filter


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


class Synapses(Protocol):
    """Source of the synaptic currents of the three projections (fixed matrices, crossbar reads, ...)."""

    def input_current(self, x: torch.Tensor, t0: int) -> torch.Tensor:
        """``W_in·x[t]`` for ``x[Tc, B, n_in]`` holding steps ``t0 … t0+Tc−1`` → ``[Tc, B, n_rec]``."""
        ...

    def recurrent_current(self, z: torch.Tensor, t: int) -> torch.Tensor:
        """``W_rec·z[t]`` for ``z[B, n_rec]`` at step t → ``[B, n_rec]``."""
        ...

    def output_current(self, z: torch.Tensor, t0: int) -> torch.Tensor:
        """``W_out·z[t+1]`` for ``z[Tc, B, n_rec]`` (= z[t0+1 … t0+Tc]) computed at steps ``t0 …`` → ``[Tc, B, n_out]``."""
        ...


class FixedSynapses:
    """Constant weight matrices ``w_in[n_rec, n_in]``, ``w_rec[n_rec, n_rec]``, ``w_out[n_out, n_rec]``."""

    def __init__(self, w_in: torch.Tensor, w_rec: torch.Tensor, w_out: torch.Tensor):
        self.w_in, self.w_rec, self.w_out = w_in, w_rec, w_out
        self._w_rec_t = w_rec.T.contiguous()

    def input_current(self, x: torch.Tensor, t0: int) -> torch.Tensor:
        return x @ self.w_in.T

    def recurrent_current(self, z: torch.Tensor, t: int) -> torch.Tensor:
        return z @ self._w_rec_t

    def output_current(self, z: torch.Tensor, t0: int) -> torch.Tensor:
        return z @ self.w_out.T


class RecurrentRun(NamedTuple):
    """Time series of one run, each ``[T, B, n]``."""

    v: torch.Tensor
    z: torch.Tensor
    vo: torch.Tensor


def run_recurrent_lif(x: torch.Tensor, synapses: Synapses | tuple[torch.Tensor, torch.Tensor, torch.Tensor],
                      params: LIFParams, *, n_rec: int | None = None, block: int = 100) -> RecurrentRun:
    """Simulate the recurrent LIF layer and readout for ``x[T, B, n_in]`` (see module docstring)."""
    if isinstance(synapses, tuple):
        synapses = FixedSynapses(*synapses)
        n_rec = synapses.w_rec.shape[0]
    if n_rec is None:
        raise ValueError("n_rec is required with a custom Synapses source")
    T, B, _ = x.shape
    if T < 2:
        raise ValueError(f"need at least 2 time steps, got {T}")
    alpha, thr = params.alpha, params.thr
    v_all = torch.zeros(T, B, n_rec, dtype=x.dtype)
    z_all = torch.zeros(T, B, n_rec, dtype=x.dtype)
    u_out: torch.Tensor | None = None
    v = torch.zeros(B, n_rec, dtype=x.dtype)
    z = torch.zeros(B, n_rec, dtype=x.dtype)
    for t0 in range(0, T - 1, block):
        t1 = min(t0 + block, T - 1)
        i_in = synapses.input_current(x[t0:t1], t0)
        for k in range(t1 - t0):
            v = alpha * v + synapses.recurrent_current(z, t0 + k) + i_in[k] - thr * z
            z = (v > thr).to(x.dtype)
            v_all[t0 + k + 1] = v
            z_all[t0 + k + 1] = z
        o = synapses.output_current(z_all[t0 + 1:t1 + 1], t0) + params.b_out
        if u_out is None:
            u_out = torch.zeros(T, B, o.shape[-1], dtype=x.dtype)
        u_out[t0 + 1:t1 + 1] = o
    assert u_out is not None
    vo = leaky_filter(u_out, params.kappa)
    return RecurrentRun(v_all, z_all, vo)
