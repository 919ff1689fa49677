"""Chen & Yu (2015) RRAM compact model with the tunnelling gap as state (Memristor-Spikelearn ``cell_Paiyu_chen_15``).

P.-Y. Chen and S. Yu, "Compact modeling of RRAM devices and its applications in 1T1R and 1S1R array design",
IEEE TED 62(12), 2015; as used by Liu et al., DATE 2023.

* read current I = I0·exp(−g/g0)·sinh(V/V0)  ⇒  G(g) = I0/V_read·sinh(V_read/V0)·exp(−g/g0)
* γ = γ0 − β·(g/g1)³
* dg/dt = −v0·[exp(−q·Ea_g/(k_B·T))·exp(+γ·a0/L·qV/(k_B·T)) − exp(−q·Ea_r/(k_B·T))·exp(−γ·a0/L·qV/(k_B·T))]

A pulse (V, Δt) is integrated with forward Euler in ``nsubstep`` equal sub-steps (γ re-evaluated each sub-step);
the gap is clipped to [gap_min, gap_max] after every sub-step. V > 0 shrinks the gap (SET).
"""

from __future__ import annotations

import dataclasses
import math

import torch

from .base import PresetRegistry, masked
from .readout import with_read_noise


@dataclasses.dataclass(frozen=True)
class ChenYuParams:
    """Parameters of the Chen–Yu 2015 gap model (values of the Memristor-Spikelearn preset)."""

    g0: float = 2.7505e-10  #: m, current decay length
    i0: float = 6.14e-5  #: A
    v_read: float = 0.7  #: V
    v0: float = 0.43  #: V
    gamma0: float = 16.5
    beta: float = 1.25
    g1: float = 1e-9  #: m, gap scale of γ
    vel0: float = 150.0  #: m/s
    ea_gen: float = 1.501  #: eV
    ea_rec: float = 1.5  #: eV
    temperature: float = 350.0  #: K
    a0: float = 0.25e-9  #: m
    thickness: float = 5e-9  #: m (L)
    gap_min: float = 0.1e-9  #: m
    gap_max: float = 1.7e-9  #: m
    nsubstep: int = 10  #: Euler sub-steps per pulse
    gap_init: float = 1.7e-9  #: m, state of a fresh device

    q: float = 1.60217663e-19  #: C
    kb: float = 1.3806503e-23  #: J/K

    @property
    def g_prefactor(self) -> float:
        """I0/V_read·sinh(V_read/V0) (S)."""
        return self.i0 / self.v_read * math.sinh(self.v_read / self.v0)

    @property
    def gen_factor(self) -> float:
        """exp(−q·Ea_g/(k_B·T))."""
        return math.exp(-self.q * self.ea_gen / (self.kb * self.temperature))

    @property
    def rec_factor(self) -> float:
        """exp(−q·Ea_r/(k_B·T))."""
        return math.exp(-self.q * self.ea_rec / (self.kb * self.temperature))

    @property
    def field_factor(self) -> float:
        """a0/L·q/(k_B·T) (1/V)."""
        return self.a0 / self.thickness * self.q / (self.kb * self.temperature)


@dataclasses.dataclass
class ChenYuState:
    """Tunnelling gap g (m)."""

    gap: torch.Tensor


CHEN_YU_PRESETS: PresetRegistry[ChenYuParams] = PresetRegistry("chen_yu")
CHEN_YU_PRESETS.register("spikelearn", ChenYuParams)
CHEN_YU_PRESETS.register("spikelearn_nsub1", lambda: ChenYuParams(nsubstep=1))


class ChenYuDevice:
    """Vectorised Chen–Yu 2015 device (see module docstring)."""

    def __init__(self, params: ChenYuParams | None = None):
        self.p = params or ChenYuParams()
        self._gpre = self.p.g_prefactor
        self._gen = self.p.gen_factor
        self._rec = self.p.rec_factor
        self._alqkt = self.p.field_factor

    def init_state(self, shape: tuple[int, ...], generator: torch.Generator | None = None) -> ChenYuState:
        return ChenYuState(torch.full(shape, self.p.gap_init, dtype=torch.float64))

    def gap_rate(self, gap: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """dg/dt (m/s) at gap g and voltage v."""
        p = self.p
        gamma = p.gamma0 - p.beta * (gap / p.g1) ** 3
        arg = gamma * v * self._alqkt
        return -p.vel0 * (self._gen * torch.exp(arg) - self._rec * torch.exp(-arg))

    def apply_pulse(self, state: ChenYuState, v: torch.Tensor | float, width: torch.Tensor | float,
                    mask: torch.Tensor | None = None, generator: torch.Generator | None = None) -> ChenYuState:
        p = self.p
        v = torch.as_tensor(v, dtype=state.gap.dtype)
        h = torch.as_tensor(width, dtype=state.gap.dtype) * (-p.vel0 / p.nsubstep)  # −v0·Δt/nsubstep
        field = v * self._alqkt  # γ·field = exponent
        g = state.gap
        for _ in range(p.nsubstep):
            # clipping every sub-step keeps explicit Euler finite for strong pulses (the original clips only at
            # the end and can overflow to NaN); for pulses that stay in range both are identical
            e = torch.exp((p.gamma0 - p.beta / p.g1**3 * g**3) * field)
            g = torch.clamp(g + h * (self._gen * e - self._rec / e), p.gap_min, p.gap_max)
        return ChenYuState(masked(g, state.gap, mask))

    def conductance(self, state: ChenYuState, t: torch.Tensor | float | None = None) -> torch.Tensor:
        return self._gpre * torch.exp(-state.gap / self.p.g0)

    def read(self, state: ChenYuState, noise: float | torch.Tensor = 0.0, t: torch.Tensor | float | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
        g = self.conductance(state)
        return with_read_noise(g, noise, generator)

    def state_from_conductance(self, g: torch.Tensor) -> ChenYuState:
        """Ideal direct programming to conductance g (gap clipped to its range)."""
        gap = -self.p.g0 * torch.log(g.to(torch.float64) / self._gpre)
        return ChenYuState(torch.clamp(gap, self.p.gap_min, self.p.gap_max))

    def conductance_range(self) -> tuple[float, float]:
        """(G_min, G_max) in S."""
        gmin = self._gpre * math.exp(-self.p.gap_max / self.p.g0)
        gmax = self._gpre * math.exp(-self.p.gap_min / self.p.g0)
        return gmin, gmax
