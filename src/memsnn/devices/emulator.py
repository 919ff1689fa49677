"""Flux-controlled MOS memristor emulator (capacitor state + NMOS read transistor).

After S. L. Jurj, "PySpice-Simulated In Situ Learning with Memristor Emulation for Single-Layer Spiking Neural
Networks", Electronics 13(23), 4665 (2024), doi:10.3390/electronics13234665, whose emulator follows
arXiv:1711.06819. One emulator is a transconductor ``K`` that pushes ``K·V_DS`` through a voltage-controlled switch
onto a gate capacitor; the gate (state) voltage ``Vc`` sets the channel of an NMOS transistor between drain D and
source S, whose drain current is the synaptic read-out.

Equations (all per device, vectorised over any tensor shape):

* Gate capacitance (Meyer model of a level-3 NMOS, ngspice defaults W = L = 100 µm, TOX = 1e-7 m):
  ``Cox = ε_ox·W·L/TOX ≈ 3.45 pF``, 35× the explicit 0.1 pF capacitor; the total gate capacitance is
  ``C_eff = C + Cgs + Cgd + Cgb`` (``C + Cox`` in the linear region near V_DS = 0, ``C + ⅔Cox`` in saturation).
* Writing (switch on, phi > Vt): ``C_eff(Vc, V_D, V_S)·dVc/dt = K·V_DS − Vc/R_leak``
  (flux-controlled: ``ΔVc ≈ K·∫V_DS dt / C_eff``).
* Holding (switch off): the gate only moves by charge redistribution when a terminal voltage changes:
  ``C_eff·dVc = Cgd·dV_D + Cgs·dV_S`` (bulk tied to 0 V).
* Read law (level 3 with THETA = ETA = VMAX = 0, i.e. the square law):
  ``I_D = Kp·[(Vgs − Vto)·V_DS − V_DS²/2]`` (linear), ``Kp/2·(Vgs − Vto)²`` (saturation), 0 (cut-off);
  drain and source swap roles when ``V_DS < 0``.
"""

from __future__ import annotations

import dataclasses
import math

import torch

from ..errors import ConfigError
from .base import PresetRegistry, masked

EPS_OX = 3.9 * 8.854e-12  # permittivity of SiO2 (F/m), as in SPICE
#: ngspice's lower bound on V_dsat inside its Meyer-capacitance routine (V)
MEYER_MIN_VDSAT = 0.025


@dataclasses.dataclass(frozen=True)
class EmulatorParams:
    """Parameters of one emulator (SI units). Defaults: the in-situ network of Jurj (2024)."""

    k: float = 5e-9  # transconductance of the write VCCS (S)
    kp: float = 1.3e-4  # NMOS transconductance parameter (A/V²)
    c: float = 0.1e-12  # explicit state capacitor (F)
    vto: float = 0.0  # threshold voltage (V)
    r_leak: float = 1e12  # leak resistor of the integration node (Ω)
    switch_vt: float = 0.5  # control-voltage threshold of the write switch (V)
    tox: float = 1e-7  # gate-oxide thickness (m), level-3 default
    w: float = 100e-6  # channel width (m), ngspice default
    l: float = 100e-6  # channel length (m), ngspice default
    phi: float = 0.6  # surface potential (V), level-3 default (enters the Meyer cut-off regions)
    kappa: float = 0.2  # level-3 saturation-field factor (channel-length modulation)
    v_read: float = 1.0  # read voltage used by :meth:`MemristorEmulator.conductance` (V)

    def __post_init__(self) -> None:
        for name in ("k", "kp", "c", "r_leak", "tox", "w", "l", "phi", "v_read"):
            v = getattr(self, name)
            if not (v > 0) or math.isinf(v):
                raise ConfigError(f"emulator parameter {name} must be a positive number, got {v!r}")
        if self.kappa < 0:
            raise ConfigError(f"emulator parameter kappa must be >= 0, got {self.kappa!r}")

    @property
    def cox(self) -> float:
        """Total gate-oxide capacitance ``ε_ox·W·L/TOX`` (F)."""
        return EPS_OX * self.w * self.l / self.tox

    @property
    def c_eff_linear(self) -> float:
        """Effective state capacitance deep in the linear region, ``C + Cox`` (F)."""
        return self.c + self.cox


EMULATOR_PRESETS: PresetRegistry[EmulatorParams] = PresetRegistry("memristor emulator")
EMULATOR_PRESETS.register("jurj2024", EmulatorParams)
EMULATOR_PRESETS.register("jurj2024_iv", lambda: EmulatorParams(k=2e-4))


@dataclasses.dataclass
class EmulatorState:
    """Gate (state) voltage and the terminal voltages the devices currently see (V)."""

    vc: torch.Tensor
    vd: torch.Tensor
    vs: torch.Tensor

    def clone(self) -> "EmulatorState":
        return EmulatorState(self.vc.clone(), self.vd.clone(), self.vs.clone())


def _oriented(vg: torch.Tensor, vd: torch.Tensor, vs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(Vgs, Vds, reversed) with the lower-potential terminal as source (the MOSFET is symmetric)."""
    rev = vd < vs
    vlow = torch.where(rev, vd, vs)
    return vg - vlow, (vd - vs).abs(), rev


def drain_current(p: EmulatorParams, vg: torch.Tensor, vd: torch.Tensor, vs: torch.Tensor | float = 0.0) -> torch.Tensor:
    """Current into the drain terminal D (A): level-3 square law, drain/source swapped when V_D < V_S."""
    vd, vs = torch.broadcast_tensors(torch.as_tensor(vd, dtype=torch.float64), torch.as_tensor(vs, dtype=torch.float64))
    vg = torch.as_tensor(vg, dtype=torch.float64)
    vgs, vds, rev = _oriented(vg, vd, vs)
    vgst = vgs - p.vto
    lin = p.kp * (vgst * vds - 0.5 * vds * vds)
    sat = 0.5 * p.kp * vgst * vgst
    i = torch.where(vgst <= 0, torch.zeros_like(lin), torch.where(vds < vgst, lin, sat))
    return torch.where(rev, -i, i)


def meyer_half_caps(p: EmulatorParams, vg: torch.Tensor, vd: torch.Tensor, vs: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Meyer gate capacitances (half values, as SPICE stores them): (Cgs/2, Cgd/2, Cgb/2) in F.

    Regions (Vgst = Vgs − Vto): accumulation ``Cgb = Cox``; depletion, partly linear in Vgst; saturation
    ``Cgs = ⅔Cox``; linear ``Cgs, Cgd = ⅔Cox·[1 − (Vdsat − Vds)²/(2Vdsat − Vds)²]``, ``⅔Cox·[1 − Vdsat²/(2Vdsat − Vds)²]``.
    """
    cox, phi = p.cox, p.phi
    vgs, vds, rev = _oriented(vg, vd, vs)
    vgst = vgs - p.vto
    vdsat = torch.clamp(vgst, min=MEYER_MIN_VDSAT)
    vddif = 2.0 * vdsat - vds
    f_d = 1.0 - vdsat * vdsat / (vddif * vddif)
    f_s = 1.0 - (vdsat - vds) ** 2 / (vddif * vddif)
    in_lin = vds < vdsat
    zero = torch.zeros_like(vgst)
    # strong inversion
    cgs_on = torch.where(in_lin, cox * f_s / 3.0, torch.full_like(vgst, cox / 3.0))
    cgd_on = torch.where(in_lin, cox * f_d / 3.0, zero)
    # weak inversion (−phi/2 < Vgst <= 0)
    base = vgst * cox / (1.5 * phi) + cox / 3.0
    cgs_w = torch.where(in_lin, base * f_s, base)
    cgd_w = torch.where(in_lin, base * f_d, zero)
    cgb_w = -vgst * cox / (2.0 * phi)
    cgs = torch.where(vgst > 0, cgs_on, torch.where(vgst > -phi / 2, cgs_w, zero))
    cgd = torch.where(vgst > 0, cgd_on, torch.where(vgst > -phi / 2, cgd_w, zero))
    cgb = torch.where(vgst > 0, zero, torch.where(vgst > -phi, cgb_w, torch.full_like(vgst, cox / 2.0)))
    # swap the roles back when the device runs reversed
    return torch.where(rev, cgd, cgs), torch.where(rev, cgs, cgd), cgb


class MemristorEmulator:
    """The emulator behind the common device interface (:mod:`memsnn.devices.base`).

    ``apply_pulse(state, v, width, mask)`` applies drain voltage ``v`` for ``width`` seconds with the write switch
    closed where ``mask`` is true (the class gate phi is high) and returns the drain to its rest value afterwards;
    both edges redistribute charge. ``conductance`` is ``I_D(V_read)/V_read`` once the read voltage is applied.
    """

    def __init__(self, params: EmulatorParams | None = None, *, substeps: int = 50, edge_steps: int = 32):
        self.p = params or EmulatorParams()
        if substeps < 1 or edge_steps < 1:
            raise ConfigError(f"substeps and edge_steps must be >= 1, got {substeps}, {edge_steps}")
        self.substeps = substeps
        self.edge_steps = edge_steps

    # ---------------------------------------------------------------- state
    def init_state(self, shape: tuple[int, ...], generator: torch.Generator | None = None,
                   vc: float | torch.Tensor = 0.0) -> EmulatorState:
        """All gates at ``vc`` (0 V: the ``.ic`` of the original circuits), terminals at 0 V."""
        z = torch.zeros(shape, dtype=torch.float64)
        return EmulatorState(z + torch.as_tensor(vc, dtype=torch.float64), z.clone(), z.clone())

    def c_total(self, vc: torch.Tensor, vd: torch.Tensor, vs: torch.Tensor) -> torch.Tensor:
        """``C + Cgs + Cgd + Cgb`` (F)."""
        cgs, cgd, cgb = meyer_half_caps(self.p, vc, vd, vs)
        return self.p.c + 2.0 * (cgs + cgd + cgb)

    # ---------------------------------------------------------------- edges
    def _slope(self, vc: torch.Tensor, vd: torch.Tensor, vs: torch.Tensor, dvd: torch.Tensor, dvs: torch.Tensor) -> torch.Tensor:
        cgs, cgd, cgb = meyer_half_caps(self.p, vc, vd, vs)
        return (cgd * dvd + cgs * dvs) / (self.p.c / 2.0 + cgs + cgd + cgb)

    def edge(self, state: EmulatorState, vd_new: torch.Tensor | float, vs_new: torch.Tensor | float | None = None,
             mode: str = "ramp") -> EmulatorState:
        """Move the terminals to new voltages with the switch open (charge redistribution onto the gate).

        ``mode="ramp"``: integrate ``C_eff·dVc = Cgd·dV_D + Cgs·dV_S`` along a linear ramp (RK2, ``edge_steps``
        on a grid refined at both ends of the edge).
        ``mode="single_step"``: one trapezoidal step with capacitances averaged over the old and new point, as SPICE
        does when a transient starts from ``UIC`` with a DC source already at its value.
        """
        vd_new = torch.as_tensor(vd_new, dtype=torch.float64).expand_as(state.vd)
        vs_new = state.vs if vs_new is None else torch.as_tensor(vs_new, dtype=torch.float64).expand_as(state.vs)
        dvd, dvs = vd_new - state.vd, vs_new - state.vs
        vc = state.vc
        if mode == "ramp":
            # RK2 on a cosine grid: fine steps at both ends of the edge, where a gate near threshold couples only
            # while |V_DS| < V_dsat (25 mV); the grid is symmetric so that a rise and a fall cancel
            n = self.edge_steps
            for k in range(n):
                a, b = (1 - math.cos(math.pi * k / n)) / 2, (1 - math.cos(math.pi * (k + 1) / n)) / 2
                vd0, vs0 = state.vd + dvd * a, state.vs + dvs * a
                hd, hs = dvd * (b - a), dvs * (b - a)
                mid = vc + 0.5 * self._slope(vc, vd0, vs0, hd, hs)
                vc = vc + self._slope(mid, vd0 + 0.5 * hd, vs0 + 0.5 * hs, hd, hs)
        elif mode == "single_step":
            old = meyer_half_caps(self.p, state.vc, state.vd, state.vs)
            new_vc = vc
            for _ in range(50):
                cgs, cgd, cgb = (a + b for a, b in zip(old, meyer_half_caps(self.p, new_vc, vd_new, vs_new)))
                nxt = vc + (cgd * dvd + cgs * dvs) / (self.p.c + cgs + cgd + cgb)
                if torch.allclose(nxt, new_vc, atol=1e-12, rtol=0):
                    new_vc = nxt
                    break
                new_vc = nxt
            vc = new_vc
        else:
            raise ConfigError(f"edge mode must be 'ramp' or 'single_step', got {mode!r}")
        return EmulatorState(vc, vd_new.clone(), vs_new.clone())

    # ---------------------------------------------------------------- writing
    def _write_rate(self, vc: torch.Tensor, vd: torch.Tensor, vs: torch.Tensor) -> torch.Tensor:
        return (self.p.k * (vd - vs) - vc / self.p.r_leak) / self.c_total(vc, vd, vs)

    def gate_charge(self, g: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """``Q(g) = ∫₀^g C_eff dg'`` for a forward drain-source voltage ``v ≥ 0.025 V`` and ``g = Vgst ≥ 0``.

        Saturation (g ≤ v): ``C_eff = C + ⅔Cox``. Linear (g > v): with ``u = 2g − v`` the Meyer terms reduce to
        ``C_eff = C + Cox − Cox·v²/(3u²)``, so ``Q = Q(v) + (C + Cox)(g − v) + Cox·v²/6·(1/u − 1/v)``.
        """
        c, cox = self.p.c, self.p.cox
        q_sat = (c + 2 * cox / 3) * torch.minimum(g, v)
        u = torch.clamp(2 * g - v, min=1e-30)
        q_lin = (c + cox) * (g - v) + cox * v * v / 6 * (1 / u - 1 / v)
        return q_sat + torch.where(g > v, q_lin, torch.zeros_like(g))

    def gate_moment(self, g: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """``M(g) = ∫₀^g g'·C_eff(g') dg'`` (same regions as :meth:`gate_charge`); ``∫g dt = ΔM/(K·v)`` on a write."""
        c, cox = self.p.c, self.p.cox
        gs = torch.minimum(g, v)
        m_sat = (c + 2 * cox / 3) * gs * gs / 2
        u = torch.clamp(2 * g - v, min=1e-30)
        m_lin = (c + cox) * (g * g - v * v) / 2 - cox * v * v / 12 * (torch.log(u / v) - v / u + 1)
        return m_sat + torch.where(g > v, m_lin, torch.zeros_like(g))

    def _gate_from_charge(self, q: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`gate_charge` (saturation: linear; linear region: larger root of a quadratic in u)."""
        c, cox = self.p.c, self.p.cox
        c_sat = c + 2 * cox / 3
        q_v = c_sat * v
        r = q - q_v  # charge beyond the saturation/linear boundary
        a = (c + cox) / 2
        b = (c + cox) * v / 2 + cox * v / 6 + r
        disc = torch.clamp(b * b - 4 * a * cox * v * v / 6, min=0.0)
        u = (b + torch.sqrt(disc)) / (2 * a)
        return torch.where(r > 0, (u + v) / 2, q / c_sat)

    def _hold_closed_form(self, vc: torch.Tensor, vd: torch.Tensor, vs: torch.Tensor, width: torch.Tensor
                          ) -> tuple[torch.Tensor, torch.Tensor]:
        """Exact charge-balance write ``Q(g₁) = Q(g₀) + K·v·T − leak`` for forward drive; (Vc, valid mask).

        The leak ``∫Vc/R dt`` is evaluated along the leak-free trajectory with :meth:`gate_moment` (first order
        in the leak, whose whole effect is ~0.1 %). ``v = 0`` decays exponentially with the local C_eff. Elsewhere (reverse or tiny drive,
        gate below threshold) ``valid`` is false and the caller integrates numerically.
        """
        v = vd - vs
        g0 = vc - vs - self.p.vto
        drive = (v >= MEYER_MIN_VDSAT) & (g0 >= 0)
        v_safe = torch.where(drive, v, torch.ones_like(v))
        g0_safe = torch.where(drive, g0, torch.zeros_like(g0))
        q0 = self.gate_charge(g0_safe, v_safe)
        g1 = self._gate_from_charge(q0 + self.p.k * v_safe * width, v_safe)
        moment = self.gate_moment(g1, v_safe) - self.gate_moment(g0_safe, v_safe)
        leak = (moment / (self.p.k * v_safe) + (vs + self.p.vto) * width) / self.p.r_leak
        g1 = self._gate_from_charge(q0 + self.p.k * v_safe * width - leak, v_safe)
        idle = v == 0
        decay = vc * torch.exp(-width / (self.p.r_leak * self.c_total(vc, vd, vs)))
        out = torch.where(drive, g1 + vs + self.p.vto, decay)
        return out, drive | idle

    def hold(self, state: EmulatorState, width: torch.Tensor | float, mask: torch.Tensor | None = None,
             method: str = "closed_form") -> EmulatorState:
        """Keep the terminals for ``width`` s; where ``mask`` (switch closed) the gate integrates the flux.

        ``method="closed_form"`` (charge balance, :meth:`gate_charge`) with RK4 only for the devices outside its
        regions; ``method="rk4"``: RK4 with ``substeps`` steps for all (the reference).
        """
        width = torch.as_tensor(width, dtype=torch.float64)
        if method == "closed_form":
            vc, ok = self._hold_closed_form(state.vc, state.vd, state.vs, width)
            need = ~ok if mask is None else (~ok & mask)
            if bool(need.any()):
                vc = torch.where(ok, vc, self.hold(state, width, None, method="rk4").vc)
            return EmulatorState(masked(vc, state.vc, mask), state.vd, state.vs)
        if method != "rk4":
            raise ConfigError(f"hold method must be 'closed_form' or 'rk4', got {method!r}")
        h = width / self.substeps
        vc = state.vc
        for _ in range(self.substeps):
            k1 = self._write_rate(vc, state.vd, state.vs)
            k2 = self._write_rate(vc + 0.5 * h * k1, state.vd, state.vs)
            k3 = self._write_rate(vc + 0.5 * h * k2, state.vd, state.vs)
            k4 = self._write_rate(vc + h * k3, state.vd, state.vs)
            vc = vc + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        return EmulatorState(masked(vc, state.vc, mask), state.vd, state.vs)

    def apply_pulse(self, state: EmulatorState, v: torch.Tensor | float, width: torch.Tensor | float,
                    mask: torch.Tensor | None = None, generator: torch.Generator | None = None) -> EmulatorState:
        """Rising edge to drain voltage ``v``, hold ``width`` (writing where ``mask``), falling edge back to rest."""
        rest = state.vd
        s = self.edge(state, v)
        s = self.hold(s, width, mask)
        return self.edge(s, rest)

    # ---------------------------------------------------------------- reading
    def read_state(self, state: EmulatorState, v: torch.Tensor | float | None = None, mode: str = "ramp") -> EmulatorState:
        """State once the read voltage ``v`` (default ``V_read``) is on the drain (charge redistribution)."""
        return self.edge(state, self.p.v_read if v is None else v, mode=mode)

    def current(self, state: EmulatorState) -> torch.Tensor:
        """Drain current at the state's own terminal voltages (A)."""
        return drain_current(self.p, state.vc, state.vd, state.vs)

    def conductance(self, state: EmulatorState, t: torch.Tensor | float | None = None) -> torch.Tensor:
        """Chord conductance ``I_D(V_read)/V_read`` after the read voltage is applied (S)."""
        rs = self.read_state(state)
        return self.current(rs) / self.p.v_read

    def read(self, state: EmulatorState, noise: float | torch.Tensor = 0.0, t: torch.Tensor | float | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """Conductance with optional relative Gaussian read noise ``G·(1 + noise·N(0,1))``."""
        g = self.conductance(state, t)
        if isinstance(noise, torch.Tensor) or noise:
            g = g * (1.0 + torch.as_tensor(noise, dtype=g.dtype) * torch.randn(g.shape, generator=generator, dtype=g.dtype))
        return g

    # ---------------------------------------------------------------- reference transient
    def transient(self, vc0: torch.Tensor | float, t: torch.Tensor, vd: torch.Tensor, vs: torch.Tensor | float = 0.0,
                  switch_on: torch.Tensor | bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """Step-by-step reference: gate voltage and drain current for sampled waveforms.

        ``t`` (T,), ``vd``/``vs``/``switch_on`` (T, ...) or broadcastable. Semi-implicit update per step:
        ``C_eff·ΔVc = K·V_DS·Δt·[switch] − Vc/R·Δt + Cgd·ΔV_D + Cgs·ΔV_S`` with capacitances at the step midpoint.
        Returns (Vc, I_D), each (T, ...).
        """
        t = torch.as_tensor(t, dtype=torch.float64)
        vd = torch.as_tensor(vd, dtype=torch.float64)
        vs = torch.as_tensor(vs, dtype=torch.float64).expand_as(vd)
        sw = torch.as_tensor(switch_on).expand(vd.shape)
        vc = torch.as_tensor(vc0, dtype=torch.float64).expand_as(vd[0]).clone()
        out = torch.empty_like(vd)
        out[0] = vc
        for n in range(1, t.shape[0]):
            dt = t[n] - t[n - 1]
            vdm, vsm = 0.5 * (vd[n] + vd[n - 1]), 0.5 * (vs[n] + vs[n - 1])
            flux = torch.where(sw[n], self.p.k * (vdm - vsm) - vc / self.p.r_leak, torch.zeros_like(vc)) * dt
            cgs, cgd, cgb = meyer_half_caps(self.p, vc, vdm, vsm)
            ctot = self.p.c + 2 * (cgs + cgd + cgb)
            guess = vc + (flux + 2 * cgd * (vd[n] - vd[n - 1]) + 2 * cgs * (vs[n] - vs[n - 1])) / ctot
            cgs, cgd, cgb = meyer_half_caps(self.p, 0.5 * (vc + guess), vdm, vsm)
            ctot = self.p.c + 2 * (cgs + cgd + cgb)
            vc = vc + (flux + 2 * cgd * (vd[n] - vd[n - 1]) + 2 * cgs * (vs[n] - vs[n - 1])) / ctot
            out[n] = vc
        return out, drain_current(self.p, out, vd, vs)


def pinched_loop(n: int = 1000, t_end: float = 100.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Analytic pinched-hysteresis example of the paper's figure: ``v = sin t``, ``i = exp(−cos t)·sin t``."""
    t = torch.linspace(0.0, t_end, n, dtype=torch.float64)
    v = torch.sin(t)
    return t, v, torch.exp(-torch.cos(t)) * v
