"""Integrate-and-compare ("Lapicque") neuron with a time-to-first-crossing read-out, no reset.

S. L. Jurj, Electronics 13(23), 4665 (2024), §2: a transimpedance stage turns the column current into
``V1 = R_f·I`` (clipped at the op-amp rails), a transconductance ``g`` drives an R∥C node,
``τ·dV2/dt = g·R·V1 − V2`` with ``τ = R·C``, and a comparator sets the output high while ``V2 > threshold``.
For a constant input from rest ``V2(t) = g·R·V1·(1 − e^{−t/τ})`` and the first crossing is
``t = −τ·ln(1 − threshold/(g·R·V1))`` (never when ``g·R·V1 ≤ threshold``).
"""

from __future__ import annotations

import dataclasses
import math

import torch

from ..config import Config, check_positive


@dataclasses.dataclass
class LapicqueConfig(Config):
    """Neuron parameters (network values of the paper: R = 1 Ω, C = 150 µF, threshold 4 V, R_f = 1 kΩ)."""

    r_f: float = 1e3  # transimpedance gain (Ω)
    rail: float = 20.0  # |V1| limit set by the op-amp supplies (V)
    g: float = 1.0  # transconductance into the R∥C node (S)
    r: float = 1.0  # integrator resistance (Ω)
    c: float = 150e-6  # integrator capacitance (F)
    threshold: float = 4.0  # comparator threshold on V2 (V)
    v_high: float = 1.0  # output level when firing (V)

    def validate(self) -> None:
        super().validate()
        for name in ("r_f", "rail", "g", "r", "c", "threshold", "v_high"):
            check_positive(name, getattr(self, name))

    @property
    def tau(self) -> float:
        """Integration time constant ``R·C`` (s)."""
        return self.r * self.c


def drive(cfg: LapicqueConfig, current: torch.Tensor) -> torch.Tensor:
    """Asymptotic integrator voltage ``g·R·clip(R_f·I, ±rail)`` (V) for input current I (A)."""
    return cfg.g * cfg.r * torch.clamp(cfg.r_f * current, -cfg.rail, cfg.rail)


def first_crossing(cfg: LapicqueConfig, current: torch.Tensor) -> torch.Tensor:
    """Closed-form time of the first threshold crossing for a constant current from rest (s; inf if never)."""
    v_inf = drive(cfg, current)
    ratio = torch.where(v_inf > cfg.threshold, cfg.threshold / v_inf, torch.ones_like(v_inf))
    t = -cfg.tau * torch.log1p(-ratio)
    return torch.where(v_inf > cfg.threshold, t, torch.full_like(t, math.inf))


def membrane(cfg: LapicqueConfig, current: torch.Tensor, dt: float, v0: torch.Tensor | float = 0.0) -> torch.Tensor:
    """Reference path: V2 for a sampled current (T, ...) by the exact exponential step (returns (T, ...))."""
    decay = math.exp(-dt / cfg.tau)
    target = drive(cfg, current)
    v = torch.as_tensor(v0, dtype=target.dtype).expand_as(target[0]).clone()
    out = torch.empty_like(target)
    for n in range(target.shape[0]):
        v = target[n] + (v - target[n]) * decay
        out[n] = v
    return out


def output(cfg: LapicqueConfig, v2: torch.Tensor) -> torch.Tensor:
    """Comparator output level: ``v_high`` while V2 > threshold, else 0 (no reset, a level not a spike)."""
    return torch.where(v2 > cfg.threshold, torch.full_like(v2, cfg.v_high), torch.zeros_like(v2))


def crossing_times(t: torch.Tensor, trace: torch.Tensor, level: float, starts: torch.Tensor, stops: torch.Tensor) -> torch.Tensor:
    """First upward crossing of ``level`` after each window start, linearly interpolated (s after the start).

    ``t`` (T,), ``trace`` (T, N) sampled waveforms, ``starts``/``stops`` (W,) window bounds in seconds (time-based,
    not sample-index based). Returns (W, N), inf where the trace never crosses inside the window.
    """
    t = torch.as_tensor(t, dtype=torch.float64)
    trace = torch.as_tensor(trace, dtype=torch.float64)
    if trace.dim() != 2 or trace.shape[0] != t.shape[0]:
        raise ValueError(f"trace shape {tuple(trace.shape)} does not match {t.shape[0]} time points")
    out = torch.full((len(starts), trace.shape[1]), math.inf, dtype=torch.float64)
    above = trace > level
    for w, (a, b) in enumerate(zip(starts.tolist(), stops.tolist())):
        sel = torch.nonzero((t >= a) & (t <= b)).flatten()
        if len(sel) < 2:
            continue
        seg_t, seg_v, seg_a = t[sel], trace[sel], above[sel]
        rise = seg_a[1:] & ~seg_a[:-1]
        first_above = seg_a[0]
        for n in range(trace.shape[1]):
            if first_above[n]:
                out[w, n] = 0.0
                continue
            k = torch.nonzero(rise[:, n]).flatten()
            if len(k) == 0:
                continue
            i = int(k[0])
            v0, v1 = seg_v[i, n], seg_v[i + 1, n]
            tc = seg_t[i] + (level - v0) / (v1 - v0) * (seg_t[i + 1] - seg_t[i])
            out[w, n] = float(tc) - a
    return out


def predict(times: torch.Tensor, currents: torch.Tensor | None = None, no_fire: str = "class0") -> torch.Tensor:
    """Winner = earliest crossing (ties → lowest index). When nothing fires: ``class0`` (the paper's argmin of
    all-inf) or ``max_current`` (the neuron driven hardest, needs ``currents``)."""
    winner = torch.argmin(times, dim=-1)
    if no_fire == "max_current":
        if currents is None:
            raise ValueError("no_fire='max_current' needs the column currents")
        silent = torch.isinf(times).all(dim=-1)
        winner = torch.where(silent, torch.argmax(currents, dim=-1), winner)
    elif no_fire != "class0":
        from ..errors import ConfigError

        raise ConfigError(f"no_fire must be 'class0' or 'max_current', got {no_fire!r}")
    return winner
