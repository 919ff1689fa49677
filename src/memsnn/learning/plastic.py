"""Spike traces and ideal (device-free) plastic synapses of Memristor-Spikelearn (Liu et al., DATE 2023).

* ``Trace``: t ← min(t·decay + amp·x, limit); with amp = 1, limit = 1 a "nearest-spike" trace.
* ``IdealSynapses.stdp_update`` (pair-based STDP, ``PlasticSynapse``): traces are updated first (so coincident
  pre/post spikes count), then rows with a post spike get W += A_p·te, columns with a pre spike get W −= A_n·to;
  touched rows are clipped at ≤ w_max, touched columns at ≥ w_min.
* ``IdealSynapses.bp_update`` (approximate BP): W[:, i] += lr·δ·xe_i for columns with xe_i ≠ 0, then those columns
  are clipped at ≥ w_min (the original's upper limit is never applied there).
"""

from __future__ import annotations

import torch

from ..devices.energy import EnergyMeter


class Trace:
    """Exponential spike trace with an upper limit (state ``[B, N]``)."""

    def __init__(self, n: int, decay: float, amp: float = 1.0, limit: float = 1.0, dtype: torch.dtype = torch.float64):
        self.n, self.decay, self.amp, self.limit, self.dtype = n, decay, amp, limit, dtype
        self.t = torch.zeros((1, n), dtype=dtype)

    def reset(self, batch: int = 1) -> None:
        """Zero the trace for a batch of ``batch``."""
        self.t = torch.zeros((batch, self.n), dtype=self.dtype)

    def update(self, x: torch.Tensor) -> torch.Tensor:
        """Decay, add the spikes x, clip; returns the new trace."""
        self.t = torch.clamp(self.t * self.decay + self.amp * x, max=self.limit)
        return self.t


class IdealSynapses:
    """Plain weight matrix ``w[..., No, Ne]`` with the ideal STDP and approximate-BP updates."""

    def __init__(self, shape: tuple[int, ...], *, a_pot: float = 0.0, a_dep: float = 0.0, w_max: float = 1.0,
                 w_min: float = 0.0, dtype: torch.dtype = torch.float64):
        self.w = torch.zeros(shape, dtype=dtype)
        self.a_pot, self.a_dep, self.w_max, self.w_min = a_pot, a_dep, w_max, w_min
        self.meter = EnergyMeter()

    def program(self, w: torch.Tensor) -> None:
        """Set the weights."""
        self.w = w.to(self.w.dtype).clone()

    def weight_range(self) -> tuple[float, float]:
        """Unbounded ideal weights (the rules clip where the original does)."""
        return -float("inf"), float("inf")

    def account_read(self, drive: torch.Tensor) -> None:
        """Ideal weights dissipate nothing."""

    def stdp_update(self, xe: torch.Tensor, xo: torch.Tensor, te: torch.Tensor, to: torch.Tensor) -> None:
        """Pair-based STDP step; xe, te: [B, Ne]; xo, to: [B, No]; only touched rows/columns are computed."""
        rows = torch.nonzero(xo, as_tuple=True)
        cols = torch.nonzero(xe, as_tuple=True)
        w = self.w
        if rows[0].numel():
            w[rows] += self.a_pot * te[rows[0]]
        if cols[0].numel():
            cidx = (cols[0], slice(None), cols[1])
            w[cidx] -= self.a_dep * to[cols[0]]
        if rows[0].numel():
            w[rows] = torch.clamp(w[rows], max=self.w_max)
        if cols[0].numel():
            w[cidx] = torch.clamp(w[cidx], min=self.w_min)

    def bp_update(self, counts: torch.Tensor, delta: torch.Tensor, lr: float) -> None:
        """Approximate-BP step of a 2-D array: W += lr·δ⊗counts on columns with counts ≠ 0, clipped at ≥ w_min."""
        cols = torch.nonzero(counts, as_tuple=True)[0]
        if cols.numel() == 0 or not bool(delta.any()):
            return
        sub = self.w[:, cols] + lr * delta.unsqueeze(1) * counts[cols].to(self.w.dtype).unsqueeze(0)
        self.w[:, cols] = torch.clamp(sub, min=self.w_min)
