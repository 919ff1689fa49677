"""Compiled (numba) row/column pulse scheme of ``pulse_scheme.DeviceSynapses`` for fused simulation loops.

Same scheme as the torch implementation (Liu et al., DATE 2023): a postsynaptic spike pulses its whole row with
``pre_encoding(te)`` (width ``width_pot``), a presynaptic spike its whole column with ``post_encoding(to)``
(``width_dep``); approximate BP gives column i ``count_i`` pulses with the error-encoded row voltages. Programming
energy G·V²·t (G before each pulse) and the number of non-zero pulses are added to ``acc = [energy, pulses]``; the
weights ``w = G/G1`` of touched devices are refreshed in place.

Encodings are packed as float vectors ``[code, …]``: code 0 → 0 V, 1 → logarithmic
``sign·max(offset + slope·ln(scale·x)/ln(base), 0)``, 2 → exact inverse of the VTEAM power law for ΔR = k·x.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from numba import njit

from ..devices.jit import CHEN_YU, NO_DEVICE, JitDevice, conductance, pack_device, pulse_terms, pulses, voltage_terms
from ..errors import ConfigError
from .pulse_scheme import DeviceSynapses, InverseEncoding, LogEncoding

NO_ENCODING = np.zeros(7, dtype=np.float64)


def pack_encoding(enc: Any) -> np.ndarray:
    """Pack a :class:`LogEncoding` or :class:`InverseEncoding` (None: always 0 V)."""
    if enc is None:
        return NO_ENCODING
    if isinstance(enc, LogEncoding):
        return np.array([1, enc.offset, enc.slope, math.log(enc.base), enc.scale, enc.sign, 0], dtype=np.float64)
    if isinstance(enc, InverseEncoding):
        p = enc.device.p
        return np.array([2, enc.dr_per_unit, p.g_ref, p.k_set, p.a_set, p.k_reset, p.a_reset], dtype=np.float64)
    raise ConfigError(f"no compiled kernel for encoding {type(enc).__name__}")


@njit(cache=True, inline="always")
def encode(enc, x):  # pragma: no cover - compiled
    """Pulse voltage of trace/error value x ≥ 0."""
    code = enc[0]
    if code == 1.0:
        if x <= 0.0:
            return 0.0
        return enc[5] * max(enc[1] + enc[2] * math.log(enc[4] * x) / enc[3], 0.0)
    if code == 2.0:
        dr = enc[1] * x
        if dr < 0.0:
            return max(-dr * enc[2] / enc[3], 0.0) ** (1.0 / enc[4])
        return -(max(dr * enc[2] / enc[5], 0.0) ** (1.0 / enc[6]))
    return 0.0


class PackedSynapses:
    """A :class:`DeviceSynapses` array viewed by the compiled kernels (numpy views share the torch memory)."""

    def __init__(self, syn: DeviceSynapses):
        self.syn = syn
        self.dev: JitDevice = pack_device(syn.device)
        self.pre = pack_encoding(syn.pre_encoding)
        self.post = pack_encoding(syn.post_encoding)
        self.flags = np.array([syn.width_pot, syn.width_dep, float(syn.faithful_lut_depression),
                               float(syn.device.table.dep_v[0]) if syn.faithful_lut_depression else 0.0,
                               float(syn.invert_polarity), syn.bp_widths[0], syn.bp_widths[1], syn.g1],
                              dtype=np.float64)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(weights, device state) as 2-D numpy views of the current tensors."""
        fields = [getattr(self.syn.state, f) for f in self.syn.state.__dataclass_fields__]
        if len(fields) != 1:
            raise ConfigError("compiled kernels need a device with a single state variable")
        return _as_matrix(self.syn.w), _as_matrix(fields[0])


def kernel_args(syn: Any, packed: "PackedSynapses | None") -> tuple["PackedSynapses | None", tuple]:
    """Arguments of the compiled kernels for plastic synapses ``syn``: (weights, device state, device, pre
    encoding, post encoding, flags); ideal synapses (no ``device``) pass their weights twice and placeholders.
    ``packed`` is the cached packing of ``syn`` (re-made when it belongs to other synapses); returns it too."""
    if not hasattr(syn, "device"):
        w = _as_matrix(syn.w)
        return None, (w, w, NO_DEVICE.args(), NO_ENCODING, NO_ENCODING, np.zeros(8))
    if packed is None or packed.syn is not syn:
        packed = PackedSynapses(syn)
    return packed, (*packed.arrays(), packed.dev.args(), packed.pre, packed.post, packed.flags)


def _as_matrix(t: torch.Tensor) -> np.ndarray:
    """A 2-D numpy view (no copy) of a weight/state tensor: a C- or F-ordered matrix, or [1, No, Ne]."""
    a = t.numpy()
    if a.ndim == 3 and a.shape[0] == 1:
        a = a[0]
    if a.ndim != 2 or not (a.flags.c_contiguous or a.flags.f_contiguous):
        raise ConfigError(f"compiled kernels need a dense 2-D weight/state array, got shape {tuple(t.shape)}")
    return a


# flags: [width_pot, width_dep, faithful_dep, vmin_dep, invert, bp_width_pos, bp_width_neg, g1]

@njit(cache=True, inline="always")
def _pulse_one(kind, prm, pg, pv, pdg, dg, dv, ddg, w, st, j, i, v, width, terms, g1,
               acc):  # pragma: no cover - compiled
    s = st[j, i]
    acc[0] += conductance(kind, prm, pg, pv, pdg, dg, dv, ddg, s) * v * v * width
    if v != 0.0:
        acc[1] += 1.0
    s = pulse_terms(kind, prm, pg, pv, pdg, dg, dv, ddg, s, terms)
    st[j, i] = s
    w[j, i] = conductance(kind, prm, pg, pv, pdg, dg, dv, ddg, s) / g1


@njit(cache=True)
def potentiate_row(dev, w, st, j, ve, flags, acc):  # pragma: no cover - compiled
    """Row j receives voltage ve[i] on every column i (width_pot). 0 V pulses are skipped where they change
    nothing (all models but Chen–Yu, whose gap relaxes at 0 V)."""
    kind, prm, pg, pv, pdg, dg, dv, ddg = dev
    sign = -1.0 if flags[4] != 0.0 else 1.0
    inert = kind != CHEN_YU
    for i in range(w.shape[1]):
        if inert and ve[i] == 0.0:
            continue
        v = sign * ve[i]
        terms = voltage_terms(kind, prm, pg, pv, pdg, dg, dv, ddg, v, flags[0])
        _pulse_one(kind, prm, pg, pv, pdg, dg, dv, ddg, w, st, j, i, v, flags[0], terms, flags[7], acc)


@njit(cache=True)
def depress_columns(dev, w, st, cols, vo, flags, acc):  # pragma: no cover - compiled
    """Every column i in ``cols`` receives voltage vo[j] on every row j (width_dep); faithful LUT mode keeps the
    original's sign bug (only voltages ≥ the table's smallest depression voltage act, with flipped sign)."""
    kind, prm, pg, pv, pdg, dg, dv, ddg = dev
    sign = -1.0 if flags[4] != 0.0 else 1.0
    inert = kind != CHEN_YU
    for j in range(w.shape[0]):
        v = vo[j]
        if flags[2] != 0.0:
            v = -v if v >= flags[3] else 0.0
        v = sign * v
        if inert and v == 0.0:
            continue
        terms = voltage_terms(kind, prm, pg, pv, pdg, dg, dv, ddg, v, flags[1])  # one row: the same pulse
        for i in cols:
            _pulse_one(kind, prm, pg, pv, pdg, dg, dv, ddg, w, st, j, i, v, flags[1], terms, flags[7], acc)


@njit(cache=True)
def count_pulses(dev, w, st, counts, v_rows, flags, acc):  # pragma: no cover - compiled
    """Approximate BP: column i gets counts[i] pulses with the row voltage v_rows[j] (rows with v ≠ 0 only);
    width bp_width_pos for V > 0, bp_width_neg otherwise. Column by column (the BP arrays are column-major), with
    the per-row pulse terms computed once."""
    kind, prm, pg, pv, pdg, dg, dv, ddg = dev
    sign = -1.0 if flags[4] != 0.0 else 1.0
    g1 = flags[7]
    rows = np.nonzero(v_rows)[0]
    nr = rows.shape[0]
    vs, widths = np.empty(nr), np.empty(nr)
    codes, js = np.empty(nr, dtype=np.int64), np.empty(nr, dtype=np.int64)
    xs = np.empty((nr, 3))
    for r in range(nr):
        v = sign * v_rows[rows[r]]
        vs[r] = v
        widths[r] = flags[5] if v > 0.0 else flags[6]
        codes[r], xs[r, 0], xs[r, 1], xs[r, 2], js[r] = voltage_terms(kind, prm, pg, pv, pdg, dg, dv, ddg, v,
                                                                      widths[r])
    for i in range(w.shape[1]):
        n = counts[i]
        if n <= 0:
            continue
        for r in range(nr):
            j = rows[r]
            s = pulses(kind, prm, pg, pv, pdg, dg, dv, ddg, st[j, i], vs[r], widths[r],
                       (codes[r], xs[r, 0], xs[r, 1], xs[r, 2], js[r]), n, acc)
            acc[1] += n
            st[j, i] = s
            w[j, i] = conductance(kind, prm, pg, pv, pdg, dg, dv, ddg, s) / g1
