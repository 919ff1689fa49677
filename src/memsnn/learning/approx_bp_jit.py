"""Compiled (numba) training step of one sample for :class:`memsnn.learning.approx_bp.ApproxBpNetwork`.

The same network and rule as the torch path (Liu et al., DATE 2023; spec §2.6, §3.3), fused into one loop: for
t = 1…T−1 one step of the 784-H-10 IF network (input currents from the spiking inputs only, one-step-delayed output
layer, balancing offset −b per presynaptic spike), and at every t divisible by the update interval a zero-input
flush step followed by

* δ2 = onehot(y) − min(c_o, 1),   δ1 = (δ2·(W2 − b))·[c_h > 0]   (W2 before its update)
* ideal: W[:, i] ← max(W[:, i] + lr·δ·c_i, w_min) on columns with c_i ≠ 0;
  devices: c_i pulses on column i with row voltage pre(δ⁺) + post(δ⁻) (``crossbar.pulse_jit.count_pulses``).

Weights and device states are numpy views of the torch tensors, updated in place; the network stores them
column-major, so that the columns of spiking inputs (read every step, written at updates) are contiguous. The torch path
(``ApproxBpNetwork.reference``) stays the step-by-step reference; tests hold both equal.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..crossbar.pulse_jit import count_pulses, line_buffers
from ..devices.jit import vsum
from ..kernel_cache import drop_stale


@njit(cache=True, inline="always")
def _if_step(v, s, x, threshold):  # pragma: no cover - compiled
    """Non-leaky IF with reset to zero in the spiking step (``snn.lif.IF``)."""
    for j in range(v.shape[0]):
        vj = v[j] + x[j]
        sj = 1.0 if vj >= threshold else 0.0
        v[j] = vj * (1 - sj)
        s[j] = sj


@njit(cache=True, inline="always")
def _input_currents(step_ptr, pix, q0, m, w1, cur):  # pragma: no cover - compiled
    """cur[r] = Σ_{i spiking} W1[:, i] for the m steps q0 … q0+m−1 (rows of step_ptr), with W1 fixed over them;
    the spiking columns (contiguous in column-major storage) are added in ascending order, as step by step."""
    for r in range(m):
        c = cur[r]
        c[:] = 0.0
        for k in range(step_ptr[q0 + r], step_ptr[q0 + r + 1]):
            col = w1[:, pix[k]]
            for j in range(c.shape[0]):
                c[j] += col[j]


@njit(cache=True, inline="always")
def _forward(xh, n_in, w2, balance, th_h, th_o, vh, sh, vo, so, xo, reads):  # pragma: no cover - compiled
    """One engine step with hidden input currents xh (overwritten) from n_in input spikes; the output layer reads
    the previous hidden spikes (``sh`` before this step's update). reads += [Σ W1·x, Σ W2·s_h] unless reads is
    empty."""
    no = w2.shape[0]
    xo[:] = 0.0
    n_prev = 0
    for h in range(sh.shape[0]):
        if sh[h] != 0.0:
            n_prev += 1
            for o in range(no):
                xo[o] += w2[o, h]
    if reads.shape[0] != 0:
        reads[0] += vsum(xh, xh.shape[0])  # read-energy totals: summation order free
        reads[1] += vsum(xo, xo.shape[0])
    off = balance * n_in
    for j in range(xh.shape[0]):
        xh[j] -= off
    for o in range(no):
        xo[o] -= balance * n_prev
    _if_step(vh, sh, xh, th_h)
    _if_step(vo, so, xo, th_o)


@njit(cache=True)
def _update(w, st, cols, counts, delta, lr, w_min, ideal, dev, pre_enc, post_enc, flags, acc, buf):  # pragma: no cover
    """One approximate-BP update of a layer from presynaptic counts and row errors."""
    if ideal:
        if not np.any(delta):
            return
        for i in range(w.shape[1]):  # column by column (weights are stored column-major), every row: a row with
            if counts[i] != 0:       # δ = 0 keeps its weight exactly (w + 0 = w and w ≥ w_min already)
                col = w[:, i]
                for j in range(col.shape[0]):
                    col[j] = max(col[j] + lr * delta[j] * counts[i], w_min)
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
    vo = np.zeros(no)
    so = np.zeros(no)
    xh = np.zeros(nh)
    xo = np.zeros(no)
    c_in = np.zeros(ni, dtype=np.int64)
    c_h = np.zeros(nh, dtype=np.int64)
    c_o = np.zeros(no)
    d1 = np.zeros(nh)
    d2 = np.zeros(no)
    cur = np.zeros((interval, nh))
    zero = np.zeros(nh)
    buf = line_buffers(max(nh, no))
    cols1, cols2 = np.arange(ni), np.arange(nh)
    for t in range(1, steps):
        if t == 1 or (t - 1) % interval == 0:  # W1 is fixed until the next update: currents of the whole window
            m = min((t - 1) // interval * interval + interval, steps - 1) - t + 1
            _input_currents(step_ptr, pix, t, m, w1, cur)
            r0 = t
        for flush in range(2 if t % interval == 0 else 1):
            k0 = k1 = 0
            if flush == 0:
                k0, k1 = step_ptr[t], step_ptr[t + 1]
                xh[:] = cur[t - r0]
            else:
                xh[:] = zero
            _forward(xh, k1 - k0, w2, balance, th_h, th_o, vh, sh, vo, so, xo, reads)
            for k in range(k0, k1):
                c_in[pix[k]] += 1
            for h in range(nh):
                c_h[h] += int(sh[h])
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


@njit(cache=True)
def predict_samples(step_ptr, pix, steps, balance, th_h, th_o, w1, w2, out):  # pragma: no cover - compiled
    """Predicted class of every sample b (``out[b]``): argmax of output spike counts over ``steps`` steps from
    reset neurons (ties → lowest index); sample b's inputs at step t are pix[step_ptr[b·steps+t]:…+1]."""
    nh = w1.shape[0]
    no = w2.shape[0]
    no_reads = np.zeros(0)
    vh, sh, xh = np.zeros(nh), np.zeros(nh), np.zeros(nh)
    vo, so, xo, counts = np.zeros(no), np.zeros(no), np.zeros(no), np.zeros(no)
    cur = np.zeros((steps, nh))
    for b in range(out.shape[0]):
        vh[:] = 0.0
        sh[:] = 0.0
        vo[:] = 0.0
        so[:] = 0.0
        counts[:] = 0.0
        _input_currents(step_ptr, pix, b * steps, steps, w1, cur)
        for t in range(steps):
            q = b * steps + t
            xh[:] = cur[t]
            _forward(xh, step_ptr[q + 1] - step_ptr[q], w2, balance, th_h, th_o, vh, sh, vo, so, xo, no_reads)
            for o in range(no):
                counts[o] += so[o]
        out[b] = np.argmax(counts)


drop_stale(globals())
