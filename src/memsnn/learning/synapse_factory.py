"""Build plastic synapses (ideal or any Memristor-Spikelearn device) with the trace→voltage encodings of the
STDP and approximate-BP examples (Liu et al., DATE 2023; spec §3.2–3.3).

STDP encodings (te: presynaptic trace → potentiation voltage, to: postsynaptic trace → depression voltage):

* vteam:   exact inverse of the power law so that ΔR_pot = −lr·te/G1, ΔR_dep = +0.01·lr·to/G1
* chen_yu: v = max(V_s + 0.073·log10(te), 0),  −max(V_s + 0.073·(log10(to) − 1), 0)
* lut:     v = max(v1_p + dv_ep·ln(te), 0) (gate),  −max(v1_n + dv_en·ln(to), 0)

Approximate-BP encodings of the error δ (positive part → potentiation, negative part → depression):

* vteam:   ΔR = ∓lr·|δ|/G1 per pulse;  chen_yu: ±max(V_s + 0.073·log10(2|δ|), 0), 1 ns
* lut ("1T1R", mirrored depression table): ±max(v1_n + ln(20|δ|)/30, 0)
* lut_t ("1T1R_T", real gate table for δ > 0): max(v1_p + ln(δ)/95, 0) for 10 ns, −max(v1_n + ln(20|δ|)/30, 0)
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

from ..config import Config, check_choice, check_positive
from ..crossbar.pulse_scheme import DeviceSynapses, InverseEncoding, LogEncoding
from ..devices.chen_yu import CHEN_YU_PRESETS, ChenYuDevice
from ..devices.lut import LUT_PRESETS, LutDevice
from ..devices.vteam import VTEAM_PRESETS, VteamDevice
from .plastic import IdealSynapses

KINDS = ("ideal", "vteam", "chen_yu", "lut", "lut_t")


@dataclasses.dataclass
class SynapseConfig(Config):
    """Which synapse model to use and its rule/encoding parameters."""

    kind: str = "ideal"  #: ideal | vteam | chen_yu | lut | lut_t (lut_t: approximate BP only)
    lr: float = 0.01  #: ideal / vteam learning rate
    g1: float = 1e-4  #: S, conductance of weight 1
    start_voltage: float = 1.48  #: V, chen_yu encoding offset V_s
    dv_decade: float = 0.073  #: V per decade, chen_yu encoding slope
    nsubstep: int = 10  #: chen_yu Euler sub-steps per pulse
    v1_p: float = 0.29  #: V, lut gate-voltage offset
    v1_n: float = 1.45  #: V, lut depression-voltage offset
    dv_ep: float = 0.0105  #: V per e-fold of the trace, lut potentiation
    dv_en: float = 0.0333  #: V per e-fold of the trace, lut depression
    lut_table: str = "memristor/1t1r_Paiyu_15.npz"  #: LUT file (absolute or relative to the data root)
    faithful: bool = False  #: reproduce the original's sign bugs (LUT STDP never depresses; 1T1R BP inverted)

    def validate(self) -> None:
        super().validate()
        check_choice("synapse.kind", self.kind, KINDS)
        check_positive("synapse.lr", self.lr)
        check_positive("synapse.g1", self.g1)
        check_positive("synapse.nsubstep", self.nsubstep)
        for name in ("start_voltage", "dv_decade", "dv_ep", "dv_en"):
            check_positive(f"synapse.{name}", getattr(self, name))


def make_device(cfg: SynapseConfig, data_dir: str | Path | None = None, *, mirror: bool = False) -> Any:
    """The device model of ``cfg.kind``."""
    if cfg.kind == "vteam":
        return VteamDevice(VTEAM_PRESETS.get("spikelearn", g_ref=cfg.g1))
    if cfg.kind == "chen_yu":
        return ChenYuDevice(CHEN_YU_PRESETS.get("spikelearn", nsubstep=cfg.nsubstep))
    preset = "paiyu15_1t1r_mirror" if mirror else "paiyu15_1t1r"
    return LutDevice(LUT_PRESETS.get(preset, table=cfg.lut_table, clamp_voltage=not cfg.faithful), data_dir=data_dir)


def stdp_synapses(cfg: SynapseConfig, shape: tuple[int, ...], data_dir: str | Path | None = None) -> Any:
    """Synapses for device STDP (ideal: A_p = lr, A_n = 0.01·lr, clipped to [0, 1])."""
    cfg.validate()
    if cfg.kind == "ideal":
        return IdealSynapses(shape, a_pot=cfg.lr, a_dep=0.01 * cfg.lr, w_max=1.0, w_min=0.0)
    if cfg.kind == "lut_t":
        from ..errors import ConfigError

        raise ConfigError("synapse.kind 'lut_t' exists for approximate BP only; use 'lut' for STDP")
    dev = make_device(cfg, data_dir)
    if cfg.kind == "vteam":
        pre, post = InverseEncoding(dev, -cfg.lr / cfg.g1), InverseEncoding(dev, 0.01 * cfg.lr / cfg.g1)
    elif cfg.kind == "chen_yu":
        pre = LogEncoding(cfg.start_voltage, cfg.dv_decade, 10)
        post = LogEncoding(cfg.start_voltage - cfg.dv_decade, cfg.dv_decade, 10, sign=-1.0)
    else:
        pre = LogEncoding(cfg.v1_p, cfg.dv_ep)
        post = LogEncoding(cfg.v1_n, cfg.dv_en, sign=-1.0)
    return DeviceSynapses(dev, shape, cfg.g1, pre_encoding=pre, post_encoding=post, width_pot=10e-9, width_dep=1e-9,
                          faithful_lut_depression=cfg.faithful and cfg.kind == "lut")


def bp_synapses(cfg: SynapseConfig, shape: tuple[int, ...], data_dir: str | Path | None = None) -> Any:
    """Synapses for spike-count approximate BP (ideal: W += lr·δ·count with the lr given to ``bp_update``)."""
    cfg.validate()
    if cfg.kind == "ideal":
        return IdealSynapses(shape, w_min=0.0)
    dev = make_device(cfg, data_dir, mirror=cfg.kind == "lut")
    widths = (1e-9, 1e-9)
    if cfg.kind == "vteam":
        pre, post = InverseEncoding(dev, -cfg.lr / cfg.g1), InverseEncoding(dev, cfg.lr / cfg.g1)
    elif cfg.kind == "chen_yu":
        pre = LogEncoding(cfg.start_voltage, cfg.dv_decade, 10, scale=2.0)
        post = LogEncoding(cfg.start_voltage, cfg.dv_decade, 10, scale=2.0, sign=-1.0)
    else:
        post = LogEncoding(cfg.v1_n, 1 / 30, math.e, scale=20.0, sign=-1.0)
        if cfg.kind == "lut":
            pre = LogEncoding(cfg.v1_n, 1 / 30, math.e, scale=20.0)
        else:
            pre, widths = LogEncoding(cfg.v1_p, 1 / 95), (10e-9, 1e-9)
    return DeviceSynapses(dev, shape, cfg.g1, pre_encoding=pre, post_encoding=post, width_pot=10e-9, width_dep=1e-9,
                          invert_polarity=cfg.faithful and cfg.kind == "lut", bp_widths=widths)
