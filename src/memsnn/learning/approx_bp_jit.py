"""Compiled (numba) training and validation loops of :class:`memsnn.learning.approx_bp.ApproxBpNetwork`.

The same network and rule as the torch path (Liu et al., DATE 2023; spec §2.6, §3.3). Per sample, for t = 1…T−1
one step of the 784-H-10 IF network (balancing offset −b per presynaptic spike, output layer one step behind), and at
every t divisible by the update interval a zero-input flush step followed by

* δ2 = onehot(y) − min(c_o, 1),   δ1 = (δ2·(W2 − b))·[c_h > 0]   (W2 before its update)
* ideal: W[:, i] ← max(W[:, i] + lr·δ·c_i, w_min) on columns with c_i ≠ 0;
  devices: c_i pulses on column i with row voltage pre(δ⁺) + post(δ⁻) (``crossbar.pulse_jit.count_pulses``).

W1 is fixed between updates and a hidden neuron depends only on its own row of W1 and on the inputs, so the hidden
layer runs one update window at a time, in blocks of neurons on numba's threads (:func:`_hidden_window`): a block
keeps its input currents from step to step by adding the columns of the inputs that start spiking and subtracting
those that stop (about 29 of about 104 spiking inputs change per step on MNIST), carries them across an update that
left its rows unchanged (most updates, once training gets going), and in ideal mode first applies the previous
update to its rows of W1 and its columns of W2. The output layer (10 neurons) then runs over the window's hidden
spikes. Results do not depend on the number of threads. Weights and device states are numpy views of the torch
tensors, updated in place, stored column-major (the columns of spiking inputs are contiguous); validation
(:func:`predict_samples`) splits the samples between the threads. The torch path (``ApproxBpNetwork.reference``)
stays the step-by-step reference; tests hold both equal up to rounding."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..crossbar.pulse_jit import SHARES, count_pulses, line_buffers
from ..devices.jit import vsum
from ..kernel_cache import drop_stale
from ..snn.encoders import spike_changes


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
    """c ← c + sign·Σ_{k<n} wt[rows[k], j0:j1] (sign ±1, c: j1 − j0 entries), the rows added in order, eight (then
    four) per pass over c."""
    k = 0
    while k + 8 <= n:
        wa, wb = wt[rows[k], j0:j1], wt[rows[k + 1], j0:j1]
        wc, wd = wt[rows[k + 2], j0:j1], wt[rows[k + 3], j0:j1]
        we, wf = wt[rows[k + 4], j0:j1], wt[rows[k + 5], j0:j1]
        wg, wh = wt[rows[k + 6], j0:j1], wt[rows[k + 7], j0:j1]
        if sign > 0:
            for j in range(c.shape[0]):
                c[j] = c[j] + wa[j] + wb[j] + wc[j] + wd[j] + we[j] + wf[j] + wg[j] + wh[j]
        else:
            for j in range(c.shape[0]):
                c[j] = c[j] - wa[j] - wb[j] - wc[j] - wd[j] - we[j] - wf[j] - wg[j] - wh[j]
        k += 8
    if k + 4 <= n:
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


@njit(cache=True, inline="always")
def _step_change(ev, q, wt, c, j0, j1):  # pragma: no cover - compiled
    """c ← c + Σ W1[j0:j1, i] over the inputs that start spiking at step q − the same over those that stop
    (ev: ``snn.encoders.spike_changes``; wt = W1ᵀ, C-contiguous)."""
    _, _, on_ptr, on_idx, off_ptr, off_idx = ev
    a0, a1 = on_ptr[q], on_ptr[q + 1]
    _add_rows(c, wt, on_idx[a0:a1], a1 - a0, 1.0, j0, j1)
    a0, a1 = off_ptr[q], off_ptr[q + 1]
    _add_rows(c, wt, off_idx[a0:a1], a1 - a0, -1.0, j0, j1)


@njit(cache=True, inline="always")
def _step_sum(ev, q, wt, c, j0, j1):  # pragma: no cover - compiled
    """c ← Σ W1[j0:j1, i] over the inputs spiking at step q."""
    ptr, idx = ev[0], ev[1]
    c[:] = 0.0
    a0, a1 = ptr[q], ptr[q + 1]
    _add_rows(c, wt, idx[a0:a1], a1 - a0, 1.0, j0, j1)


@njit(cache=True, inline="always")
def _spike_list(s, lst, j0):  # pragma: no cover - compiled
    """lst[:n] = j0 + indices of the spiking entries of s (0/1), ascending; returns n. Branch-free: spikes are
    unpredictable."""
    n = 0
    for h in range(s.shape[0]):
        lst[n] = j0 + h
        n += s[h] != 0.0
    return n


@njit(cache=True, inline="always")
def _output_input(w2, hs, n_h, x):  # pragma: no cover - compiled
    """x = Σ_{q < n_h} W2[:, hs[q]]: the synaptic input of the output layer from the hidden neurons hs[:n_h]."""
    x[:] = 0.0
    q = 0
    while q + 2 <= n_h:  # two columns per pass: half as long a chain of dependent additions
        h, g = hs[q], hs[q + 1]
        for o in range(x.shape[0]):
            x[o] += w2[o, h] + w2[o, g]
        q += 2
    if q < n_h:
        h = hs[q]
        for o in range(x.shape[0]):
            x[o] += w2[o, h]


@njit(cache=True, inline="always")
def _hidden_error(d2, w2, c_h, balance, d1, j0, j1):  # pragma: no cover - compiled
    """δ1[h] = Σ_o δ2[o]·(W2[o, h] − b) for hidden neurons h ∈ [j0, j1) that spiked (c_h > 0), else 0; outputs with
    δ2 = 0 add exactly nothing and are skipped, and the sums run over h (vectorised), each in the order of o."""
    d1[j0:j1] = 0.0
    for o in range(d2.shape[0]):
        do = d2[o]
        if do != 0.0:
            for h in range(j0, j1):
                d1[h] += do * (w2[o, h] - balance)
    for h in range(j0, j1):
        d1[h] = d1[h] if c_h[h] > 0 else 0.0


@njit(cache=True, inline="always")
def _output_update(w2, c_h, d2, lr, w_min, j0, j1):  # pragma: no cover - compiled
    """W2[o, h] ← max(W2[o, h] + lr·δ2[o]·c_h[h], w_min) for h ∈ [j0, j1); rows with δ2 = 0 (and columns with
    c_h = 0) keep their weights exactly (w + 0 = w ≥ w_min), so only the rows with δ2 ≠ 0 are visited."""
    for o in range(d2.shape[0]):
        do = d2[o]
        if do != 0.0:
            for h in range(j0, j1):
                w2[o, h] = max(w2[o, h] + lr * do * c_h[h], w_min)


@njit(cache=True, inline="always")
def _update_and_sum(w, cl, nc, counts, delta, lr, w_min, ev, q, summing, c, j0, j1):  # pragma: no cover - compiled
    """W[j0:j1, i] ← max(W[j0:j1, i] + lr·δ[j0:j1]·counts[i], w_min) on the columns i = cl[:nc] (ascending, counts
    ≠ 0; weights column-major) and, if ``summing``,
    c ← Σ W1[j0:j1, i] over the inputs spiking at step q with the updated weights, added while each column is in
    registers, in column order (the same numbers as :func:`_step_sum` after the update)."""
    ptr, idx = ev[0], ev[1]
    d = delta[j0:j1]
    b, b1 = ptr[q], ptr[q + 1]
    if not summing:
        b = b1
    c[:] = 0.0
    a = 0
    while a < nc or b < b1:
        ia = cl[a] if a < nc else w.shape[1]
        ib = idx[b] if b < b1 else w.shape[1]
        col = w[j0:j1, min(ia, ib)]
        if ia < ib:
            for j in range(col.shape[0]):
                col[j] = max(col[j] + lr * d[j] * counts[ia], w_min)
            a += 1
        elif ia == ib:
            for j in range(col.shape[0]):
                col[j] = max(col[j] + lr * d[j] * counts[ia], w_min)
                c[j] += col[j]
            a += 1
            b += 1
        else:
            for j in range(col.shape[0]):
                c[j] += col[j]
            b += 1


@njit(cache=True, parallel=True)
def _hidden_window(ev, q0, m, flush, fresh, update, w1, w2, c_in, cl, nc, c_h, d1, d2, lr, w_min, balance, th, cur, v,
                   sbuf, hl, xp, nspk, bounds, reads):  # pragma: no cover - compiled
    """Hidden layer over one update window (input steps q0 … q0+m−1, then a zero-input step if ``flush``), numba's
    threads taking the blocks [bounds[k], bounds[k+1]) of neurons. Per block, first, if ``update`` (ideal mode): the
    update of the window before — δ1 from δ2 and W2 (before its update), W2[:, h] += lr·δ2·c_h[h] on its neurons,
    W1[h, i] += lr·δ1[h]·c_in[i] on its rows (the columns cl[:nc] with c_in ≠ 0), both clipped at w_min. Then
    c_h ← 0 and the steps: running currents cur (recomputed in full at q0 if ``fresh`` or the block's δ1 ≠ 0 —
    fused with its update —, else carried from step q0 − 1), IF neurons v (sbuf: their 0/1 spikes; hl: scratch),
    counts c_h, and per window step r the block's number of spiking neurons nspk[k, r] and their synaptic output
    xp[k, r] = Σ W2[:, h] (the output layer's input at the next step); reads[k] += Σ currents. (xp and nspk are
    block-major with unused rows between the blocks, so that the two threads never write to one cache line.)"""
    wt = w1.T
    nh = w1.shape[0]
    zero = np.zeros(nh)
    for k in prange(bounds.shape[0] - 1):
        j0, j1 = bounds[k], bounds[k + 1]
        if update and np.any(d2):
            _hidden_error(d2, w2, c_h, balance, d1, j0, j1)
            _output_update(w2, c_h, d2, lr, w_min, j0, j1)
        elif update:
            d1[j0:j1] = 0.0
        changed = np.any(d1[j0:j1])
        c = cur[j0:j1]
        if update and changed:
            _update_and_sum(w1, cl, nc, c_in, d1, lr, w_min, ev, q0, m > 0, c, j0, j1)
        elif m > 0 and (fresh or changed):
            _step_sum(ev, q0, wt, c, j0, j1)
        elif m > 0:
            _step_change(ev, q0, wt, c, j0, j1)
        c_h[j0:j1] = 0
        vb, s, lst = v[j0:j1], sbuf[j0:j1], hl[j0:j1]
        total = 0.0
        for r in range(m + flush):
            x = zero[j0:j1]
            n_in = 0
            if r < m:
                if r > 0:
                    _step_change(ev, q0 + r, wt, c, j0, j1)
                x = c
                n_in = ev[0][q0 + r + 1] - ev[0][q0 + r]
                total += vsum(c, c.shape[0])
            _if_step(vb, s, x, balance * n_in, th)
            n = _spike_list(s, lst, j0)
            nspk[k, r] = n
            _output_input(w2, lst, n, xp[k, r])
            for q in range(n):
                c_h[lst[q]] += 1
        reads[k] += total


@njit(cache=True)
def blocks(n, parts):  # pragma: no cover - compiled
    """Bounds of ``parts`` blocks of n neurons, each starting at a multiple of 8 (one cache line of float64)."""
    b = np.empty(parts + 1, dtype=np.int64)
    for k in range(parts):
        b[k] = min(n, (k * n // parts + 7) // 8 * 8)
    b[parts] = n
    return b


@njit(cache=True)
def train_samples(u, p, cols, cptr, steps, interval, balance, lr, th_h, th_o, labels, w1, st1, w2, st2, ideal,
                  w_min, dev1, pre1, post1, flags1, dev2, pre2, post2, flags2, reads, acc1, acc2):  # pragma: no cover
    """Train on the samples one after another (the original online rule). Their input spikes are Bernoulli draws as
    for ``snn.encoders.spike_changes`` (sample b: inputs cols[cptr[b]:cptr[b+1]]; step 0's draw is not used).
    reads += [Σ W1·x, Σ W2·s_h] over all steps; acc1/acc2 += [programming energy, pulses] per layer."""
    nh, ni = w1.shape
    no = w2.shape[0]
    bounds = blocks(nh, SHARES)
    nb = bounds.shape[0] - 1
    vh, sbuf, cur, d1 = np.zeros(nh), np.zeros(nh), np.zeros(nh), np.zeros(nh)
    hl = np.empty(nh, dtype=np.int64)
    # per block and window step; the spare rows keep the blocks ≥ 64 bytes apart (no cache line shared by threads)
    xp = np.zeros((nb, interval + 3, no))
    nspk = np.zeros((nb, interval + 9), dtype=np.int64)
    vo, so, xo, xn, c_o, d2 = np.zeros(no), np.zeros(no), np.zeros(no), np.zeros(no), np.zeros(no), np.zeros(no)
    c_in = np.zeros(ni, dtype=np.int64)
    cl = np.empty(ni, dtype=np.int64)  # the inputs with c_in ≠ 0, ascending
    nc = 0
    c_h = np.zeros(nh, dtype=np.int64)
    rb = np.zeros(nb)
    buf = line_buffers(max(nh, no))
    cols1, cols2 = np.arange(ni), np.arange(nh)
    pending = False  # an ideal update waits for the next hidden-window call (which applies it first)
    ev = spike_changes(u[:0], p[:0], cols[:0], steps)  # typed before the loop: the last pending update uses it
    for b in range(labels.shape[0]):
        c0, c1 = cptr[b], cptr[b + 1]
        ev = spike_changes(u[steps * c0:steps * c1], p[c0:c1], cols[c0:c1], steps)
        sp, pix = ev[0], ev[1]
        vh[:] = 0.0
        vo[:] = 0.0
        c_o[:] = 0.0
        xn[:] = 0.0  # input of the output layer at the next step
        n_h = 0  # hidden spikes in the step before
        t = 1
        while t < steps:
            t_end = min((t - 1) // interval * interval + interval, steps - 1)
            m = t_end - t + 1
            flush = 1 if t_end % interval == 0 else 0
            _hidden_window(ev, t, m, flush, t == 1, pending, w1, w2, c_in, cl, nc, c_h, d1, d2, lr, w_min, balance,
                           th_h, cur, vh, sbuf, hl, xp, nspk, bounds, rb)
            c_in[:] = 0
            for k in range(sp[t], sp[t_end + 1]):
                c_in[pix[k]] += 1
            nc = 0
            for i in cols[c0:c1]:  # the sample's inputs with p > 0, ascending
                cl[nc] = i
                nc += c_in[i] != 0
            for r in range(m + flush):  # output layer, one step behind the hidden one
                xo[:] = xn
                reads[1] += vsum(xo, no)
                _if_step(vo, so, xo, balance * n_h, th_o)
                for o in range(no):
                    c_o[o] += so[o]
                xn[:] = 0.0
                n_h = 0
                for k in range(nb):  # the blocks' outputs, summed in block order
                    n_h += nspk[k, r]
                    for o in range(no):
                        xn[o] += xp[k, r, o]
            pending = False
            if flush:
                for o in range(no):
                    d2[o] = (1.0 if o == labels[b] else 0.0) - min(max(c_o[o], 0.0), 1.0)
                c_o[:] = 0.0
                if ideal:
                    pending = True
                else:
                    _hidden_error(d2, w2, c_h, balance, d1, 0, nh)
                    count_pulses(dev2, w2, st2, cols2, c_h, d2, pre2, post2, flags2, acc2, buf)
                    count_pulses(dev1, w1, st1, cols1, c_in, d1, pre1, post1, flags1, acc1, buf)
            t = t_end + 1
    if pending:
        _hidden_window(ev, 0, 0, 0, False, True, w1, w2, c_in, cl, nc, c_h, d1, d2, lr, w_min, balance, th_h, cur,
                       vh, sbuf, hl, xp, nspk, bounds, rb)
    reads[0] += vsum(rb, nb)


#: hidden neurons per block in validation: a block's rows of the ≈ 150 columns of a sample's spiking inputs
#: (≈ 300 KB) stay in a core's L2 cache through all the steps (1.4× per sample over whole columns on a 512 KB-L2
#: processor; 128 or 512 rows: slower)
PREDICT_BLOCK = 256


@njit(cache=True, parallel=True)
def predict_samples(u, p, cols, cptr, steps, balance, th_h, th_o, w1, w2, shares, out):  # pragma: no cover
    """Predicted class of every sample b (``out[b]``): argmax of output spike counts over ``steps`` steps from
    reset neurons (ties → lowest index). The inputs are Bernoulli draws as for ``snn.encoders.spike_changes``
    (sample b: inputs cols[cptr[b]:cptr[b+1]]). W1 is fixed and a hidden neuron depends only on its own row, so the
    hidden layer runs block by block (:data:`PREDICT_BLOCK` neurons) through all the steps, keeping its input
    currents from step to step (adding the columns of the inputs that start spiking, subtracting those that stop);
    the output layer then steps through the stored hidden spikes. The samples are independent: ``shares`` threads
    take contiguous shares of them."""
    nh = w1.shape[0]
    no = w2.shape[0]
    wt = w1.T
    n = out.shape[0]
    shares = max(1, min(n, shares))
    bounds = blocks(nh, (nh + PREDICT_BLOCK - 1) // PREDICT_BLOCK)
    for part in prange(shares):
        c, vh, hs = np.zeros(nh), np.zeros(nh), np.empty(nh, dtype=np.int64)
        sh = np.zeros((steps, nh))
        vo, so, xo, counts = np.zeros(no), np.zeros(no), np.zeros(no), np.zeros(no)
        for b in range(part * n // shares, (part + 1) * n // shares):
            c0, c1 = cptr[b], cptr[b + 1]
            ev = spike_changes(u[steps * c0:steps * c1], p[c0:c1], cols[c0:c1], steps)
            c[:] = 0.0
            vh[:] = 0.0
            for k in range(bounds.shape[0] - 1):
                j0, j1 = bounds[k], bounds[k + 1]
                cb, vb = c[j0:j1], vh[j0:j1]
                for t in range(steps):
                    _step_change(ev, t, wt, cb, j0, j1)  # step 0: every spiking input starts
                    _if_step(vb, sh[t, j0:j1], cb, balance * (ev[0][t + 1] - ev[0][t]), th_h)
            vo[:] = 0.0
            counts[:] = 0.0
            n_h = 0
            for t in range(steps):
                _output_input(w2, hs, n_h, xo)
                _if_step(vo, so, xo, balance * n_h, th_o)
                n_h = _spike_list(sh[t], hs, 0)
                for o in range(no):
                    counts[o] += so[o]
            out[b] = np.argmax(counts)


drop_stale(globals())
