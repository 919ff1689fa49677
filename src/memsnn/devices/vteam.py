"""VTEAM-like power-law memristor with resistance as state (Memristor-Spikelearn ``cell_Vteam``).

Liu et al., "Memristor-Spikelearn", DATE 2023, simplified VTEAM (Kvatinsky et al. 2015) fit of the resistance
change per programming pulse against voltage:

* V > 0 (SET):   ΔR = −k_set · V^a_set / g_ref
* V ≤ 0 (RESET): ΔR = +k_reset · (−V)^a_reset / g_ref
* R ← clip(R, R_on, R_off)

The pulse width is folded into the constants (it is ignored by the update, used only for energy). ``g_ref`` is the
conductance scale the fit is expressed in (the crossbar's "conductance of weight 1", G1).
"""

from __future__ import annotations

import dataclasses

import torch

from .base import PresetRegistry, masked
from .readout import with_read_noise


@dataclasses.dataclass(frozen=True)
class VteamParams:
    """Parameters of the power-law VTEAM-like cell."""

    r_on: float = 6697.893598309347  #: Ω, lowest resistance
    r_off: float = 2250521.504002251  #: Ω, highest resistance
    v_read: float = 0.7  #: V
    k_set: float = 5.28e-8  #: Ω·S per V^a_set
    a_set: float = 41.95
    k_reset: float = 9.545e-7  #: Ω·S per V^a_reset
    a_reset: float = 39.65
    g_ref: float = 1e-4  #: S, conductance scale of the fit (G1)
    r_init: float = 2250521.504002251  #: Ω, state of a fresh device


@dataclasses.dataclass
class VteamState:
    """Device resistance R (Ω)."""

    r: torch.Tensor


VTEAM_PRESETS: PresetRegistry[VteamParams] = PresetRegistry("vteam")
VTEAM_PRESETS.register("spikelearn", VteamParams)


class VteamDevice:
    """Vectorised VTEAM-like device (see module docstring)."""

    def __init__(self, params: VteamParams | None = None):
        self.p = params or VteamParams()

    # -- interface -------------------------------------------------------------------------------------------
    def init_state(self, shape: tuple[int, ...], generator: torch.Generator | None = None) -> VteamState:
        return VteamState(torch.full(shape, self.p.r_init, dtype=torch.float64))

    def delta_r(self, v: torch.Tensor) -> torch.Tensor:
        """ΔR per pulse of voltage v (Ω)."""
        p = self.p
        pos = torch.clamp(v, min=0.0)
        neg = torch.clamp(-v, min=0.0)
        return (-p.k_set * pos**p.a_set + p.k_reset * neg**p.a_reset) / p.g_ref

    def apply_pulse(self, state: VteamState, v: torch.Tensor | float, width: torch.Tensor | float = 0.0,
                    mask: torch.Tensor | None = None, generator: torch.Generator | None = None) -> VteamState:
        v = torch.as_tensor(v, dtype=state.r.dtype)
        r = torch.clamp(state.r + self.delta_r(v), self.p.r_on, self.p.r_off)
        return VteamState(masked(r, state.r, mask))

    def apply_pulses(self, state: VteamState, v: torch.Tensor, count: torch.Tensor) -> VteamState:
        """``count`` identical pulses at once: exact, because ΔR does not depend on R and clipping is monotone."""
        r = torch.clamp(state.r + count.to(state.r.dtype) * self.delta_r(torch.as_tensor(v, dtype=state.r.dtype)),
                        self.p.r_on, self.p.r_off)
        return VteamState(r)

    def conductance(self, state: VteamState, t: torch.Tensor | float | None = None) -> torch.Tensor:
        return 1.0 / state.r

    def read(self, state: VteamState, noise: float | torch.Tensor = 0.0, t: torch.Tensor | float | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
        g = self.conductance(state)
        return with_read_noise(g, noise, generator)

    # -- helpers ---------------------------------------------------------------------------------------------
    def state_from_conductance(self, g: torch.Tensor) -> VteamState:
        """Ideal direct programming to conductance g (clipped to the device range)."""
        return VteamState(torch.clamp(1.0 / g.to(torch.float64), self.p.r_on, self.p.r_off))

    def conductance_range(self) -> tuple[float, float]:
        """(G_min, G_max) in S."""
        return 1.0 / self.p.r_off, 1.0 / self.p.r_on

    def voltage_for_delta_r(self, dr: torch.Tensor) -> torch.Tensor:
        """Exact inverse of :meth:`delta_r`: the voltage whose pulse changes R by ``dr`` (SET for dr<0)."""
        p = self.p
        set_v = torch.clamp(-dr * p.g_ref / p.k_set, min=0.0) ** (1.0 / p.a_set)
        reset_v = torch.clamp(dr * p.g_ref / p.k_reset, min=0.0) ** (1.0 / p.a_reset)
        return torch.where(dr < 0, set_v, -reset_v)
