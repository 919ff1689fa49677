"""Compiled (numba) row/column pulse scheme of ``pulse_scheme.DeviceSynapses`` for fused simulation loops.

Same scheme as the torch implementation (Liu et al., DATE 2023): a postsynaptic spike pulses its whole row with
``pre_encoding(te)`` (width ``width_pot``), a presynaptic spike its whole column with ``post_encoding(to)``
(``width_dep``); approximate BP gives column i ``count_i`` pulses with the error-encoded row voltages. Programming
energy G·V²·t (G before each pulse) and the number of non-zero pulses are added to ``acc = [energy, pulses]``; the
weights ``w = G/G1`` of touched devices are refreshed in place.

Encodings are packed as float vectors ``[code, …]``: code 0 → 0 V, 1 → logarithmic
``sign·max(offset + slope·ln(scale·x)/ln(base), 0)``, 2 → exact inverse of the VTEAM power law for ΔR = k·x, 3 → the
same for the very device model it drives, whose pulse then changes R by k·x in closed form (no power law evaluated
back from the voltage).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from numba import njit, prange

from ..devices.jit import (CHEN_YU, LUT, NO_DEVICE, VTEAM, JitDevice, bilinear, chen_yu_pulse_many,
                           conductance, pack_device, pulses, voltage_terms, zero_volt_noop)
from ..errors import ConfigError
from ..kernel_cache import drop_stale
from .pulse_scheme import DeviceSynapses, InverseEncoding, LogEncoding

NO_ENCODING = np.zeros(7, dtype=np.float64)


def pack_encoding(enc: Any, device: Any = None) -> np.ndarray:
    """Pack a :class:`LogEncoding` or :class:`InverseEncoding` (None: always 0 V); an inverse encoding of the
    parameters of ``device`` (the driven model) gets code 3."""
    if enc is None:
        return NO_ENCODING
    if isinstance(enc, LogEncoding):
        return np.array([1, enc.offset, enc.slope, math.log(enc.base), enc.scale, enc.sign, 0], dtype=np.float64)
    if isinstance(enc, InverseEncoding):
        p = enc.device.p
        code = 3 if device is not None and getattr(device, "p", None) == p else 2
        return np.array([code, enc.dr_per_unit, p.g_ref, p.k_set, p.a_set, p.k_reset, p.a_reset], dtype=np.float64)
    raise ConfigError(f"no compiled kernel for encoding {type(enc).__name__}")


@njit(cache=True, inline="always")
def encode(enc, x):  # pragma: no cover - compiled
    """Pulse voltage of trace/error value x ≥ 0."""
    code = enc[0]
    if code == 1.0:
        if x <= 0.0:
            return 0.0
        return enc[5] * max(enc[1] + enc[2] * math.log(enc[4] * x) / enc[3], 0.0)
    if code >= 2.0:
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
        self.pre = pack_encoding(syn.pre_encoding, syn.device)
        self.post = pack_encoding(syn.post_encoding, syn.device)
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

@njit(cache=True)
def line_buffers(n):  # pragma: no cover - compiled
    """Scratch arrays of the pulse kernels for up to n lines, allocated once per sample by the callers:
    (idx, codes, voltage cells, voltages, widths, terms [3, n], ones, energy [1], floats [13, n], row order [n])."""
    return (np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64), np.empty(n),
            np.empty(n), np.empty((3, n)), np.ones(n, dtype=np.int64), np.zeros(1), np.empty((13, n)),
            np.empty(n, dtype=np.int64))


@njit(cache=True, inline="always")
def _line_terms(dev, x, enc_pos, enc_neg, sign, faithful, vmin, width_pos, width_neg, skip_zero, idx, vs, ws, codes,
                xs, js):  # pragma: no cover - compiled
    """Pulse terms of every line k, computed once for all devices pulsed alike: voltage sign·(enc_pos(x⁺) +
    enc_neg(x⁻)) of the line's value x[k] (faithful LUT depression: only |V| ≥ vmin acts, with flipped sign), width
    width_pos for V > 0, width_neg otherwise; 0 V lines are dropped if ``skip_zero`` (x = 0 is not even encoded).
    Fills idx/vs/ws/codes/xs/js and returns their number."""
    kind, prm, pg, pv, pdg, dg, dv, ddg = dev
    exact = kind == VTEAM and sign > 0.0 and not faithful  # code-3 encodings: ΔR = k·x in closed form
    n = 0
    for k in range(x.shape[0]):
        xk = x[k]
        if skip_zero and xk == 0.0:
            continue
        enc = enc_pos if xk >= 0.0 else enc_neg
        v = encode(enc, abs(xk))
        if faithful:
            v = -v if v >= vmin else 0.0
        v = sign * v
        if skip_zero and v == 0.0:
            continue
        idx[n] = k
        vs[n] = v
        ws[n] = width_pos if v > 0.0 else width_neg
        if exact and enc[0] == 3.0:
            codes[n], xs[0, n], js[n] = 1, (enc[1] * abs(xk) if v != 0.0 else 0.0), 0
        else:
            codes[n], xs[0, n], xs[1, n], xs[2, n], js[n] = voltage_terms(kind, prm, pg, pv, pdg, dg, dv, ddg, v,
                                                                          ws[n])
        n += 1
    return n


@njit(cache=True)
def _pulse_lines(dev, w, st, fixed, counts, x, enc_pos, enc_neg, widths, skip_zero, faithful, vmin, flags, acc,
                 by_row, buf):  # pragma: no cover - compiled
    """Every fixed line f (row if ``by_row``, else column) gets counts[f] pulses at each crossing line k, of the
    voltage that line k's value x[k] encodes (:func:`_line_terms`; width widths[0] for V > 0, widths[1] otherwise);
    the pulse terms depend on k only and are computed once. Lines with counts ≤ 0 and (if ``skip_zero``) 0 V
    crossings are skipped. ``buf``: :func:`line_buffers` for at least x.shape[0] lines."""
    idx, codes, js, vs, ws, xs, _, energy, scratch, order = buf
    sign = -1.0 if flags[4] != 0.0 else 1.0
    n = _line_terms(dev, x, enc_pos, enc_neg, sign, faithful, vmin, widths[0], widths[1], skip_zero, idx, vs, ws,
                    codes, xs, js)
    _model_loop(dev, w, st, fixed, counts, n, idx, vs, ws, codes, xs, js, energy, flags[7], by_row, scratch, order,
                False)
    acc[0] += energy[0]
    acc[1] += _live_pulses(vs, n, counts, fixed.shape[0])


@njit(cache=True, inline="always")
def _live_pulses(vs, n, counts, n_fixed):  # pragma: no cover - compiled
    """Non-zero pulses: the count of each of the n_fixed fixed lines on each crossing line with a non-zero
    voltage."""
    live = 0
    for q in range(n):
        live += vs[q] != 0.0
    total = 0
    for f in range(n_fixed):
        total += max(counts[f], 0)
    return float(live * total)


@njit(cache=True, inline="always")
def _model_loop(dev, w, st, fixed, counts, n, idx, vs, ws, codes, xs, js, energy, g1, by_row, scratch, order,
                weak):  # pragma: no cover - compiled
    """The pulses of :func:`_pulse_lines` on the fixed lines ``fixed`` (counts alike), energy[0] = their programming
    energy: one copy of the loop per model, so that the model is a constant inside it (no per-pulse dispatch).
    ``weak``: the pulses move states little (approximate BP), so Chen–Yu devices first try the carried exponentials
    of ``devices.jit.chen_yu_pulse_many``; STDP pulses (≈ 1 % a pulse) take its exact path directly."""
    kind = dev[0]
    if kind == VTEAM:
        _pulse_loop(VTEAM, dev, w, st, fixed, counts, n, idx, vs, ws, codes, xs, js, energy, g1, by_row)
    elif kind == CHEN_YU:  # vectorised across the lines
        _gathered_loop(CHEN_YU, dev, w, st, fixed, counts, n, idx, vs, ws, codes, xs, js, energy, g1, by_row, scratch,
                       order, weak)
    else:  # look-up tables
        _gathered_loop(LUT, dev, w, st, fixed, counts, n, idx, vs, ws, codes, xs, js, energy, g1, by_row, scratch,
                       order, weak)


@njit(cache=True, inline="always")
def _pulse_loop(kind, dev, w, st, fixed, counts, n, idx, vs, ws, codes, xs, js, energy, g1,
                by_row):  # pragma: no cover - compiled
    """The pulse loop of :func:`_pulse_lines`: energy[0] = programming energy."""
    _, prm, pg, pv, pdg, dg, dv, ddg = dev
    energy[0] = 0.0
    for f in range(fixed.shape[0]):
        c = counts[f]
        if c <= 0:
            continue
        for q in range(n):
            j, i = (fixed[f], idx[q]) if by_row else (idx[q], fixed[f])
            s = st[j, i]
            terms = (codes[q], xs[0, q], xs[1, q], xs[2, q], js[q])
            s1 = pulses(kind, prm, pg, pv, pdg, dg, dv, ddg, s, vs[q], ws[q], terms, c, energy)
            if s1 != s:  # otherwise the weight already equals conductance/g1
                st[j, i] = s1
                w[j, i] = conductance(kind, prm, pg, pv, pdg, dg, dv, ddg, s1) / g1


@njit(cache=True, inline="always")
def _gather(st, line, idx, n, by_row, g, g_old):  # pragma: no cover - compiled
    """g[:n] = g_old[:n] = states of the n devices (crossing lines idx) of the fixed line ``line``."""
    for q in range(n):
        s = st[line, idx[q]] if by_row else st[idx[q], line]
        g[q] = s
        g_old[q] = s


@njit(cache=True, inline="always")
def _write_back(w, st, line, idx, n, by_row, g, g_old, cond, g1):  # pragma: no cover - compiled
    """Store the new states g of the fixed line's devices and their weights cond/g1, where the state changed
    (otherwise the weight already equals conductance/g1)."""
    for q in range(n):
        if g[q] != g_old[q]:
            j, i = (line, idx[q]) if by_row else (idx[q], line)
            st[j, i] = g[q]
            w[j, i] = cond[q] / g1


@njit(cache=True, inline="always")
def _table_round(g, rows, vs, ws, xs, js, grid, table, lo, hi):  # pragma: no cover - compiled
    """One pulse on each device q in ``rows`` (``devices.jit.pulse_terms`` of a table branch); returns Σ G·V²·t."""
    e = 0.0
    for q in rows:
        e += g[q] * vs[q] * vs[q] * ws[q]
        g[q] = min(max(g[q] + (xs[2, q] * bilinear(grid, table, g[q], js[q], xs[0, q])) * xs[1, q], lo), hi)
    return e


@njit(cache=True, inline="always")
def _gathered_loop(kind, dev, w, st, fixed, counts, n, idx, vs, ws, codes, xs, js, energy, g1, by_row, scratch,
                   order, weak):  # pragma: no cover - compiled
    """:func:`_pulse_loop` for Chen–Yu and look-up-table devices: the n devices of each fixed line are gathered and
    pulsed together, then written back where their state changed.

    * Chen–Yu: sub-step by sub-step over all devices (``devices.jit.chen_yu_pulse_many``, vectorised; carried
      exponentials first if ``weak``), which also gives the programming energy and the new conductances.
    * Tables: one round of pulses at a time, every device once per round, so that the devices' chains of dependent
      table look-ups overlap; rows are grouped by table (order: potentiation rows first, depression rows from the
      end) so the rounds do not branch on it. Rows whose voltage is below the tables only take energy.

    scratch: float [13, ≥ n] (states, states before, V²·t, Chen–Yu energies, conductances and work arrays);
    order: int64 [≥ n]."""
    prm, pg, pdg, dg, ddg = dev[1], dev[2], dev[4], dev[5], dev[7]
    g, g_old, v2w = scratch[0], scratch[1], scratch[2]
    n_pot = n_dep = 0
    for q in range(n):
        v2w[q] = vs[q] * vs[q] * ws[q]
        if kind != CHEN_YU:
            if codes[q] == 3:
                order[n_pot] = q
                n_pot += 1
            elif codes[q] != 0:
                n_dep += 1
                order[n - n_dep] = q
    pot, dep = order[:n_pot], order[n - n_dep:n]
    energy[0] = 0.0
    for f in range(fixed.shape[0]):
        c = counts[f]
        if c <= 0:
            continue
        _gather(st, fixed[f], idx, n, by_row, g, g_old)
        if kind == CHEN_YU:
            energy[0] += chen_yu_pulse_many(prm, g, n, xs[0], xs[1], v2w, c, scratch[3], scratch[4], scratch[5:13],
                                            not weak)
            _write_back(w, st, fixed[f], idx, n, by_row, g, g_old, scratch[4], g1)
            continue
        for q in range(n):
            if codes[q] == 0 and vs[q] != 0.0:  # no table entry: the state stays, each pulse takes energy
                energy[0] += c * (g[q] * vs[q] * vs[q] * ws[q])
        en = 0.0
        for _ in range(c):
            en += _table_round(g, pot, vs, ws, xs, js, pg, pdg, prm[0], prm[1])
            en += _table_round(g, dep, vs, ws, xs, js, dg, ddg, prm[0], prm[1])
        energy[0] += en
        _write_back(w, st, fixed[f], idx, n, by_row, g, g_old, g, g1)


@njit(cache=True)
def potentiate_rows(dev, w, st, rows, te, pre_enc, flags, acc, buf):  # pragma: no cover - compiled
    """Every row j in ``rows`` receives voltage pre_enc(te[i]) on every column i (width_pot). 0 V pulses are skipped
    where they change nothing (:func:`devices.jit.zero_volt_noop`)."""
    _pulse_lines(dev, w, st, rows, buf[6], te, pre_enc, NO_ENCODING, (flags[0], flags[0]),
                 zero_volt_noop(dev[0], dev[1], flags[0]), False, 0.0, flags, acc, True, buf)


@njit(cache=True)
def depress_columns(dev, w, st, cols, to, post_enc, flags, acc, buf):  # pragma: no cover - compiled
    """Every column i in ``cols`` receives voltage post_enc(to[j]) on every row j (width_dep); faithful LUT mode
    keeps the original's sign bug (only voltages ≥ the table's smallest depression voltage act, with flipped
    sign)."""
    _pulse_lines(dev, w, st, cols, buf[6], to, post_enc, NO_ENCODING, (flags[1], flags[1]),
                 zero_volt_noop(dev[0], dev[1], flags[1]), flags[2] != 0.0, flags[3], flags, acc, False, buf)


@njit(cache=True)
def _pulse_columns(dev, w, st, cols, counts, n, idx, vs, ws, codes, xs, js, energy, g1, scratch,
                   order):  # pragma: no cover - compiled
    """:func:`_model_loop` on the columns ``cols`` (one share of :func:`count_pulses`); a compiled function of its
    own because numba's parallel-loop lowering fails on the loop inlined into the prange body."""
    _model_loop(dev, w, st, cols, counts, n, idx, vs, ws, codes, xs, js, energy, g1, False, scratch, order, True)


SHARES = 8  #: interleaved shares of the columns pulsed in parallel by :func:`count_pulses`


@njit(cache=True, parallel=True)
def _pulse_shares(dev, w, st, cols, counts, n, idx, vs, ws, codes, xs, js, energy, g1, scratch,
                  order):  # pragma: no cover - compiled
    """:func:`_pulse_columns` on the SHARES interleaved shares of ``cols`` (columns s, s + SHARES, …) in parallel;
    energy[s, 0] = programming energy of share s."""
    for part in prange(SHARES):
        _pulse_columns(dev, w, st, cols[part::SHARES], counts[part::SHARES], n, idx, vs, ws, codes, xs, js,
                       energy[part], g1, scratch[part], order[part])


@njit(cache=True)
def count_pulses(dev, w, st, cols, counts, delta, pre_enc, post_enc, flags, acc, buf):  # pragma: no cover
    """Approximate BP: column i gets counts[i] pulses with the row voltage pre_enc(δ⁺) + post_enc(δ⁻) of the row
    error δ[j] (rows with V ≠ 0 only); width bp_width_pos for V > 0, bp_width_neg otherwise. The BP arrays are
    column-major; ``cols`` = arange(columns). Columns are independent: numba's threads pulse the SHARES interleaved
    shares of them, and the energy is summed share by share in order, so results do not depend on the number of
    threads."""
    idx, codes, js, vs, ws, xs, _, _, _, _ = buf
    n = _line_terms(dev, delta, pre_enc, post_enc, -1.0 if flags[4] != 0.0 else 1.0, False, 0.0, flags[5],
                    flags[6], True, idx, vs, ws, codes, xs, js)
    energy = np.zeros((SHARES, 1))
    m = max(n, 1)
    scratch = np.empty((SHARES, 13, m))
    order = np.empty((SHARES, m), dtype=np.int64)
    _pulse_shares(dev, w, st, cols, counts, n, idx, vs, ws, codes, xs, js, energy, flags[7], scratch, order)
    for part in range(SHARES):
        acc[0] += energy[part, 0]
    acc[1] += _live_pulses(vs, n, counts, cols.shape[0])


drop_stale(globals())
