"""Phase-change memory (PCM) device model after Nandakumar et al. (2018).

S. R. Nandakumar et al., "A phase-change memory model for neuromorphic computing", J. Appl. Phys. 124, 152135
(2018), as used by Demirag et al., "Online Training of Spiking Recurrent Neural Networks with Phase-Change Memory
Synapses", arXiv:2108.01804 (2021).

Units: conductance in µS, time in s (device time).

* Gradual SET (one potentiating pulse), with programming history ``P`` (``P_n = exp(-n/a)`` after the n-th pulse
  since the last RESET)::

      P ← P·exp(−1/a);  μ = m1·G + c1 + A1·P;  σ = m2·G + c2 + A2·P;  G ← clip(G + μ + σ·ξ, Gmin, Gmax)

* Drift from the time of the last write ``t_w``: ``G(t) = G·((t − t_w)/T0)^(−ν)``. The power law holds for
  ``t − t_w > 0`` only; reads closer than ``drift_t_min`` (default 0.5 ms) to the write are evaluated at
  ``drift_t_min`` so that reading at the instant of a write is well defined (the original code returns inf/NaN).
* Read noise: ``G_read = clip(G(t) + N(0, m3·G(t) + c3), Gmin, Gmax)``.
* RESET: ``G ~ N(g_reset, 0.1·g_reset)`` clipped to [g_init_min, Gmax], ``P = 1``, pulse count 0.
* Perf mode (``perf=True``): ideal low-precision device, every SET adds ``Gmax/2^perf_res`` and reads are exact
  (no drift, no noise).
"""

from __future__ import annotations

import dataclasses
import math

import torch

from ..config import check_positive
from ..errors import ConfigError
from .base import PresetRegistry, masked


@dataclasses.dataclass(frozen=True)
class PCMParams:
    """Parameters of the Nandakumar PCM model (µS, s)."""

    a: float = 2.6  # programming-history decay (pulses)
    m1: float = -0.084
    c1: float = 0.880
    A1: float = 1.40
    m2: float = 0.091
    c2: float = 0.260
    A2: float = 2.15
    m3: float = 0.03  # read-noise slope
    c3: float = 0.13  # read-noise offset (µS)
    nu: float = 0.04  # drift exponent
    T0: float = 38.6  # drift reference time (s)
    gmin: float = 0.1  # write/read clip (µS)
    gmax: float = 12.0
    g_reset: float = 0.1  # mean conductance after RESET (µS)
    g_init_min: float = 0.01  # clip of the RESET draw
    drift_t_min: float = 5e-4  # reads closer than this to the last write use this delay (s)
    perf: bool = False  # ideal low-precision device
    perf_res: int = 3  # bits of the ideal device: increment Gmax / 2**perf_res

    def validate(self) -> None:
        """Raise ConfigError for inconsistent values."""
        for name in ("a", "T0", "drift_t_min", "g_reset"):
            check_positive(f"pcm.{name}", getattr(self, name))
        check_positive("pcm.nu", self.nu, allow_zero=True)
        check_positive("pcm.gmin", self.gmin, allow_zero=True)
        if not self.gmax > self.gmin:
            raise ConfigError(f"pcm.gmax must be > pcm.gmin ({self.gmin}), got {self.gmax!r}")
        if self.perf_res < 1:
            raise ConfigError(f"pcm.perf_res must be >= 1, got {self.perf_res!r}")

    @property
    def perf_increment(self) -> float:
        """Deterministic SET increment of perf mode, ``Gmax / 2^res`` (µS)."""
        return self.gmax / 2**self.perf_res


PCM_PRESETS: PresetRegistry[PCMParams] = PresetRegistry("PCM")
PCM_PRESETS.register("nandakumar2018", lambda: PCMParams(gmax=20.0))  # Nandakumar 2018 figures (Gmax 20 µS)
PCM_PRESETS.register("demirag2021", lambda: PCMParams(gmax=12.0))  # SRNN-PCM network experiments (Gmax 12 µS)


@dataclasses.dataclass
class PCMState:
    """State of a tensor of PCM devices: conductance ``G`` (µS), history ``P``, last write time ``t_w`` (s,
    float64) and the number of SET pulses since the last RESET."""

    G: torch.Tensor
    P: torch.Tensor
    t_w: torch.Tensor
    count: torch.Tensor

    def clone(self) -> "PCMState":
        return PCMState(self.G.clone(), self.P.clone(), self.t_w.clone(), self.count.clone())

    def index(self, idx: object) -> "PCMState":
        """The sub-state ``state[idx]`` (a view where torch indexing gives one)."""
        return PCMState(self.G[idx], self.P[idx], self.t_w[idx], self.count[idx])  # type: ignore[index]

    def as_dict(self) -> dict[str, torch.Tensor]:
        return dataclasses.asdict(self)


def _as_t(t: torch.Tensor | float, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(t, dtype=torch.float64, device=like.device)


class PCMModel:
    """Nandakumar PCM devices acting on whole tensors of states (see module docstring)."""

    read_fields = ("G", "t_w")  # state fields that conductance()/read() use

    def __init__(self, params: PCMParams | None = None):
        self.params = params or PCMParams()
        self.params.validate()

    # -- state ---------------------------------------------------------------------------------------------
    def init_state(self, shape: tuple[int, ...], generator: torch.Generator | None = None, *,
                   g0: float | None = None, t: float = 0.0) -> PCMState:
        """Freshly RESET devices: ``G ~ N(g0, 0.1·g0)`` clipped to [g_init_min, Gmax], P = 1, t_w = t."""
        p = self.params
        g0 = p.g_reset if g0 is None else g0
        G = self._reset_draw(tuple(shape), g0, generator)
        return PCMState(G=G, P=torch.ones(shape), t_w=torch.full(shape, float(t), dtype=torch.float64),
                        count=torch.zeros(shape, dtype=torch.int32))

    def _reset_draw(self, shape: tuple[int, ...], g0: float, generator: torch.Generator | None) -> torch.Tensor:
        p = self.params
        G = torch.randn(shape, generator=generator) * (0.1 * g0) + g0
        return G.clamp_(p.g_init_min, p.gmax)

    # -- programming ---------------------------------------------------------------------------------------
    def set_pulse(self, state: PCMState, mask: torch.Tensor | None = None, generator: torch.Generator | None = None,
                  t: torch.Tensor | float = 0.0) -> PCMState:
        """One gradual SET pulse on the masked devices at time ``t`` (Nandakumar 2018, eqs. for μ, σ, P)."""
        p = self.params
        G = state.G
        if p.perf:
            newG = (G + p.perf_increment).clamp(p.gmin, p.gmax)
            newP = state.P
        else:
            newP = state.P * math.exp(-1.0 / p.a)
            mu = p.m1 * G + p.c1 + p.A1 * newP
            sigma = p.m2 * G + p.c2 + p.A2 * newP
            xi = torch.randn(G.shape, generator=generator, dtype=G.dtype)
            newG = (G + mu + sigma * xi).clamp(p.gmin, p.gmax)
        tw = _as_t(t, state.t_w).expand_as(state.t_w)
        return PCMState(G=masked(newG, G, mask), P=masked(newP, state.P, mask), t_w=masked(tw, state.t_w, mask),
                        count=masked(state.count + 1, state.count, mask))

    def reset(self, state: PCMState, mask: torch.Tensor | None = None, generator: torch.Generator | None = None,
              t: torch.Tensor | float = 0.0, g0: float | None = None) -> PCMState:
        """RESET the masked devices at time ``t``: fresh amorphous state, history and count cleared."""
        g0 = self.params.g_reset if g0 is None else g0
        G = self._reset_draw(tuple(state.G.shape), g0, generator)
        tw = _as_t(t, state.t_w).expand_as(state.t_w)
        return PCMState(G=masked(G, state.G, mask), P=masked(torch.ones_like(state.P), state.P, mask),
                        t_w=masked(tw, state.t_w, mask), count=masked(torch.zeros_like(state.count), state.count, mask))

    def apply_pulse(self, state: PCMState, v: torch.Tensor | float = 1.0, width: torch.Tensor | float = 0.0,
                    mask: torch.Tensor | None = None, generator: torch.Generator | None = None,
                    t: torch.Tensor | float = 0.0) -> PCMState:
        """Device-interface pulse: ``v > 0`` is a gradual SET pulse, ``v < 0`` a RESET (the model's pulses have fixed
        shape, so only the sign of ``v`` matters and ``width`` is not used)."""
        v = torch.as_tensor(v)
        if v.numel() != 1:
            pos, neg = v > 0, v < 0
            mpos = pos if mask is None else pos & mask
            mneg = neg if mask is None else neg & mask
            return self.reset(self.set_pulse(state, mpos, generator, t), mneg, generator, t)
        if float(v) > 0:
            return self.set_pulse(state, mask, generator, t)
        if float(v) < 0:
            return self.reset(state, mask, generator, t)
        return state

    def pulse_train(self, state: PCMState, n: torch.Tensor, generator: torch.Generator | None = None,
                    t: torch.Tensor | float = 0.0) -> PCMState:
        """Apply ``n`` (integer tensor, per device) SET pulses at time ``t``; loops over max(n) pulses only."""
        n = torch.as_tensor(n).to(torch.int64)
        if n.numel() and int(n.min()) < 0:
            raise ConfigError(f"pulse counts must be >= 0, got minimum {int(n.min())}")
        for k in range(int(n.max()) if n.numel() else 0):
            state = self.set_pulse(state, n > k, generator, t)
        return state

    def pulses_after_reset(self, rise: torch.Tensor, max_pulses: int = 64) -> torch.Tensor:
        """Number of SET pulses after a RESET whose mean conductance rise (noise-free SET curve from ``g_reset``)
        is nearest to ``rise`` (µS); an inverse of the mean SET curve used to re-write refreshed pairs."""
        p = self.params
        if p.perf:
            return torch.floor(rise / p.perf_increment + 0.5).clamp(min=0).to(torch.int64)
        curve = torch.tensor([p.g_reset] + mean_set_curve(p, max_pulses, p.g_reset), dtype=rise.dtype) - p.g_reset
        return (rise.unsqueeze(-1) - curve).abs().argmin(dim=-1)

    # -- reading -------------------------------------------------------------------------------------------
    def drift_factor(self, state: PCMState, t: torch.Tensor | float) -> torch.Tensor:
        """``((t − t_w)/T0)^(−ν)`` with ``t − t_w`` floored at ``drift_t_min`` (float32 result).

        ``t`` may carry extra leading dimensions (a stack of read times). Times are referred to ``min(t)`` in
        float64 first, so the large tensor is computed in float32 without losing sub-ms resolution."""
        p = self.params
        if not torch.is_tensor(t) or t.dim() == 0:  # one read time for all devices
            dt = (float(t) - state.t_w).clamp_(min=p.drift_t_min).mul_(1.0 / p.T0)
            return dt.to(torch.float32).pow_(-p.nu)
        t = _as_t(t, state.t_w)
        t_ref = t.min()
        since = (t_ref - state.t_w).to(torch.float32)  # age of each write at t_ref (s)
        dt = (since + (t - t_ref).to(torch.float32)).clamp(min=p.drift_t_min)
        return (dt * (1.0 / p.T0)).pow(-p.nu)

    def conductance(self, state: PCMState, t: torch.Tensor | float | None = None) -> torch.Tensor:
        """Noise-free conductance (µS); with ``t`` the drifted value at time t (perf mode: no drift)."""
        if t is None or self.params.perf:
            return state.G
        return state.G * self.drift_factor(state, t)

    def read(self, state: PCMState, noise: float | torch.Tensor = 1.0, t: torch.Tensor | float | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """Measured conductance (µS): drift to time ``t`` (if given), read noise ``N(0, noise·(m3·G + c3))``, clip
        to [Gmin, Gmax]. Perf mode reads ``clip(G)`` exactly."""
        p = self.params
        if p.perf:
            return state.G.clamp(p.gmin, p.gmax)
        Gd = self.conductance(state, t)
        if not (isinstance(noise, (int, float)) and noise == 0):
            Gd = Gd + torch.randn(Gd.shape, generator=generator, dtype=Gd.dtype) * (p.m3 * Gd + p.c3) * noise
        return Gd.clamp(p.gmin, p.gmax)


def mean_set_curve(params: PCMParams, n_pulses: int, g_start: float = 0.1) -> list[float]:
    """Noise-free SET recursion ``G_n = clip(G_{n−1} + m1·G_{n−1} + c1 + A1·e^{−n/a})`` (spec check A)."""
    if n_pulses < 0:
        raise ConfigError(f"n_pulses must be >= 0, got {n_pulses}")
    out, G = [], g_start
    for k in range(1, n_pulses + 1):
        G = min(max(G + params.m1 * G + params.c1 + params.A1 * math.exp(-k / params.a), params.gmin), params.gmax)
        out.append(G)
    return out
