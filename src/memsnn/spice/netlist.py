"""ngspice netlists of the memristor-emulator network (Jurj, Electronics 13(23), 4665, 2024).

Everything is generated text; one subcircuit definition per kind (emulator, op-amp, neuron), instantiated once per
synapse / class. Sub-circuits:

* ``memsnn_emulator S D phi``: VCCS ``K·(V_D − V_S)`` into node ``o`` (1 TΩ leak), voltage-controlled switch
  (Ron 1 mΩ, Roff 1e20 Ω, Vt 0.5 V) onto the state node ``cmem`` (explicit C), NMOS level 3 (Kp, Vto; W, L, TOX at
  the ngspice defaults, whose gate capacitance dominates the state capacitance).
* ``memsnn_opamp_*``: single-pole op-amp macromodel — input offset source, transconductance into an R∥C integrator
  (DC gain Avol, unity-gain frequency GBW), diode clamps of the integrator node to the supplies (no wind-up), hard
  output limiting to the supplies, output resistance; quiescent current between the supplies.
* ``memsnn_lapicque in_p in_n out``: transimpedance stage (``V(N) = −R_f·I``), inverter, transconductance into R∥C
  (τ = R·C), comparator against the threshold with 0 V / 1 V output levels.
"""

from __future__ import annotations

import dataclasses
import math
import torch

from ..devices.emulator import EmulatorParams
from ..errors import ConfigError
from ..snn.lapicque import LapicqueConfig


def fmt(x: float) -> str:
    """Number in SPICE syntax (plain exponent notation, no scale suffix ambiguity)."""
    return f"{x:.10g}"


@dataclasses.dataclass(frozen=True)
class OpampModel:
    """Single-pole op-amp macromodel parameters."""

    name: str
    avol: float = 1e5
    gbw: float = 100e6
    vos: float = 0.0
    rout: float = 1.0
    rin: float = 100e9
    iq: float = 1e-3
    gm: float = 1e-3  # input transconductance (S); sets the clamp-diode currents

    def subckt(self) -> str:
        r1 = self.avol / self.gm
        c1 = self.gm / (2 * math.pi * self.gbw)
        return "\n".join([
            f".subckt {self.name} inp inn vcc vee out",
            f"Rin inp inn {fmt(self.rin)}",
            f"Iq vcc vee {fmt(self.iq)}",
            f"Vos inpo inp DC {fmt(self.vos)}",
            f"Gin 0 n1 inpo inn {fmt(self.gm)}",
            f"R1 n1 0 {fmt(r1)}",
            f"C1 n1 0 {fmt(c1)}",
            "Dhi n1 vcc memsnn_dclamp",
            "Dlo vee n1 memsnn_dclamp",
            "Blim n2 0 V = max(min(V(n1), V(vcc)), V(vee))",
            "Eout n3 0 n2 0 1",
            f"Rout n3 out {fmt(self.rout)}",
            ".model memsnn_dclamp D(Is=1e-14 N=1)",
            ".ends",
        ])


def emulator_subckt(p: EmulatorParams, name: str = "memsnn_emulator") -> str:
    """The emulator sub-circuit, pins ``S D phi``; state node ``cmem``."""
    return "\n".join([
        f".subckt {name} S D phi",
        f"Gm 0 o D S {fmt(p.k)}",
        f"RR2 o 0 {fmt(p.r_leak)}",
        "Ssw o cmem phi 0 memsnn_switch",
        f"CC 0 cmem {fmt(p.c)}",
        "M1 D cmem S 0 memsnn_nmos",
        f".model memsnn_switch SW(Ron=1e-3 Roff=1e20 Vt={fmt(p.switch_vt)})",
        f".model memsnn_nmos NMOS(level=3 Kp={fmt(p.kp)} Vto={fmt(p.vto)} TOX={fmt(p.tox)} KAPPA={fmt(p.kappa)} "
        f"PHI={fmt(p.phi)})",
        ".ends",
    ])


def neuron_subckt(cfg: LapicqueConfig, name: str = "memsnn_lapicque") -> tuple[str, list[str]]:
    """(the neuron sub-circuit, op-amp sub-circuits it needs); pins ``in_p in_n out``."""
    lin = OpampModel("memsnn_opamp_lin")
    cmp = OpampModel("memsnn_opamp_cmp", gbw=1e9, vos=-cfg.threshold)
    body = "\n".join([
        f".subckt {name} in_p in_n out",
        f"Vcc vcc 0 DC {fmt(cfg.rail)}",
        f"Vee vee 0 DC {fmt(-cfg.rail)}",
        f"Vhi vhi 0 DC {fmt(cfg.v_high)}",
        "Vlo vlo 0 DC 0",
        f"Xtia 0 in_p vcc vee n {lin.name}",
        f"Rf n in_p {fmt(cfg.r_f)}",
        f"Xinv 0 in_n vcc vee v1 {lin.name}",
        f"Ra n in_n {fmt(cfg.r_f)}",
        f"Rb in_n v1 {fmt(cfg.r_f)}",
        f"Gint 0 v2 v1 0 {fmt(cfg.g)}",
        f"Rint v2 0 {fmt(cfg.r)}",
        f"Cint v2 0 {fmt(cfg.c)}",
        f"Xcmp v2 0 vhi vlo out {cmp.name}",
        ".ends",
    ])
    return body, [lin.subckt(), cmp.subckt()]


def pulse(v: float, delay: float, width: float, period: float) -> str:
    """``PULSE(0V v delay 0s 0s width period)`` (rise/fall 0: ngspice uses one time step)."""
    return f"PULSE(0V {fmt(v)}V {fmt(delay)}s 0s 0s {fmt(width)}s {fmt(period)}s)"


@dataclasses.dataclass(frozen=True)
class NetworkStimulus:
    """Pattern j presented during [j·period, j·period + t_pw]; class gates pulsed only when ``train``."""

    patterns: torch.Tensor  # (n_present, n_inputs) input voltages
    t_pw: float
    period: float
    tstep: float
    train: bool
    phi_v: float = 1.2

    @property
    def tstop(self) -> float:
        return self.patterns.shape[0] * self.period


def network_netlist(n_inputs: int, n_classes: int, stim: NetworkStimulus, p: EmulatorParams, cfg: LapicqueConfig,
                    gates: torch.Tensor | None = None, title: str = "memsnn in-situ network") -> tuple[str, list[str]]:
    """(netlist text, saved vector names) of the whole network and its stimulus.

    ``gates`` (classes × inputs) are the initial ``cmem`` voltages (``.ic``; zeros when None).
    """
    if stim.patterns.dim() != 2 or stim.patterns.shape[1] != n_inputs:
        raise ConfigError(f"stimulus patterns have shape {tuple(stim.patterns.shape)}, expected (N, {n_inputs})")
    if stim.train and stim.patterns.shape[0] != n_classes:
        raise ConfigError(f"training presents one pattern per class: got {stim.patterns.shape[0]} for {n_classes}")
    if gates is None:
        gates = torch.zeros(n_classes, n_inputs, dtype=torch.float64)
    neuron, opamps = neuron_subckt(cfg)
    lines = [f"* {title}", ".options TEMP=25C TNOM=25C", emulator_subckt(p), *opamps, neuron, ""]
    in_period = 10 * stim.tstop  # one shot per source within the run
    for i in range(n_inputs):
        prev = "0"
        for j in range(stim.patterns.shape[0]):
            node = f"in{i}" if j == stim.patterns.shape[0] - 1 else f"in{i}_{j}"
            v = float(stim.patterns[j, i])
            lines.append(f"Vin{i}_{j} {node} {prev} {pulse(v, j * stim.period, stim.t_pw, in_period)}")
            prev = node
    for j in range(n_classes):
        if stim.train:
            lines.append(f"Vphi{j} phi{j} 0 {pulse(stim.phi_v, j * stim.period, stim.t_pw, in_period)}")
        else:
            lines.append(f"Vphi{j} phi{j} 0 DC 0")
    for j in range(n_classes):
        for i in range(n_inputs):
            lines.append(f"Xm{j}_{i} op{j} in{i} phi{j}_{i} memsnn_emulator")
            lines.append(f"Vt{j}_{i} phi{j}_{i} phi{j} DC 0")
        lines.append(f"Xn{j} op{j} on{j} out{j} memsnn_lapicque")
        lines.append(f"Rload{j} out{j} 0 1k")
    cmem = [f"xm{j}_{i}.cmem" for j in range(n_classes) for i in range(n_inputs)]
    ic = " ".join(f"V({n})={fmt(float(v))}" for n, v in zip(cmem, gates.flatten().tolist()))
    lines.append(f".ic {ic}")
    saved = [f"in{i}" for i in range(n_inputs)] + [f"phi{j}" for j in range(n_classes)]
    saved += [f"out{j}" for j in range(n_classes)] + [f"xn{j}.v2" for j in range(n_classes)] + cmem
    lines.append(".save " + " ".join(f"V({s})" for s in saved))
    lines.append(f".tran {fmt(stim.tstep)} {fmt(stim.tstop)} uic")
    lines.append(".end")
    return "\n".join(lines) + "\n", saved


def emulator_netlist(p: EmulatorParams, vd: str, tstep: float, tstop: float, phi: float = 1.2, vc0: float = 0.0
                     ) -> tuple[str, list[str]]:
    """One emulator (S at 0 V) with drain source ``vd`` (SPICE source spec, e.g. ``DC 1`` or ``SIN(0 1 1k)``)."""
    text = "\n".join([
        "* memsnn memristor emulator", ".options TEMP=25C TNOM=25C", emulator_subckt(p),
        f"Vd d 0 {vd}", "Vs s 0 DC 0", f"Vphi phi 0 DC {fmt(phi)}", "X1 s d phi memsnn_emulator",
        f".ic V(x1.cmem)={fmt(vc0)}", ".save V(d) V(x1.cmem) I(Vs)", f".tran {fmt(tstep)} {fmt(tstop)} uic", ".end",
    ])
    return text + "\n", ["d", "x1.cmem", "i(vs)"]


def neuron_netlist(cfg: LapicqueConfig, current: float, tstep: float, tstop: float) -> tuple[str, list[str]]:
    """One neuron driven by a DC current step into its summing node (for the threshold check)."""
    neuron, opamps = neuron_subckt(cfg)
    text = "\n".join([
        "* memsnn lapicque neuron", ".options TEMP=25C TNOM=25C", *opamps, neuron,
        f"Iin 0 op PULSE(0 {fmt(current)} 0 1n 1n 1 2)", "Xn op on out memsnn_lapicque", "Rload out 0 1k",
        ".save V(out) V(xn.v2)", f".tran {fmt(tstep)} {fmt(tstop)}", ".end",
    ])
    return text + "\n", ["out", "xn.v2"]
