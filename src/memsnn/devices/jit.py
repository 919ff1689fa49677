"""Compiled (numba) scalar kernels of the Memristor-Spikelearn device models, for fused per-event simulation loops.

The vectorised torch models (``vteam.py``, ``chen_yu.py``, ``lut.py``) stay the reference; these kernels compute
the same equations for one device at a time so that a compiled loop can pulse exactly the devices an event touches
without per-step tensor overhead (tests hold both equal):

* VTEAM-like (Liu et al., DATE 2023): R ← clip(R + (−k_set·V₊^a_set + k_reset·V₋^a_reset)/g_ref, R_on, R_off);
  n identical pulses in closed form (ΔR does not depend on R).
* Chen & Yu 2015 gap model: forward Euler over ``nsubstep`` sub-steps,
  g ← clip(g − v0·Δt/n·[e^{−qEa_g/kT}·e^{γ·field} − e^{−qEa_r/kT}·e^{−γ·field}]), γ = γ0 − β·(g/g1)³.
* look-up table (1T1R): G ← clip(G + (t/t_table)·ΔG(G, V), G_min, G_max) with ΔG bilinear on the (G, V) grid.

A device is packed as ``JitDevice`` (kind code, float parameter vector, the six table arrays) so one compiled
function serves every model.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from ..errors import ConfigError
from ..kernel_cache import drop_stale

VTEAM, CHEN_YU, LUT = 1, 2, 3



def _empty1() -> np.ndarray:
    return np.zeros(2, dtype=np.float64)


def _empty2() -> np.ndarray:
    return np.zeros((2, 2), dtype=np.float64)


@dataclasses.dataclass(frozen=True)
class JitDevice:
    """A device model packed for the compiled kernels."""

    kind: int
    prm: np.ndarray
    pot_g: np.ndarray = dataclasses.field(default_factory=_empty1)
    pot_v: np.ndarray = dataclasses.field(default_factory=_empty1)
    pot_dg: np.ndarray = dataclasses.field(default_factory=_empty2)
    dep_g: np.ndarray = dataclasses.field(default_factory=_empty1)
    dep_v: np.ndarray = dataclasses.field(default_factory=_empty1)
    dep_dg: np.ndarray = dataclasses.field(default_factory=_empty2)

    def args(self) -> tuple:
        """Positional arguments of :func:`pulse` / :func:`pulses` / :func:`conductance` before the device state."""
        return (self.kind, self.prm, self.pot_g, self.pot_v, self.pot_dg, self.dep_g, self.dep_v, self.dep_dg)


#: placeholder for kernels run with ideal (device-free) synapses
NO_DEVICE = JitDevice(0, np.zeros(11))


def pack_device(device: Any) -> JitDevice:
    """Pack a VTEAM, Chen–Yu or look-up-table device model (ConfigError for any other)."""
    from .chen_yu import ChenYuDevice
    from .lut import LutDevice
    from .vteam import VteamDevice

    f64 = lambda *xs: np.array(xs, dtype=np.float64)  # noqa: E731
    if isinstance(device, VteamDevice):
        p = device.p
        return JitDevice(VTEAM, f64(p.r_on, p.r_off, p.k_set, p.a_set, p.k_reset, p.a_reset, p.g_ref))
    if isinstance(device, ChenYuDevice):
        p = device.p
        return JitDevice(CHEN_YU, f64(p.gamma0, p.beta / p.g1**3, p.field_factor, p.gen_factor, p.rec_factor, p.vel0,
                                      p.nsubstep, p.gap_min, p.gap_max, p.g_prefactor, p.g0))
    if isinstance(device, LutDevice):
        t = device.table
        a = lambda x: np.ascontiguousarray(x.numpy(), dtype=np.float64)  # noqa: E731
        return JitDevice(LUT, f64(t.gmin, t.gmax, t.pot_dt, t.dep_dt, float(device.p.mirror_depression),
                                  float(device.p.clamp_voltage)),
                         a(t.pot_g), a(t.pot_v), a(t.pot_dg), a(t.dep_g), a(t.dep_v), a(t.dep_dg))
    raise ConfigError(f"no compiled kernel for device model {type(device).__name__}")


@njit(cache=True, inline="always")
def conductance(kind, prm, pot_g, pot_v, pot_dg, dep_g, dep_v, dep_dg, s):  # pragma: no cover - compiled
    """Conductance (S) of one device with state s (R, gap or G)."""
    if kind == VTEAM:
        return 1.0 / s
    if kind == CHEN_YU:
        return prm[9] * math.exp(-s / prm[10])
    return s


@njit(cache=True, inline="always")
def _axis(grid, x):  # pragma: no cover - compiled
    """(cell i, fraction) of x on an ascending grid: i = the last grid point ≤ x, within [0, N−2]; found by a
    bisection of fixed length without branches on the data (table look-ups of many devices then overlap)."""
    base = 0
    size = grid.shape[0]
    while size > 1:
        half = size // 2
        base = base + half if grid[base + half] <= x else base
        size -= half
    i = min(base, grid.shape[0] - 2)
    return i, (x - grid[i]) / (grid[i + 1] - grid[i])


@njit(cache=True, inline="always")
def bilinear(gg, table, g, j, fv):  # pragma: no cover - compiled
    """Bilinear interpolation of table[G, V] at conductance g and voltage cell (j, fraction fv)."""
    i, fg = _axis(gg, g)
    return (1 - fg) * ((1 - fv) * table[i, j] + fv * table[i, j + 1]) + fg * (
        (1 - fv) * table[i + 1, j] + fv * table[i + 1, j + 1])


@njit(cache=True, inline="always")
def _table_voltage(grid, mag, clamp):  # pragma: no cover - compiled
    vmax = grid[grid.shape[0] - 1]
    if clamp == 0.0 and mag > vmax:
        raise ValueError("pulse voltage exceeds the look-up table's maximum voltage")
    return min(max(mag, grid[0]), vmax)


@njit(cache=True, inline="always")
def _vteam_dr(prm, v):  # pragma: no cover - compiled
    """ΔR of one VTEAM pulse (Ω)."""
    if v > 0.0:  # the other term is exactly 0 (one power instead of two, same result)
        return (-prm[2] * v ** prm[3]) / prm[6]
    if v < 0.0:
        return (prm[4] * (-v) ** prm[5]) / prm[6]
    return 0.0


@njit(cache=True, inline="always")
def voltage_terms(kind, prm, pot_g, pot_v, pot_dg, dep_g, dep_v, dep_dg, v, width):  # pragma: no cover - compiled
    """What a pulse (V, width) does independently of the device state, computed once for many devices pulsed
    alike: (code, x0, x1, x2, j) = VTEAM (1, ΔR, ·, ·, ·); Chen–Yu (V ≠ 0, h = −v0·Δt/n, V·a0/L·q/kT, ·, ·);
    table (branch 0 none / 1 depression / 2 mirrored depression / 3 gate, voltage fraction, t/t_table, sign,
    voltage cell)."""
    if kind == VTEAM:
        return 1, _vteam_dr(prm, v), 0.0, 0.0, 0
    if kind == CHEN_YU:
        return (0 if v == 0.0 else 1), width * (-prm[5] / prm[6]), v * prm[2], 0.0, 0
    mag = abs(v)
    if v < 0.0 and mag >= dep_v[0]:
        j, fv = _axis(dep_v, _table_voltage(dep_v, mag, prm[5]))
        return 1, fv, width / prm[3], 1.0, j
    if v > 0.0:
        if prm[4] != 0.0:  # mirrored depression table
            if mag >= dep_v[0]:
                j, fv = _axis(dep_v, _table_voltage(dep_v, mag, prm[5]))
                return 2, fv, width / prm[3], -1.0, j
        elif mag >= pot_v[0]:
            j, fv = _axis(pot_v, _table_voltage(pot_v, mag, prm[5]))
            return 3, fv, width / prm[2], 1.0, j
    return 0, 0.0, 0.0, 0.0, 0


@njit(cache=True, inline="always")
def pulse_terms(kind, prm, pot_g, pot_v, pot_dg, dep_g, dep_v, dep_dg, s, terms):  # pragma: no cover - compiled
    """State after one pulse given its :func:`voltage_terms`."""
    code, x0, x1, x2, jv = terms
    if kind == VTEAM:
        return min(max(s + x0, prm[0]), prm[1])
    if kind == CHEN_YU:
        nsub = int(prm[6])
        if code == 0:  # 0 V: γ drops out, every sub-step adds the same h·(gen − rec), so clipping once is exact
            return min(max(s + nsub * (x0 * (prm[3] - prm[4])), prm[7]), prm[8])
        g = s
        for _ in range(nsub):
            e = math.exp((prm[0] - prm[1] * g**3) * x1)
            g = min(max(g + x0 * (prm[3] * e - prm[4] / e), prm[7]), prm[8])
        return g
    dg = 0.0
    if code == 3:
        dg = (x2 * bilinear(pot_g, pot_dg, s, jv, x0)) * x1
    elif code != 0:
        dg = (x2 * bilinear(dep_g, dep_dg, s, jv, x0)) * x1
    return min(max(s + dg, prm[0]), prm[1])


@njit(cache=True, inline="always")
def zero_volt_noop(kind, prm, width):  # pragma: no cover - compiled
    """True if a 0 V pulse of this width leaves every state unchanged, bit for bit: VTEAM and look-up tables always;
    Chen–Yu when its 0 V relaxation nsub·h·(gen − rec) (:func:`pulse_terms`) rounds away even at the smallest gap,
    whose spacing is the finest of the range (twice the step is tested in both directions, so ties cannot round
    either way)."""
    if kind != CHEN_YU:
        return True
    d = 2.0 * abs(prm[6] * ((width * (-prm[5] / prm[6])) * (prm[3] - prm[4])))
    return prm[7] + d == prm[7] and prm[7] - d == prm[7]


@njit(cache=True, inline="always")
def pulse(kind, prm, pot_g, pot_v, pot_dg, dep_g, dep_v, dep_dg, s, v, width):  # pragma: no cover - compiled
    """State after one pulse of voltage v and width ``width`` (s).  V > 0 potentiates (SET)."""
    return pulse_terms(kind, prm, pot_g, pot_v, pot_dg, dep_g, dep_v, dep_dg, s,
                       voltage_terms(kind, prm, pot_g, pot_v, pot_dg, dep_g, dep_v, dep_dg, v, width))


#: Taylor coefficients of e^r, highest order first (|r| ≤ ln2/2: truncation below 1e-17 relative)
_EXP_TAYLOR = (1.6059043836821613e-10, 2.08767569878681e-09, 2.505210838544172e-08, 2.755731922398589e-07, 2.7557319223985893e-06, 2.48015873015873e-05, 0.0001984126984126984, 0.001388888888888889, 0.008333333333333333, 0.041666666666666664, 0.16666666666666666, 0.5, 1.0, 1.0)
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that k·_LN2_HI is exact (Cody & Waite)
_LN2_LO = 1.90821492927058770002e-10


@njit(cache=True, inline="always")
def _exp_split(x, hi):  # pragma: no cover - compiled
    """(k, r) with x = k·ln2 + r, |r| ≤ ln2/2, for x clamped to [−708, hi]."""
    xq = min(max(x, -708.0), hi)
    k = np.floor(xq * _LOG2E + 0.5)  # a float (math.floor would convert to int64)
    return k, (xq - k * _LN2_HI) - k * _LN2_LO


@intrinsic
def _bits_as_float(typingctx, bits):  # pragma: no cover - compiled
    """The float64 whose IEEE-754 bit pattern is the int64 ``bits`` (a bit cast, so loops using it still
    vectorise)."""
    if bits != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@intrinsic
def _float_bits(typingctx, x):  # pragma: no cover - compiled
    """The IEEE-754 bit pattern (int64) of the float64 x (a bit cast)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


#: 1.5·2⁵²: for an integer-valued float k with |k| < 2⁵¹, the bits of k + _SHIFTER are those of _SHIFTER plus k
_SHIFTER = 6755399441055744.0
_SHIFTER_BITS = 0x4338000000000000


@njit(cache=True, inline="always")
def _exponent_offset(k):  # pragma: no cover - compiled
    """The integer-valued float k as an int64 offset from the bits of :data:`_SHIFTER`: k without a float → int64
    conversion, which processors without AVX-512 have no vector instruction for (it would keep a loop scalar)."""
    return _float_bits(k + _SHIFTER) - _SHIFTER_BITS


@intrinsic
def wide_vectors(typingctx):  # pragma: no cover - compiled
    """Let the calling function's loops use 512-bit vectors (LLVM function attributes ``prefer-vector-width`` and
    ``min-legal-vector-width``). LLVM keeps to 256 bits by default on AVX-512 processors; on processors without
    AVX-512 the attributes change nothing. Lane-wise loops give the same numbers at any width."""
    def codegen(context, builder, signature, args):
        for attr in ('"prefer-vector-width"="512"', '"min-legal-vector-width"="512"'):
            set.add(builder.function.attributes, attr)  # string attributes: llvmlite's add() knows only keywords
        return context.get_dummy_value()
    return types.void(), codegen


@njit(cache=True, inline="always")
def fexp(x):  # pragma: no cover - compiled
    """exp(x) within 1 ulp (x clamped to [−708, 709]) in code the compiler can vectorise over a loop (libm's exp
    cannot be): x = k·ln2 + r, e^r by a degree-13 Taylor polynomial, 2^k built in the exponent bits."""
    k, r = _exp_split(x, 709.0)
    p = 0.0
    for c in _EXP_TAYLOR:
        p = p * r + c
    return p * _bits_as_float((_exponent_offset(k) + 1023) << 52)


#: the same coefficients split into the even and odd parts of e^r = E(r²) + r·O(r²), highest order first
_EXP_EVEN = _EXP_TAYLOR[1::2]
_EXP_ODD = _EXP_TAYLOR[0::2]


@njit(cache=True, inline="always")
def _taylor_pair(d, even, odd):  # pragma: no cover - compiled
    """(E(d²), d·O(d²)): the even and odd parts of the Taylor polynomial of e^d whose coefficients, highest order
    first, are ``even`` and ``odd`` (:data:`_EXP_EVEN` / :data:`_EXP_ODD` or their tails); e^{±d} ≈ E ± d·O."""
    dd = d * d
    ev = even[0]  # (not 0·dd + c: without fast-math the compiler keeps that multiply-add)
    for c in even[1:]:
        ev = ev * dd + c
    od = odd[0]
    for c in odd[1:]:
        od = od * dd + c
    return ev, d * od


@njit(cache=True, inline="always")
def fexp_pair(x):  # pragma: no cover - compiled
    """(exp(x), exp(−x)) (x clamped to [−708, 708]) from one polynomial evaluation, within 2 ulp and without a
    division: with x = k·ln2 + r, e^{±r} = E(r²) ± r·O(r²) (:data:`_EXP_TAYLOR` split into even and odd terms),
    scaled by 2^{±k} built in the exponent bits."""
    k, r = _exp_split(x, 708.0)
    ev, od = _taylor_pair(r, _EXP_EVEN, _EXP_ODD)
    ki = _exponent_offset(k)
    return (ev + od) * _bits_as_float((ki + 1023) << 52), (ev - od) * _bits_as_float((1023 - ki) << 52)


@njit(cache=True, fastmath={"reassoc", "nsz"})
def vsum(x, n):  # pragma: no cover - compiled
    """Σ x[:n], vectorised (for energy/read totals, whose summation order is free). Not inlined: an inlined copy
    would be compiled without the caller-independent fastmath flags, as a serial chain of additions."""
    t = 0.0
    for q in range(n):
        t += x[q]
    return t


@njit(cache=True, inline="always")
def chen_yu_fast_conductance(prm, s):  # pragma: no cover - compiled
    """:func:`conductance` of a Chen–Yu gap s with :func:`fexp` (vectorisable)."""
    return prm[9] * fexp(-s / prm[10])


#: bound on Σ Δu⁶ over the sub-steps of a call of :func:`chen_yu_pulse_many`, Δu the change of the exponent
#: u = γ·F over a sub-step: e^{±u} carried by Taylor factors to degree 5 then stays within Σ Δu⁶/720 ≤ 2⁻⁵⁶ of exact
#: (:func:`_chen_yu_carried` adds the conductance's share)
CHEN_YU_CARRY_LIMIT = 720.0 * 2.0 ** -56


#: coefficients of the carried factors: e^{±Δu} to degree 5 (sub-steps), e^{−D} to degree 7 (conductance)
_CARRY_EVEN5, _CARRY_ODD5 = _EXP_EVEN[-3:], _EXP_ODD[-3:]
_CARRY_EVEN7, _CARRY_ODD7 = _EXP_EVEN[-4:], _EXP_ODD[-4:]


@njit(cache=True, inline="always")
def _chen_yu_exact(prm, g, n, h, field, v2w, count, energy):  # pragma: no cover - compiled
    """The sub-steps of :func:`chen_yu_pulse_many` with e^{±γ·F} evaluated afresh (:func:`fexp_pair`) at every
    sub-step."""
    g0, b3, gen, rec, lo, hi = prm[0], prm[1], prm[3], prm[4], prm[7], prm[8]
    energy[:n] = 0.0
    for _ in range(count):
        for q in range(n):
            energy[q] += chen_yu_fast_conductance(prm, g[q]) * v2w[q]
        for _ in range(int(prm[6])):
            for q in range(n):
                gq = g[q]
                e, ie = fexp_pair((g0 - b3 * (gq * gq * gq)) * field[q])
                x = gq + h[q] * (gen * e - rec * ie)
                x = x if x > lo else lo
                g[q] = x if x < hi else hi


@njit(cache=True, inline="always")
def _chen_yu_carried(prm, g, n, h, field, v2w, count, energy, work):  # pragma: no cover - compiled
    """The sub-steps of :func:`chen_yu_pulse_many` with e^{±u} (u = γ(g)·F) evaluated once, then carried from
    sub-step to sub-step: Δu = −β'·F·(g'³ − g³) = −β'·F·(g' − g)·(g'² + g'g + g²) (no cancellation),
    e^{±(u + Δu)} = e^{±u}·(E(Δu²) ± Δu·O(Δu²)) (Taylor to degree 5, relative error Δu⁶/720 a sub-step). The
    conductance G = G1·e^{−g/g0} (for the energy and ``work[6]``) is carried from pulse to pulse likewise (degree 7,
    error D⁸/8! for D = Δg/g0 over a pulse). Leaves worst[q] = Σ Δu⁶ + Σ D⁸·6!/8! of device q (so that
    worst/6! bounds the relative error of the carried factors); returns False (states partly updated) as soon as the
    first sub-step exceeds :data:`CHEN_YU_CARRY_LIMIT` on more than an eighth of the devices."""
    g0, b3, gen, rec, lo, hi = prm[0], prm[1], prm[3], prm[4], prm[7], prm[8]
    up, down, worst, hg, hr, bf, cond, start = work[0], work[1], work[2], work[3], work[4], work[5], work[6], work[7]
    inv_len = 1.0 / prm[10]
    for q in range(n):
        gq = g[q]
        up[q], down[q] = fexp_pair((g0 - b3 * (gq * gq * gq)) * field[q])
        hg[q], hr[q], bf[q] = h[q] * gen, h[q] * rec, b3 * field[q]
        cond[q] = chen_yu_fast_conductance(prm, gq)
        worst[q] = 0.0
        energy[q] = 0.0
    for k in range(count):
        for q in range(n):
            energy[q] += cond[q] * v2w[q]
            start[q] = g[q]
        for sub in range(int(prm[6])):
            for q in range(n):
                gq = g[q]
                x = gq + hg[q] * up[q] - hr[q] * down[q]
                x = x if x > lo else lo
                x = x if x < hi else hi
                g[q] = x
                d = (bf[q] * (gq - x)) * (x * (x + gq) + gq * gq)
                ev, od = _taylor_pair(d, _CARRY_EVEN5, _CARRY_ODD5)
                up[q] *= ev + od
                down[q] *= ev - od
                dd = d * d
                worst[q] += dd * dd * dd
            if k == 0 and sub == 0:
                bad = 0
                for q in range(n):
                    bad += not worst[q] <= CHEN_YU_CARRY_LIMIT  # (NaN too)
                if 8 * bad > n:
                    return False
        for q in range(n):  # G = G1·e^{−g/g0} carried over the pulse: Taylor to degree 7, error D⁸/8!
            d = (g[q] - start[q]) * inv_len
            ev, od = _taylor_pair(d, _CARRY_EVEN7, _CARRY_ODD7)
            cond[q] *= ev - od
            dd = d * d
            d4 = dd * dd
            worst[q] += d4 * d4 * (720.0 / 40320.0)  # in units of the bound on Σ Δu⁶
    return True


@njit(cache=True, inline="always")
def _chen_yu_redo(prm, g, n, h, field, v2w, count, energy, saved, work):  # pragma: no cover - compiled
    """Redo with :func:`_chen_yu_exact` the devices whose carried factors exceeded :data:`CHEN_YU_CARRY_LIMIT`
    (worst = work[2]), from their saved gaps, gathered into work rows 0, 1, 3, 4, 5 and 7; their conductances go to
    work[6] like the carried ones."""
    bad, gb, hb, fb, vb, eb = work[0], work[1], work[3], work[4], work[5], work[7]
    m = 0
    for q in range(n):
        if not work[2, q] <= CHEN_YU_CARRY_LIMIT:  # (NaN too)
            bad[m], gb[m], hb[m], fb[m], vb[m] = q, saved[q], h[q], field[q], v2w[q]
            m += 1
    if m == 0:
        return
    _chen_yu_exact(prm, gb, m, hb, fb, vb, count, eb)
    for k in range(m):
        q = int(bad[k])
        g[q], energy[q], work[6, q] = gb[k], eb[k], chen_yu_fast_conductance(prm, gb[k])


@njit(cache=True, fastmath={"contract"}, error_model="numpy")
def chen_yu_pulse_many(prm, g, n, h, field, v2w, count, energy, cond, work, exact=False):  # pragma: no cover
    """``count`` pulses on each of n Chen–Yu devices, gaps g[:n] updated in place; device q's pulse has the
    :func:`voltage_terms` h[q] = −v0·Δt/n and field[q] = V·a0/L·q/kT, and v2w[q] = V²·Δt. Same Euler sub-steps as
    :func:`pulse_terms`, device by device inside each sub-step, so that each sub-step is one vectorised loop, on
    512-bit vectors where the processor has them (:func:`wide_vectors`).

    Most pulses of approximate BP move a gap by ≲ 10⁻⁴ of itself, so the exponent γ·F changes little per sub-step:
    e^{±γ·F} is then carried across the sub-steps (:func:`_chen_yu_carried`, about half the arithmetic of fresh
    exponentials). Devices whose carried factors' error bound exceeds :data:`CHEN_YU_CARRY_LIMIT` are redone from
    their saved gaps with e^{±γ·F} afresh every sub-step (:func:`_chen_yu_redo`, :func:`_chen_yu_exact`,
    :func:`fexp_pair`); the whole call is, if more than an eighth of the devices exceed it in the first sub-step, or
    if ``exact``. Both agree to ≲ 10⁻¹⁴ relative in the gap.

    Leaves energy[q] = Σ over its pulses of G·V²·t (G before each pulse) and cond[q] = G after the last; returns
    Σ energy. work: float [8, ≥ n] scratch. Compiled on its own with contracted multiply-adds."""
    wide_vectors()
    if not exact:
        cond[:n] = g[:n]  # saved for the exact path
        if _chen_yu_carried(prm, g, n, h, field, v2w, count, energy, work):
            _chen_yu_redo(prm, g, n, h, field, v2w, count, energy, cond, work)
            cond[:n] = work[6, :n]
            return vsum(energy, n)
        g[:n] = cond[:n]
    _chen_yu_exact(prm, g, n, h, field, v2w, count, energy)
    for q in range(n):
        cond[q] = chen_yu_fast_conductance(prm, g[q])
    return vsum(energy, n)


@njit(cache=True, inline="always")
def pulses(kind, prm, pot_g, pot_v, pot_dg, dep_g, dep_v, dep_dg, s, v, width, terms, n,
           energy):  # pragma: no cover - compiled
    """State after ``n`` identical pulses (V, width) with :func:`voltage_terms` ``terms``; adds G·V²·t of every
    pulse (G before it) to ``energy[0]`` (nothing for 0 V)."""
    if kind == VTEAM:  # closed form: ΔR is independent of R and clipping is monotone
        if v != 0.0:
            for k in range(n):
                energy[0] += (1.0 / min(max(s + k * terms[1], prm[0]), prm[1])) * v * v * width
        return min(max(s + n * terms[1], prm[0]), prm[1])
    for _ in range(n):
        if v != 0.0:
            energy[0] += conductance(kind, prm, pot_g, pot_v, pot_dg, dep_g, dep_v, dep_dg, s) * v * v * width
        s = pulse_terms(kind, prm, pot_g, pot_v, pot_dg, dep_g, dep_v, dep_dg, s, terms)
    return s


drop_stale(globals())
