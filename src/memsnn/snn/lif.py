"""Current-based leaky (LIF) and non-leaky (IF) integrate-and-fire layers in discrete time.

Memristor-Spikelearn (Liu et al., DATE 2023) conventions, batch-first state ``[B, N]``:

* LIF (``SpikingLayer``): a = exp(−1/τ), b = 1 − a;  v ← (1 − s_prev)·(a·v + b·Σx);  s = [v ≥ v0]
  (reset to 0 one step after the spike, ``reset_delay=1``; ``reset_delay=0`` resets in the spiking step).
* IF (``IntFireLayer``): v ← v + Σx;  s = [v ≥ v0];  v[s] = 0 (reset to zero in the same step), or, with
  ``reset="subtract"``, v[s] −= v0.
"""

from __future__ import annotations

import math

import torch

from ..config import check_choice, check_positive


class _SpikingState:
    """Membrane potential and spikes of N neurons for a batch of B."""

    def __init__(self, n: int, threshold: float, dtype: torch.dtype = torch.float64):
        check_positive("n", n)
        self.n = n
        self.threshold = threshold
        self.dtype = dtype
        self.v = torch.zeros((1, n), dtype=dtype)
        self.s = torch.zeros((1, n), dtype=dtype)

    def reset(self, batch: int = 1) -> None:
        """Zero potential and spikes for a batch of ``batch``."""
        self.v = torch.zeros((batch, self.n), dtype=self.dtype)
        self.s = torch.zeros((batch, self.n), dtype=self.dtype)


class LIF(_SpikingState):
    """Leaky integrate-and-fire layer (see module docstring)."""

    def __init__(self, n: int, tau: float, threshold: float = 1.0, *, reset_delay: int = 1,
                 dtype: torch.dtype = torch.float64):
        super().__init__(n, threshold, dtype)
        check_positive("tau", tau)
        check_choice("reset_delay", reset_delay, (0, 1))
        self.a = math.exp(-1.0 / tau)
        self.b = 1.0 - self.a
        self.reset_delay = reset_delay

    def step(self, x: torch.Tensor) -> torch.Tensor:
        """Advance one step with summed input x ([B, N]); returns the spikes."""
        v = self.a * self.v + self.b * x
        if self.reset_delay:
            v = v * (1 - self.s)
        s = (v >= self.threshold).to(self.dtype)
        if not self.reset_delay:
            v = v * (1 - s)
        self.v, self.s = v, s
        return s


class IF(_SpikingState):
    """Non-leaky integrate-and-fire layer with reset to zero (or by subtraction) in the spiking step."""

    def __init__(self, n: int, threshold: float = 1.0, *, reset: str = "zero", dtype: torch.dtype = torch.float64):
        super().__init__(n, threshold, dtype)
        check_choice("reset", reset, ("zero", "subtract"))
        self.reset_mode = reset

    def step(self, x: torch.Tensor) -> torch.Tensor:
        """Advance one step with summed input x ([B, N]); returns the spikes."""
        v = self.v + x
        s = (v >= self.threshold).to(self.dtype)
        v = v * (1 - s) if self.reset_mode == "zero" else v - self.threshold * s
        self.v, self.s = v, s
        return s
