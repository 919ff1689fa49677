"""Conductance-based LIF with excitatory/inhibitory synaptic conductances and an adaptive threshold.

Diehl & Cook, "Unsupervised learning of digit recognition using spike-timing-dependent plasticity", Front.
Comput. Neurosci. 2015, in the discrete-time form of Memristor-Spikelearn (``SecondOrderLayer`` and
``HomeostasisLayer``; Liu et al., DATE 2023). Per step, state ``[B, N]``:

1. ge += input_e,  gi += input_i
2. neurons that spiked in the previous step become refractory for ``t_refrac`` steps
3. v ← v − [(v − v_rest) + v·ge + (v + v_offset_i)·gi]·(1 − exp(−1/τ))   (E_exc = 0, E_inh = −v_offset_i)
4. v ← max(v, v_reset)   (``clamp_reset``; the original always clamps)
5. ge ·= exp(−1/τ_e),  gi ·= exp(−1/τ_i)
6. s = [v ≥ v_th + θ]; refractory neurons: v = v_reset, s = 0, remaining refractory steps −1
7. adaptive threshold (if ``theta_tau``): θ ← θ·exp(−1/θ_τ) + θ_δ·s   (unless frozen)
"""

from __future__ import annotations

import dataclasses
import math

import torch

from ..config import Config, check_positive


@dataclasses.dataclass
class ConductanceParams(Config):
    """Parameters of one conductance-based population (times in steps, potentials in V)."""

    tau: float = 200.0
    v_th: float = -0.072
    v_reset: float = -0.065
    v_rest: float = -0.065
    v_init: float = -0.105
    t_refrac: int = 10
    tau_e: float = 2.0
    tau_i: float = 4.0
    v_offset_i: float = 0.1
    theta_tau: float | None = None  #: steps; None: no adaptive threshold
    theta_delta: float = 0.0
    theta_init: float = 0.0
    clamp_reset: bool = True

    def validate(self) -> None:
        super().validate()
        for name in ("tau", "tau_e", "tau_i"):
            check_positive(name, getattr(self, name))
        check_positive("t_refrac", self.t_refrac, allow_zero=True)
        if self.theta_tau is not None:
            check_positive("theta_tau", self.theta_tau)


#: Diehl & Cook excitatory population of the Memristor-Spikelearn STDP example (0.5 ms steps)
EXCITATORY = ConductanceParams(tau=200.0, v_th=-0.072, v_reset=-0.065, v_rest=-0.065, v_init=-0.105, t_refrac=10,
                               tau_e=2.0, tau_i=4.0, v_offset_i=0.1, theta_tau=2e7, theta_delta=5e-5,
                               theta_init=0.02)
#: inhibitory population of the same example
INHIBITORY = ConductanceParams(tau=20.0, v_th=-0.040, v_reset=-0.045, v_rest=-0.060, v_init=-0.100, t_refrac=4,
                               tau_e=2.0, tau_i=4.0, v_offset_i=0.085)


class ConductanceLIF:
    """A population of conductance-based LIF neurons (see module docstring)."""

    def __init__(self, n: int, params: ConductanceParams, *, dtype: torch.dtype = torch.float64):
        params.validate()
        self.n, self.p, self.dtype = n, params, dtype
        self.k_v = 1.0 - math.exp(-1.0 / params.tau)
        self.d_e = math.exp(-1.0 / params.tau_e)
        self.d_i = math.exp(-1.0 / params.tau_i)
        self.d_theta = math.exp(-1.0 / params.theta_tau) if params.theta_tau else 1.0
        self.freeze_theta = False
        self.theta = torch.full((1, n), params.theta_init, dtype=dtype)
        self.reset(1)

    def reset(self, batch: int = 1, *, theta: bool = False) -> None:
        """Initial potentials, zero conductances/spikes; θ is kept (re-initialised only with ``theta=True``) and
        broadcast to the batch."""
        z = lambda: torch.zeros((batch, self.n), dtype=self.dtype)  # noqa: E731
        self.v = torch.full((batch, self.n), self.p.v_init, dtype=self.dtype)
        self.ge, self.gi, self.s, self.refrac = z(), z(), z(), z()
        if theta:
            self.theta = torch.full((batch, self.n), self.p.theta_init, dtype=self.dtype)
        elif self.theta.shape[0] != batch:
            self.theta = self.theta.expand(batch, -1).clone()

    def step(self, input_e: torch.Tensor | float, input_i: torch.Tensor | float = 0.0) -> torch.Tensor:
        """Advance one step; returns the spikes ([B, N], 0/1)."""
        p = self.p
        ge = self.ge + input_e
        gi = self.gi + input_i
        refrac = torch.where(self.s != 0, torch.full_like(self.refrac, p.t_refrac), self.refrac)
        in_refrac = refrac > 0
        v = self.v
        v = v - ((v - p.v_rest) + v * ge + (v + p.v_offset_i) * gi) * self.k_v
        if p.clamp_reset:
            v = torch.clamp(v, min=p.v_reset)
        self.ge, self.gi = ge * self.d_e, gi * self.d_i
        s = (v >= p.v_th + self.theta) & ~in_refrac
        self.v = torch.where(in_refrac, torch.full_like(v, p.v_reset), v)
        self.refrac = refrac - in_refrac.to(self.dtype)
        self.s = s.to(self.dtype)
        if p.theta_tau is not None and not self.freeze_theta:
            self.theta = self.theta * self.d_theta + p.theta_delta * self.s
        return self.s
