"""Compiled (numba) training step of one sample for :class:`memsnn.learning.approx_bp.ApproxBpNetwork`.

The same network and rule as the torch path (Liu et al., DATE 2023; spec §2.6, §3.3), fused into one loop: for
t = 1…T−1 one step of the 784-H-10 IF network (input currents from the changes of the spiking set between steps,
one-step-delayed output layer, balancing offset −b per presynaptic spike), and at every t divisible by the update
interval a zero-input flush step followed by

* δ2 = onehot(y) − min(c_o, 1),   δ1 = (δ2·(W2 − b))·[c_h > 0]   (W2 before its update)
* ideal: W[:, i] ← max(W[:, i] + lr·δ·c_i, w_min) on columns with c_i ≠ 0;
  devices: c_i pulses on column i with row voltage pre(δ⁺) + post(δ⁻) (``crossbar.pulse_jit.count_pulses``).

Weights and device states are numpy views of the torch tensors, updated in place; the network stores them
column-major, so that the columns of spiking inputs (read every step, written at updates) are contiguous. Window
currents, ideal updates and device pulses run on numba's threads (results independent of their number); validation
(:func:`predict_samples`) splits the samples between them. The torch path (``ApproxBpNetwork.reference``) stays the
step-by-step reference; tests hold both equal up to rounding.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..crossbar.pulse_jit import SHARES, count_pulses, line_buffers
from ..devices.jit import vsum
from ..kernel_cache import drop_stale
from ..snn.encoders import bernoulli_events


@njit(cache=True, inline="always")
def _if_step(v, s, x, offset, threshold):  # pragma: no cover - compiled
    """Non-leaky IF with reset to zero in the spiking step (``snn.lif.IF``), input x − offset."""
    for j in range(v.shape[0]):
        vj = v[j] + (x[j] - offset)
        sj = 1.0 if vj >= threshold else 0.0
        v[j] = vj * (1 - sj)
        s[j] = sj


@njit(cache=True, inline="always")
def _add_rows(c, wt, rows, n, sign, j0, j1):  # pragma: no cover - compiled
    """c ← c + sign·Σ_{k<n} wt[rows[k], j0:j1] (sign ±1, c: j1 − j0 entries), the rows added in order, four per pass
    over c."""
    k = 0
    while k + 4 <= n:
        wa, wb = wt[rows[k], j0:j1], wt[rows[k + 1], j0:j1]
        wc, wd = wt[rows[k + 2], j0:j1], wt[rows[k + 3], j0:j1]
        if sign > 0:
            for j in range(c.shape[0]):
                c[j] = c[j] + wa[j] + wb[j] + wc[j] + wd[j]
        else:
            for j in range(c.shape[0]):
                c[j] = c[j] - wa[j] - wb[j] - wc[j] - wd[j]
        k += 4
    for q in range(k, n):
        wa = wt[rows[q], j0:j1]
        for j in range(c.shape[0]):
            c[j] += sign * wa[j]


@njit(cache=True)
def _input_currents(step_ptr, pix, q0, m, wt, cur, on, off, j0, j1):  # pragma: no cover - compiled
    """cur[r, j0:j1] = Σ_{i spiking} W1[j0:j1, i] for the m steps q0 … q0+m−1 (rows of step_ptr), with W1 fixed over
    them (wt = W1ᵀ, C-contiguous). Step q0 is summed in full; every later step adds the columns of the inputs that
    start spiking and subtracts those that stop (on/off: scratch of ≥ 784 entries). A rate-coded input keeps its
    state between steps with probability p² + (1−p)², so on MNIST about 29 columns change per step against about 104
    spiking; the currents equal the full sums up to rounding, and do not depend on the range [j0, j1)."""
    c = cur[0, j0:j1]
    c[:] = 0.0
    a0, a1 = step_ptr[q0], step_ptr[q0 + 1]
    _add_rows(c, wt, pix[a0:a1], a1 - a0, 1.0, j0, j1)
    for r in range(1, m):
        b0, b1 = step_ptr[q0 + r], step_ptr[q0 + r + 1]
        n_on = n_off = 0
        i, k = a0, b0
        while i < a1 or k < b1:  # merge of the two ascending spike lists
            if k == b1 or (i < a1 and pix[i] < pix[k]):
                off[n_off] = pix[i]
                n_off += 1
                i += 1
            elif i == a1 or pix[k] < pix[i]:
                on[n_on] = pix[k]
                n_on += 1
                k += 1
            else:
                i += 1
                k += 1
        c = cur[r, j0:j1]
        c[:] = cur[r - 1, j0:j1]
        _add_rows(c, wt, on, n_on, 1.0, j0, j1)
        _add_rows(c, wt, off, n_off, -1.0, j0, j1)
        a0, a1 = b0, b1


@njit(cache=True, parallel=True)
def _window_currents(step_ptr, pix, q0, m, wt, cur, on, off):  # pragma: no cover - compiled
    """:func:`_input_currents` of all hidden neurons, numba's threads taking SHARES blocks of them (multiples of 8
    neurons, one cache line)."""
    nh = cur.shape[1]
    for part in prange(SHARES):
        j0 = min(nh, (part * nh // SHARES + 7) // 8 * 8)
        j1 = nh if part == SHARES - 1 else min(nh, ((part + 1) * nh // SHARES + 7) // 8 * 8)
        if j1 > j0:
            _input_currents(step_ptr, pix, q0, m, wt, cur, on[part], off[part], j0, j1)


@njit(cache=True, parallel=True)
def _ideal_update(w, counts, delta, lr, w_min):  # pragma: no cover - compiled
    """W[:, i] ← max(W[:, i] + lr·δ·counts[i], w_min) on the columns with counts[i] ≠ 0, every row (a row with δ = 0
    keeps its weight exactly: w + 0 = w and w ≥ w_min already); weights column-major, numba's threads taking the
    SHARES interleaved shares of the columns."""
    for part in prange(SHARES):
        for i in range(part, w.shape[1], SHARES):
            if counts[i] != 0:
                col = w[:, i]
                for j in range(col.shape[0]):
                    col[j] = max(col[j] + lr * delta[j] * counts[i], w_min)


@njit(cache=True, inline="always")
def _forward(xh, n_in, w2, balance, th_h, th_o, vh, sh, hs, n_h, vo, so, xo, reads):  # pragma: no cover - compiled
    """One engine step with hidden input currents xh (not modified) from n_in input spikes. The output layer reads
    the previous step's hidden spikes, the n_h neurons hs[:n_h]; returns the number of hidden neurons spiking now
    and lists them in hs (sh: their 0/1 spikes). reads += [Σ W1·x, Σ W2·s_h] unless reads is empty."""
    xo[:] = 0.0
    for q in range(n_h):
        col = w2[:, hs[q]]
        for o in range(xo.shape[0]):
            xo[o] += col[o]
    if reads.shape[0] != 0:
        reads[0] += vsum(xh, xh.shape[0])  # read-energy totals: summation order free
        reads[1] += vsum(xo, xo.shape[0])
    _if_step(vh, sh, xh, balance * n_in, th_h)
    _if_step(vo, so, xo, balance * n_h, th_o)
    n = 0
    for h in range(sh.shape[0]):  # branch-free list of the spiking neurons (spikes are unpredictable)
        hs[n] = h
        n += sh[h] != 0.0
    return n


@njit(cache=True)
def _update(w, st, cols, counts, delta, lr, w_min, ideal, dev, pre_enc, post_enc, flags, acc, buf):  # pragma: no cover
    """One approximate-BP update of a layer from presynaptic counts and row errors."""
    if ideal:
        if np.any(delta):
            _ideal_update(w, counts, delta, lr, w_min)
        return
    count_pulses(dev, w, st, cols, counts, delta, pre_enc, post_enc, flags, acc, buf)


@njit(cache=True)
def train_sample(step_ptr, pix, steps, interval, balance, lr, th_h, th_o, label, w1, st1, w2, st2, ideal, w_min,
                 dev1, pre1, post1, flags1, dev2, pre2, post2, flags2, reads, acc1, acc2):  # pragma: no cover
    """Train on one sample: inputs spiking at step t are pix[step_ptr[t]:step_ptr[t+1]] (t = 1 … steps−1).
    reads += [Σ W1·x, Σ W2·s_h] over all steps; acc1/acc2 += [programming energy, pulses] per layer."""
    nh = w1.shape[0]
    no = w2.shape[0]
    ni = w1.shape[1]
    vh = np.zeros(nh)
    sh = np.zeros(nh)
    hs = np.empty(nh, dtype=np.int64)
    n_h = 0
    vo = np.zeros(no)
    so = np.zeros(no)
    xo = np.zeros(no)
    c_in = np.zeros(ni, dtype=np.int64)
    c_h = np.zeros(nh, dtype=np.int64)
    c_o = np.zeros(no)
    d1 = np.zeros(nh)
    d2 = np.zeros(no)
    cur = np.zeros((interval, nh))
    on, off = np.empty((SHARES, ni), dtype=np.int64), np.empty((SHARES, ni), dtype=np.int64)
    zero = np.zeros(nh)
    buf = line_buffers(max(nh, no))
    cols1, cols2 = np.arange(ni), np.arange(nh)
    for t in range(1, steps):
        if t == 1 or (t - 1) % interval == 0:  # W1 is fixed until the next update: currents of the whole window
            m = min((t - 1) // interval * interval + interval, steps - 1) - t + 1
            _window_currents(step_ptr, pix, t, m, w1.T, cur, on, off)
            r0 = t
        for flush in range(2 if t % interval == 0 else 1):
            k0 = k1 = 0
            xh = zero
            if flush == 0:
                k0, k1 = step_ptr[t], step_ptr[t + 1]
                xh = cur[t - r0]
            n_h = _forward(xh, k1 - k0, w2, balance, th_h, th_o, vh, sh, hs, n_h, vo, so, xo, reads)
            for k in range(k0, k1):
                c_in[pix[k]] += 1
            for q in range(n_h):
                c_h[hs[q]] += 1
            for o in range(no):
                c_o[o] += so[o]
        if t % interval != 0:
            continue
        for o in range(no):
            d2[o] = (1.0 if o == label else 0.0) - min(max(c_o[o], 0.0), 1.0)
        for h in range(nh):
            d = 0.0
            if c_h[h] > 0:
                for o in range(no):
                    d += d2[o] * (w2[o, h] - balance)
            d1[h] = d
        _update(w2, st2, cols2, c_h, d2, lr, w_min, ideal, dev2, pre2, post2, flags2, acc2, buf)
        _update(w1, st1, cols1, c_in, d1, lr, w_min, ideal, dev1, pre1, post1, flags1, acc1, buf)
        c_in[:] = 0
        c_h[:] = 0
        c_o[:] = 0.0


@njit(cache=True, parallel=True)
def predict_samples(u, p, cols, cptr, steps, balance, th_h, th_o, w1, w2, shares, out):  # pragma: no cover
    """Predicted class of every sample b (``out[b]``): argmax of output spike counts over ``steps`` steps from
    reset neurons (ties → lowest index). The inputs are Bernoulli draws as for ``snn.encoders.bernoulli_events``
    (sample b: inputs cols[cptr[b]:cptr[b+1]]). The samples are independent: ``shares`` threads take contiguous
    shares of them and each makes the spike events of its samples."""
    nh, ni = w1.shape
    no = w2.shape[0]
    n = out.shape[0]
    shares = max(1, min(n, shares))
    for part in prange(shares):
        no_reads = np.zeros(0)
        vh, sh, hs = np.zeros(nh), np.zeros(nh), np.empty(nh, dtype=np.int64)
        vo, so, xo, counts = np.zeros(no), np.zeros(no), np.zeros(no), np.zeros(no)
        cur = np.zeros((steps, nh))
        on, off = np.empty(ni, dtype=np.int64), np.empty(ni, dtype=np.int64)
        one = np.zeros(2, dtype=np.int64)
        for b in range(part * n // shares, (part + 1) * n // shares):
            c0, c1 = cptr[b], cptr[b + 1]
            one[1] = c1 - c0
            step_ptr, pix = bernoulli_events(u[steps * c0:steps * c1], p[c0:c1], cols[c0:c1], one, steps)
            vh[:] = 0.0
            vo[:] = 0.0
            counts[:] = 0.0
            n_h = 0
            _input_currents(step_ptr, pix, 0, steps, w1.T, cur, on, off, 0, nh)
            for t in range(steps):
                n_h = _forward(cur[t], step_ptr[t + 1] - step_ptr[t], w2, balance, th_h, th_o, vh, sh, hs, n_h,
                               vo, so, xo, no_reads)
                for o in range(no):
                    counts[o] += so[o]
            out[b] = np.argmax(counts)


drop_stale(globals())
