"""Compiled (numba) presentation of one sample (STDP learning on or off) for :class:`memsnn.learning.stdp.StdpNetwork`.

The same discrete-time network and rule as the torch path (Diehl & Cook 2015 in the Memristor-Spikelearn form, spec
§2.4–2.5, §3.1–3.2), fused into one loop over the 1000 steps of a presentation. Per step:

1. input currents Σ_{i spiking} W[j, i] (only the columns of the inputs that spiked);
2. one-step-delayed exc → inh (w_exc_inh, one-to-one) and inh → all other exc (w_inh_exc) conductance inputs;
3. conductance-LIF update of both populations (``snn.conductance``: refractoriness, clamp at v_reset, adaptive θ);
4. traces te ← min(te·d + x, 1), to ← min(to·d + s, 1), then STDP: rows of post spikes W += A_p·te (ideal) or
   pulses with ``pre_encoding(te)`` (device), columns of pre spikes W −= A_n·to or pulses with ``post_encoding(to)``;
   ideal weights are clipped on touched rows (≤ w_max) and columns (≥ w_min).

Weights, device states, neuron states and traces are numpy views of the torch tensors and are updated in place.
The torch path (``StdpNetwork.reference``) stays the step-by-step reference; tests hold both equal.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..crossbar.pulse_jit import depress_columns, line_buffers, potentiate_rows
from ..devices.jit import vsum
from ..kernel_cache import drop_stale

#: smallest normal float64. Decaying traces and conductances that fall below it are set to 0 (flush to zero): a
#: subnormal operand costs ~100× per operation on many x86 CPUs (a trace that stops being driven spends about 1.5
#: presentations in the subnormal range; training then ran 6× slower), and a value this small changes nothing it
#: enters (it rounds away against any weight, potential or trace of normal size).
TINY = float(np.finfo(np.float64).tiny)

#: rows of the neuron-constant matrix passed to :func:`present`
NEURON_CONSTANTS = ("v_rest", "v_offset_i", "k_v", "v_reset", "v_th", "t_refrac", "d_e", "d_i", "d_theta",
                    "theta_delta")


@njit(cache=True, inline="always")
def _ftz(x):  # pragma: no cover - compiled
    """x ≥ 0 flushed to 0 below :data:`TINY`."""
    return x if x >= TINY else 0.0


@njit(cache=True, inline="always")
def _conductance_step(v, ge, gi, s, refrac, theta, ie, ii, nc, clamp, adaptive):  # pragma: no cover - compiled
    """One step of the conductance LIF neurons (``snn.conductance.ConductanceLIF.step``) with conductance inputs
    ie/ii: refractoriness, clamp at v_reset, adaptive θ; s = spikes; conductances flushed to zero below
    :data:`TINY`. Written without branches on the data, so the loop vectorises."""
    rest, v_off, k_v, v_reset, v_th, t_ref, d_e, d_i, d_th, th_step = (nc[0], nc[1], nc[2], nc[3], nc[4], nc[5], nc[6],
                                                                      nc[7], nc[8], nc[9])
    for j in range(v.shape[0]):
        g_e = ge[j] + ie[j]
        g_i = gi[j] + ii[j]
        vr, rj, tr = v_reset[j], refrac[j], t_ref[j]  # loaded before the selects: no branches, the loop vectorises
        r = tr if s[j] != 0.0 else rj
        in_ref = r > 0.0
        vj = v[j]
        vj = vj - ((vj - rest[j]) + vj * g_e + (vj + v_off[j]) * g_i) * k_v[j]
        if clamp:
            vj = vj if vj > vr else vr
        ge[j] = _ftz(g_e * d_e[j])
        gi[j] = _ftz(g_i * d_i[j])
        sj = 1.0 if (vj >= v_th[j] + theta[j]) & (r <= 0.0) else 0.0
        v[j] = vr if in_ref else vj
        refrac[j] = r - 1.0 if in_ref else r
        s[j] = sj
        if adaptive:
            theta[j] = theta[j] * d_th[j] + th_step[j] * sj


@njit(cache=True)
def present(step_ptr, pix, steps_input, steps_rest, w, st, nrn, nc, clamp, adaptive, learn, te, to, decay,
                  w_exc_inh, w_inh_exc, ideal, rule, dev, pre_enc, post_enc, flags, counts,
                  acc):  # pragma: no cover - compiled
    """One presentation of one sample (learning on or off).

    step_ptr[t]:step_ptr[t+1] index ``pix`` = inputs spiking at step t < steps_input; nrn = [v, ge, gi, s, refrac,
    θ] rows of 2N (exc | inh); nc = ``NEURON_CONSTANTS`` rows; rule = [A_p, A_n, w_max, w_min] (ideal); dev,
    pre_enc, post_enc, flags: packed device synapses (unused if ideal). counts[N] += excitatory spikes;
    acc = [read Σ W·x, programming energy, pulses]."""
    n = w.shape[0]
    ne = w.shape[1]
    n2 = 2 * n
    v, ge, gi, s, refrac, theta = nrn[0], nrn[1], nrn[2], nrn[3], nrn[4], nrn[5]
    cur = np.zeros(n)
    ie = np.zeros(n2)
    ii = np.zeros(n2)
    post = np.zeros(n, dtype=np.int64)
    dacc = acc[1:]
    buf = line_buffers(max(n, ne))
    for t in range(steps_input + steps_rest):
        k0 = k1 = 0
        for j in range(n):
            cur[j] = 0.0
        if t < steps_input:
            k0, k1 = step_ptr[t], step_ptr[t + 1]
            for k in range(k0, k1):  # column by column (contiguous in the column-major weights), same sum order
                i = pix[k]
                for j in range(n):
                    cur[j] += w[j, i]
            a = acc[0]  # read-energy total, summed neuron by neuron as before (results unchanged)
            for j in range(n):
                a += cur[j]
            acc[0] = a
        inh = vsum(s[n:], n)  # number of inhibitory spikes: exact in any order
        for j in range(n):
            ie[j] = cur[j]
            ie[n + j] = s[j] * w_exc_inh
            ii[j] = (inh - s[n + j]) * w_inh_exc
        _conductance_step(v, ge, gi, s, refrac, theta, ie, ii, nc, clamp, adaptive)
        npost = 0
        for j in range(n):  # branch-free list of the excitatory neurons spiking now
            counts[j] += s[j]
            post[npost] = j
            npost += s[j] != 0.0
        if not learn:
            continue
        # traces (updated before the weight change, so coincident spikes count)
        for i in range(ne):
            te[i] = _ftz(te[i] * decay)
        for k in range(k0, k1):
            te[pix[k]] = min(te[pix[k]] + 1.0, 1.0)
        for j in range(n):
            to[j] = min(_ftz(to[j] * decay) + s[j], 1.0)
        if ideal:
            for q in range(npost):
                j = post[q]
                for i in range(ne):
                    w[j, i] += rule[0] * te[i]
            for k in range(k0, k1):
                i = pix[k]
                for j in range(n):
                    w[j, i] -= rule[1] * to[j]
            for q in range(npost):
                j = post[q]
                for i in range(ne):
                    w[j, i] = min(w[j, i], rule[2])
            for k in range(k0, k1):
                i = pix[k]
                for j in range(n):
                    w[j, i] = max(w[j, i], rule[3])
        else:
            if npost > 0:
                potentiate_rows(dev, w, st, post[:npost], te, pre_enc, flags, dacc, buf)
            if k1 > k0:
                depress_columns(dev, w, st, pix[k0:k1], to, post_enc, flags, dacc, buf)


drop_stale(globals())
