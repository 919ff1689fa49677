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

from typing import Any

import torch

from ..config import Config, check_positive
from ..errors import ConfigError


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
    """Conductance-based LIF neurons (see module docstring). Several populations with different parameters can
    share one layer (``populations=[(n1, p1), (n2, p2)]``), so that they advance with one set of tensor operations."""

    def __init__(self, n: int = 0, params: ConductanceParams | None = None, *,
                 populations: list[tuple[int, ConductanceParams]] | None = None, dtype: torch.dtype = torch.float64):
        pops = populations if populations is not None else [(n, params or ConductanceParams())]
        for _, p in pops:
            p.validate()
        self.n = sum(k for k, _ in pops)
        self.dtype = dtype
        self.sizes = [k for k, _ in pops]

        def vec(fn: Any) -> torch.Tensor:
            return torch.cat([torch.full((k,), float(fn(p)), dtype=dtype) for k, p in pops])

        self.v_rest = vec(lambda p: p.v_rest)
        self.v_offset_i = vec(lambda p: p.v_offset_i)
        self.k_v = vec(lambda p: 1.0 - math.exp(-1.0 / p.tau))
        self.v_reset = vec(lambda p: p.v_reset)
        self.v_init = vec(lambda p: p.v_init)
        self.v_th = vec(lambda p: p.v_th)
        self.t_refrac = vec(lambda p: p.t_refrac)
        self.d_e = vec(lambda p: math.exp(-1.0 / p.tau_e))
        self.d_i = vec(lambda p: math.exp(-1.0 / p.tau_i))
        self.d_theta = vec(lambda p: math.exp(-1.0 / p.theta_tau) if p.theta_tau else 1.0)
        self.theta_delta = vec(lambda p: p.theta_delta if p.theta_tau else 0.0)
        self.theta_init = vec(lambda p: p.theta_init)
        self.adaptive = any(p.theta_tau is not None for _, p in pops)
        self.clamp = [p.clamp_reset for _, p in pops]
        if len(set(self.clamp)) > 1:
            raise ConfigError("populations of one layer must agree on clamp_reset")
        self.freeze_theta = False
        self.theta = self.theta_init.unsqueeze(0).clone()
        self.reset(1)

    def reset(self, batch: int = 1, *, theta: bool = False) -> None:
        """Initial potentials, zero conductances/spikes; θ is kept (re-initialised only with ``theta=True``) and
        broadcast to the batch."""
        z = lambda: torch.zeros((batch, self.n), dtype=self.dtype)  # noqa: E731
        self.v = self.v_init.expand(batch, -1).clone()
        self.ge, self.gi, self.s, self.refrac = z(), z(), z(), z()
        if theta:
            self.theta = self.theta_init.expand(batch, -1).clone()
        elif self.theta.shape[0] != batch:
            self.theta = self.theta[:1].expand(batch, -1).clone()

    def step(self, input_e: torch.Tensor | float, input_i: torch.Tensor | float = 0.0) -> torch.Tensor:
        """Advance one step; returns the spikes ([B, N], 0/1)."""
        ge = self.ge + input_e
        gi = self.gi + input_i
        refrac = torch.where(self.s != 0, self.t_refrac, self.refrac)
        in_refrac = refrac > 0
        v = self.v
        v = v - ((v - self.v_rest) + v * ge + (v + self.v_offset_i) * gi) * self.k_v
        if self.clamp[0]:
            v = torch.maximum(v, self.v_reset)
        self.ge, self.gi = ge * self.d_e, gi * self.d_i
        s = (v >= self.v_th + self.theta) & ~in_refrac
        self.v = torch.where(in_refrac, self.v_reset, v)
        self.refrac = refrac - in_refrac.to(self.dtype)
        self.s = s.to(self.dtype)
        if self.adaptive and not self.freeze_theta:
            self.theta = self.theta * self.d_theta + self.theta_delta * self.s
        return self.s
