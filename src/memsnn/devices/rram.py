"""Data-driven bipolar RRAM model (Messaris et al., IEEE TCAD 2018, arXiv:1703.01167), as used by Huang et al. 2022.

For a constant bias v applied for Δt (spec §4):

* ``dR/dt = s(v)·f(R, v)``, ``s(v) = A_p(e^{v/t_p} − 1)`` (v > 0), ``A_n(e^{−v/t_n} − 1)`` (v ≤ 0)
* ``f = (r_p(v) − R)²·H(r_p(v) − R)`` (v > 0), ``(R − r_n(v))²·H(R − r_n(v))`` (v ≤ 0)
* ``r_p(v) = a0p + a1p·v``, ``r_n(v) = a0n + a1n·v``

With ``u`` = distance to the boundary (r_p − R for v > 0, R − r_n for v ≤ 0) and ``k = |s(v)|`` the ODE is
``du/dt = −k u²`` (while u > 0), whose exact solution is ``u(Δt) = u0 / (1 + k·u0·Δt)``. The reference integrates
with forward Euler at dt = 1 µs and ``N = int(Δt/dt)`` steps; :func:`pulse_euler` reproduces that path (float64),
:func:`pulse_exact` is the closed form. They differ by at most ≈ 0.42 % for the pulses of the paper.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Sequence

import torch

from ..config import check_positive
from ..errors import ConfigError
from .base import PresetRegistry, masked, noisy_read

Tensorish = torch.Tensor | float


@dataclass(frozen=True)
class RRAMParams:
    """Parameters of the data-driven RRAM model (Messaris et al. 2018; Huang et al. 2022 Table 2)."""

    A_p: float = 0.21388644421061628
    A_n: float = -0.813018367268805
    a0p: float = 37086.67218413958
    a0n: float = 43430.02023698205
    a1p: float = -20193.23957579438
    a1n: float = 34332.85303661032
    t_p: float = 1.6590989889370842
    t_n: float = 1.5148294827972748
    dt: float = 1e-6  # Euler step of the reference integrator (s)
    R_init: float = 11000.0  # centre of the initial-resistance distribution (Ω)
    R_var: float = 8000.0  # width of the uniform initial-resistance distribution (Ω)
    read_disturb_v: float = 0.0  # if ≠ 0: a read pulse of this voltage for read_disturb_width before every read
    read_disturb_width: float = 1e-6

    def validate(self) -> None:
        """Check the parameters (time constants and step positive, initial distribution non-negative)."""
        check_positive("t_p", self.t_p)
        check_positive("t_n", self.t_n)
        check_positive("dt", self.dt)
        check_positive("R_init", self.R_init)
        check_positive("R_var", self.R_var, allow_zero=True)
        if self.R_init - self.R_var / 2 <= 0:
            raise ConfigError(f"R_init - R_var/2 must be > 0, got {self.R_init - self.R_var / 2}")


RRAM_PRESETS: PresetRegistry[RRAMParams] = PresetRegistry("RRAM")
RRAM_PRESETS.register("huang2022", RRAMParams)
RRAM_PRESETS.register("messaris2018", RRAMParams)


@dataclass
class RRAMState:
    """Device state: the resistance R (Ω) of every device (float64 tensor of any shape)."""

    R: torch.Tensor


def _as_tensor(x: Tensorish, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(x, dtype=like.dtype, device=like.device)


def rate_and_boundary(p: RRAMParams, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(k = |s(v)|, boundary r_p(v) or r_n(v), direction +1 for v > 0 / −1 for v ≤ 0) for a voltage tensor."""
    pos = v > 0
    s = torch.where(pos, p.A_p * torch.expm1(v / p.t_p), p.A_n * torch.expm1(-v / p.t_n))
    boundary = torch.where(pos, p.a0p + p.a1p * v, p.a0n + p.a1n * v)
    direction = torch.where(pos, torch.ones_like(v), -torch.ones_like(v))
    return s.abs(), boundary, direction


def pulse_exact(p: RRAMParams, R0: torch.Tensor, v: Tensorish, width: Tensorish) -> torch.Tensor:
    """Closed-form resistance after a constant pulse (v, width) from R0 (broadcasting)."""
    v_t, w_t = _as_tensor(v, R0), _as_tensor(width, R0)
    k, b, d = rate_and_boundary(p, v_t)
    u0 = d * (b - R0)  # distance to the boundary, > 0 where the device moves
    u = u0 / (1.0 + k * u0 * w_t)
    return torch.where(u0 > 0, b - d * u, R0)


def euler_steps(p: RRAMParams, width: float) -> int:
    """Number of Euler steps the reference takes for a pulse: ``int(width / dt)``."""
    return int(width / p.dt)


def pulse_euler(p: RRAMParams, R0: torch.Tensor, v: Tensorish, width: Tensorish) -> torch.Tensor:
    """Forward-Euler resistance after a pulse, dt = p.dt, ``int(width/dt)`` steps (the reference path).

    ``v`` and ``width`` broadcast against R0; elements with fewer steps stop early (masked).
    """
    v_t, w_t = _as_tensor(v, R0), _as_tensor(width, R0)
    k, b, d = rate_and_boundary(p, v_t)
    n = torch.floor(w_t / p.dt)  # = int(width/dt) of the reference for width >= 0
    shape = torch.broadcast_shapes(R0.shape, k.shape, n.shape)
    u = (d * (b - R0)).expand(shape).clone()
    kdt = (k * p.dt).expand(shape)
    n = n.expand(shape)
    steps = int(n.max().item()) if n.numel() else 0
    for i in range(steps):
        active = (u > 0) & (n > i)
        u = torch.where(active, u - kdt * u * u, u)
    b, d = b.expand(shape), d.expand(shape)
    R0e = R0.expand(shape)
    moved = (d * (b - R0e)) > 0
    return torch.where(moved, b - d * u, R0e)


class EulerResponseTable:
    """The reference Euler responses of pulses of one voltage, tabulated once, evaluated by cubic Hermite interpolation.

    For a fixed voltage the Euler step is the map ``u ← u − c·u²`` (c = k·dt) on the distance u to the boundary, so
    a pulse of N steps is a fixed smooth function φ_N(u). One pass of max(N) steps over a log-spaced grid of u
    records φ_N and its derivative (chain rule, ``φ' = Π(1 − 2c·u_k)``) for every requested N; evaluation is one
    interpolation for all N at once. Relative error ≈ 1e-12: the Euler path at the cost of a lookup.
    """

    def __init__(self, c: float, steps: tuple[int, ...], u_min: float = 1e-2, u_max: float = 1e6,
                 per_decade: int = 400):
        self.c, self.steps = c, steps
        self.log_min = math.log(u_min)
        n = int(round(math.log10(u_max / u_min) * per_decade)) + 1
        self.delta = (math.log(u_max) - self.log_min) / (n - 1)
        self.u_min, self.u_max = u_min, u_max
        grid = torch.exp(self.log_min + self.delta * torch.arange(n, dtype=torch.float64))
        values = torch.empty(len(steps), n, dtype=torch.float64)
        derivs = torch.empty_like(values)
        u, d = grid.clone(), torch.ones_like(grid)
        for k in range(max(steps, default=0) + 1):
            for j, sj in enumerate(steps):
                if sj == k:
                    values[j], derivs[j] = u, d
            live = u > 0
            d = torch.where(live, d * (1.0 - 2.0 * c * u), d)
            u = torch.where(live, u - c * u * u, u)
        self.grid, self.values, self.derivs = grid, values, derivs

    def __call__(self, u0: torch.Tensor) -> torch.Tensor:
        """φ_N(u0) for every N, shape u0.shape + (len(steps),); u0 ≤ 0 stays, tiny u0 follows the first-order map,
        u0 > u_max is integrated step by step."""
        uc = u0.clamp(self.u_min, self.u_max)
        i = ((torch.log(uc) - self.log_min) / self.delta).floor_().clamp_(0, self.grid.numel() - 2).long()
        u_a = self.grid[i]
        h = self.grid[i + 1] - u_a
        s = ((uc - u_a) / h).unsqueeze(-1)
        h = h.unsqueeze(-1)
        va, vb = self.values[:, i].movedim(0, -1), self.values[:, i + 1].movedim(0, -1)
        da, db = self.derivs[:, i].movedim(0, -1), self.derivs[:, i + 1].movedim(0, -1)
        s2, r = s * s, 1 - s
        r2 = r * r
        out = (1 + 2 * s) * r2 * va + s * r2 * h * da + s2 * (3 - 2 * s) * vb + s2 * (s - 1) * h * db
        u0e = u0.unsqueeze(-1)
        small = u0e < self.u_min
        if bool(small.any()):
            out = torch.where(small, u0e * (self.values[:, 0] / self.grid[0]), out)
        big = u0e > self.u_max
        if bool(big.any()):
            cols = []
            for n_steps in self.steps:
                ub = u0.clone()
                for _ in range(n_steps):
                    ub = torch.where(ub > 0, ub - self.c * ub * ub, ub)
                cols.append(ub)
            out = torch.where(big, torch.stack(cols, -1), out)
        return torch.where(u0e > 0, out, u0e)


@functools.lru_cache(maxsize=256)
def _euler_table(c: float, steps: tuple[int, ...]) -> EulerResponseTable:
    return EulerResponseTable(c, steps)


class RRAMDevice:
    """The data-driven RRAM model behind the common device interface (state: resistance R)."""

    def __init__(self, params: RRAMParams | None = None, *, method: str = "exact",
                 dtype: torch.dtype = torch.float64, device: torch.device | str | None = None):
        if method not in ("exact", "euler"):
            raise ConfigError(f"RRAM integration method must be 'exact' or 'euler', got {method!r}")
        self.params = params or RRAMParams()
        self.params.validate()
        self.method = method
        self.dtype = dtype
        self.device = device
        self._coeffs: dict[float, tuple[float, float, float]] = {}

    def coefficients(self, v: float) -> tuple[float, float, float]:
        """(k = |s(v)|, boundary, direction) of a voltage as Python floats (cached)."""
        if v not in self._coeffs:
            k, b, d = rate_and_boundary(self.params, torch.tensor(float(v), dtype=torch.float64))
            self._coeffs[v] = (float(k), float(b), float(d))
        return self._coeffs[v]

    def euler_table(self, v: float, widths: Sequence[float]) -> EulerResponseTable:
        """The (cached, shared between devices) tabulated Euler responses of pulses (v, each width)."""
        return _euler_table(self.coefficients(v)[0] * self.params.dt, tuple(euler_steps(self.params, w) for w in widths))

    def _euler_tabulated(self, R: torch.Tensor, v: float, widths: Sequence[float]) -> torch.Tensor:
        """Euler responses of R to (v, each width), shape R.shape + (len(widths),)."""
        _, b, d = self.coefficients(v)
        u0 = d * (b - R)
        Ru = R.unsqueeze(-1)
        return torch.where(u0.unsqueeze(-1) > 0, b - d * self.euler_table(v, widths)(u0), Ru)

    def init_state(self, shape: tuple[int, ...], generator: torch.Generator | None = None) -> RRAMState:
        """R ~ U[R_init − R_var/2, R_init + R_var/2] (Huang et al. 2022 §3)."""
        p = self.params
        u = torch.rand(shape, generator=generator, dtype=self.dtype, device=self.device)
        return RRAMState(R=p.R_init - p.R_var / 2 + p.R_var * u)

    def pulse(self, R: torch.Tensor, v: Tensorish, width: Tensorish) -> torch.Tensor:
        """Resistance after a pulse with this device's integration method (Euler: tabulated)."""
        if self.method == "exact":
            return pulse_exact(self.params, R, v, width)
        v_t, w_t = torch.broadcast_tensors(_as_tensor(v, R), _as_tensor(width, R))
        shape = torch.broadcast_shapes(R.shape, v_t.shape)
        R, v_t, w_t = R.expand(shape), v_t.expand(shape), w_t.expand(shape)
        out = R.clone()
        for vv in torch.unique(v_t).tolist():
            sel = v_t == vv
            widths, col = torch.unique(w_t[sel], return_inverse=True)
            resp = self._euler_tabulated(R[sel], vv, widths.tolist())
            out[sel] = resp.gather(-1, col.unsqueeze(-1)).squeeze(-1)
        return out

    def predict_options(self, R: torch.Tensor, v: float, widths: Sequence[float]) -> torch.Tensor:
        """Responses to several pulse widths at one voltage, shape R.shape + (len(widths),)."""
        if self.method == "exact":
            w = torch.tensor(list(widths), dtype=R.dtype, device=R.device)
            return pulse_exact(self.params, R.unsqueeze(-1), v, w)
        return self._euler_tabulated(R, v, widths)

    def apply_pulse(self, state: RRAMState, v: Tensorish, width: Tensorish, mask: torch.Tensor | None = None,
                    generator: torch.Generator | None = None) -> RRAMState:
        """New state after a pulse (v, width) on the devices selected by ``mask`` (all if None)."""
        return RRAMState(R=masked(self.pulse(state.R, v, width), state.R, mask))

    def read_resistance(self, state: RRAMState, noise: Tensorish = 0.0, t: Tensorish | None = None,
                        generator: torch.Generator | None = None) -> tuple[torch.Tensor, RRAMState]:
        """Measured R = R·(1 + n·(2u − 1)), u ~ U[0,1) (spec §4), and the state after an optional read-disturb pulse."""
        p = self.params
        if p.read_disturb_v != 0.0:
            state = RRAMState(R=self.pulse(state.R, p.read_disturb_v, p.read_disturb_width))
        noise = noise if isinstance(noise, (int, float)) else _as_tensor(noise, state.R)
        return noisy_read(state.R, noise, generator=generator), state

    def conductance(self, state: RRAMState, t: Tensorish | None = None) -> torch.Tensor:
        """G = 1/R (S)."""
        return 1.0 / state.R

    def read(self, state: RRAMState, noise: Tensorish = 0.0, t: Tensorish | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """Measured conductance 1/R_read."""
        return 1.0 / self.read_resistance(state, noise, t, generator)[0]


def reachable_range(p: RRAMParams, v_pos: float, v_neg: float) -> tuple[float, float]:
    """(lowest, highest) resistance reachable with pulses of v_neg < 0 and v_pos > 0 (the ODE asymptotes)."""
    lo = p.a0n + p.a1n * v_neg
    hi = p.a0p + p.a1p * v_pos
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ConfigError("pulse voltages give a non-finite reachable range")
    return lo, hi
