"""Compiled device/encoding kernels (devices/jit.py, crossbar/pulse_jit.py) against the vectorised torch models."""

import math

import numpy as np
import pytest
import torch

from memsnn.crossbar.pulse_jit import encode, pack_encoding
from memsnn.crossbar.pulse_scheme import InverseEncoding, LogEncoding
from memsnn.devices.chen_yu import ChenYuDevice
from memsnn.devices.jit import conductance, pack_device, pulse, pulses, voltage_terms
from memsnn.devices.lut import LutDevice, LutParams
from memsnn.devices.vteam import VteamDevice
from memsnn.errors import ConfigError


def _devices(lut_device):
    return {"vteam": VteamDevice(), "chen_yu": ChenYuDevice(), "lut": lut_device,
            "lut_mirror": LutDevice(LutParams(mirror_depression=True), table=lut_device.table)}


@pytest.fixture(scope="module")
def lut_device():
    return LutDevice(data_dir=None) if _table_available() else pytest.skip("look-up table not available")


def _table_available() -> bool:
    try:
        LutDevice()
        return True
    except Exception:
        return False


@pytest.mark.parametrize("name", ["vteam", "chen_yu", "lut", "lut_mirror"])
def test_pulse_kernel_matches_torch_model(name, lut_device):
    dev = _devices(lut_device)[name]
    gmin, gmax = dev.conductance_range()
    gen = torch.Generator().manual_seed(0)
    g = gmin + (gmax - gmin) * torch.rand(200, generator=gen, dtype=torch.float64)
    state = dev.state_from_conductance(g)
    s0 = next(iter(state.__dict__.values()))
    v = torch.linspace(-2.4, 2.4, 200, dtype=torch.float64)
    v[::17] = 0.0
    width = 1e-9 if name != "lut" else 1e-8
    want = next(iter(dev.apply_pulse(state, v, width).__dict__.values()))
    args = pack_device(dev).args()
    got = np.array([pulse(*args, float(s0[k]), float(v[k]), width) for k in range(200)])
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=0)
    np.testing.assert_allclose([conductance(*args, float(x)) for x in s0], dev.conductance(state).numpy(),
                               rtol=1e-13)
    assert not np.array_equal(got, s0.numpy())  # the pulses did something
    # n identical pulses (closed form for VTEAM, a loop otherwise) == n single pulses; energy Σ G·V²·t
    s, vv, n = float(s0[5]), float(v[5]), 7
    energy = np.zeros(1)
    got_n = pulses(*args, s, vv, width, voltage_terms(*args, vv, width), n, energy)
    e_ref, x = 0.0, s
    for _ in range(n):
        e_ref += conductance(*args, x) * vv * vv * width
        x = pulse(*args, x, vv, width)
    assert got_n == pytest.approx(x, rel=1e-12) and energy[0] == pytest.approx(e_ref, rel=1e-12)


def test_encoding_kernels_match_torch():
    x = torch.tensor([0.0, 1e-30, 1e-4, 0.03, 0.5, 1.0], dtype=torch.float64)
    encs = [LogEncoding(1.48, 0.073, 10), LogEncoding(1.405, 0.073, 10, sign=-1.0),
            LogEncoding(1.47, 1 / 30, math.e, scale=20.0), InverseEncoding(VteamDevice(), -100.0),
            InverseEncoding(VteamDevice(), 1.0)]
    for enc in encs:
        packed = pack_encoding(enc)
        np.testing.assert_allclose([encode(packed, float(t)) for t in x], enc(x).numpy(), rtol=1e-13, atol=0)
    with pytest.raises(ConfigError, match="encoding"):
        pack_encoding(lambda t: t)
    with pytest.raises(ConfigError, match="device model"):
        pack_device(object())


def test_bernoulli_events_equal_nonzero():
    """Events of the draws made for the non-zero inputs only equal the dense spikes u < p, and a batch draws the same
    numbers as its samples drawn one at a time."""
    from memsnn.snn.encoders import bernoulli_events, nonzero_rate_draws

    p = torch.rand((3, 9), generator=torch.Generator().manual_seed(3))
    p[p < 0.3] = 0.0
    p[1] = 0.0  # a sample without any input
    u, pv, cols, cptr = nonzero_rate_draws(p, 6, torch.Generator().manual_seed(4))
    ptr, idx = bernoulli_events(u, pv, cols * 10, cptr, 6)
    dense = torch.zeros((3, 6, 9), dtype=torch.bool)  # [samples, steps, inputs]
    gen = torch.Generator().manual_seed(4)
    for b in range(3):
        one = nonzero_rate_draws(p[b:b + 1], 6, gen)
        np.testing.assert_array_equal(one[0], u[6 * cptr[b]:6 * cptr[b + 1]])
        nz = torch.from_numpy(one[2])
        dense[b][:, nz] = torch.from_numpy(one[0].reshape(6, -1)) < p[b, nz]
    bb, tt, kk = torch.nonzero(dense, as_tuple=True)
    np.testing.assert_array_equal(idx, kk.numpy() * 10)
    np.testing.assert_array_equal(np.diff(ptr), np.bincount((bb * 6 + tt).numpy(), minlength=18))
    assert ptr[-1] == int(dense.sum()) > 0 and ptr[6] == ptr[12]


def test_bp_input_currents_follow_changes_of_the_spiking_set():
    """spike_changes lists the same spikes as bernoulli_events plus the inputs that start / stop spiking; currents
    kept from step to step with them (from nothing at step 0), or summed in full at a step, equal the dense products
    x_t·W1ᵀ (up to rounding) on any block of rows."""
    from memsnn.learning.approx_bp_jit import _step_change, _step_sum
    from memsnn.snn.encoders import bernoulli_events, nonzero_rate_draws, spike_changes

    gen = torch.Generator().manual_seed(5)
    p = torch.rand((1, 784), generator=gen)
    p[p < 0.6] = 0.0
    p[0, :40] = 1.0  # always spiking
    steps = 12
    u, pv, cols, cptr = nonzero_rate_draws(p, steps, gen)
    ptr, idx = bernoulli_events(u, pv, cols, cptr, steps)
    ev = spike_changes(u, pv, cols, steps)
    np.testing.assert_array_equal(ev[0], ptr)
    np.testing.assert_array_equal(ev[1][:ptr[-1]], idx)
    x = np.zeros((steps, 784))
    x[:, cols] = u.reshape(steps, -1) < pv
    assert len(set(map(tuple, x.astype(int)))) == steps  # the spiking set changes every step
    for t in range(steps):
        before = x[t - 1] if t else np.zeros(784)
        np.testing.assert_array_equal(ev[3][ev[2][t]:ev[2][t + 1]], np.flatnonzero((x[t] == 1) & (before == 0)))
        np.testing.assert_array_equal(ev[5][ev[4][t]:ev[4][t + 1]], np.flatnonzero((x[t] == 0) & (before == 1)))
    w = np.asfortranarray(torch.rand((37, 784), generator=gen, dtype=torch.float64).numpy())
    j0, j1 = 8, 29
    kept, full = np.zeros(j1 - j0), np.zeros(j1 - j0)
    for t in range(steps):
        _step_change(ev, t, w.T, kept, j0, j1)
        _step_sum(ev, t, w.T, full, j0, j1)
        np.testing.assert_allclose(kept, x[t] @ w[j0:j1].T, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(full, x[t] @ w[j0:j1].T, rtol=1e-12, atol=1e-12)


def test_zero_volt_pulses_skipped_only_where_exact():
    from memsnn.devices.chen_yu import ChenYuParams
    from memsnn.devices.jit import zero_volt_noop

    vteam = pack_device(VteamDevice()).args()
    assert zero_volt_noop(vteam[0], vteam[1], 1e-8)
    args = pack_device(ChenYuDevice()).args()
    assert zero_volt_noop(args[0], args[1], 1e-8)  # the preset's 0 V relaxation is below the gap's resolution
    p = ChenYuParams()
    for gap in np.linspace(p.gap_min, p.gap_max, 9):
        assert pulse(*args, gap, 0.0, 1e-8) == gap
    gap_min = p.gap_min
    # a relaxation that does move the smallest gap: 0 V pulses must then be applied
    fast = pack_device(ChenYuDevice(ChenYuParams(vel0=1e20))).args()
    assert not zero_volt_noop(fast[0], fast[1], 1e-8)
    assert pulse(*fast, gap_min * 1.5, 0.0, 1e-8) != gap_min * 1.5


def test_vectorised_exp_and_chen_yu_pulses_match_scalar_kernels():
    from numba import njit

    from memsnn.devices.jit import chen_yu_pulse_many, conductance, fexp, fexp_pair

    @njit
    def many(prm, g, h, field, v2w, count, exact=True):
        n = g.shape[0]
        cond = np.empty(n)
        return chen_yu_pulse_many(prm, g, n, h, field, v2w, count, np.empty(n), cond, np.empty((8, n)), exact), cond

    @njit
    def vexp_all(x):
        out, up, down = np.empty_like(x), np.empty_like(x), np.empty_like(x)
        for q in range(x.shape[0]):
            out[q] = fexp(x[q])
            up[q], down[q] = fexp_pair(x[q])
        return out, up, down

    def ulps(got, want):
        return np.max(np.abs(got - want) / np.spacing(want))

    x = np.random.default_rng(0).uniform(-700.0, 700.0, 20_000)
    out, up, down = vexp_all(x)
    assert ulps(out, np.exp(x)) <= 1.0
    assert ulps(up, np.exp(x)) <= 2.0 and ulps(down, np.exp(-x)) <= 2.0
    rng = np.random.default_rng(1)
    for dev in (ChenYuDevice(),):  # VTEAM keeps the scalar loop (already cheap: no exp)
        args = pack_device(dev).args()
        gmin, gmax = dev.conductance_range()
        state = dev.state_from_conductance(torch.from_numpy(rng.uniform(gmin, gmax, 50)))
        s0 = next(iter(state.__dict__.values())).numpy()
        v = rng.uniform(-1.6, 1.6, 50)
        v[::7] = 0.0
        width = 1e-9
        terms = [voltage_terms(*args, float(vq), width) for vq in v]
        s = s0.copy()
        energy, cond = many(args[1], s, np.array([tq[1] for tq in terms]), np.array([tq[2] for tq in terms]),
                            v * v * width, 3)
        e_ref = np.zeros(1)
        for q in range(50):
            want = pulses(*args, float(s0[q]), float(v[q]), width, terms[q], 3, e_ref)
            assert s[q] == pytest.approx(want, rel=1e-12)
            assert cond[q] == pytest.approx(conductance(*args, s[q]), rel=1e-15)
        assert energy == pytest.approx(e_ref[0], rel=1e-12)
        assert not np.array_equal(s, s0)


def test_table_axis_bisection_equals_searchsorted():
    """The branch-free bisection finds the cell np.searchsorted does (clamped to the grid), at grid points too."""
    from memsnn.devices.jit import _axis

    rng = np.random.default_rng(0)
    for size in (2, 3, 5, 346):
        grid = np.sort(rng.random(size))
        for x in np.concatenate([grid, rng.random(300) * 1.2 - 0.1]):
            want = min(max(int(np.searchsorted(grid, x, side="right")) - 1, 0), size - 2)
            assert _axis(grid, x)[0] == want


def test_chen_yu_carried_exponentials_match_exact_sub_steps():
    """Approximate-BP-like pulses (±1.45–1.52 V, 1 ns) on gaps near 1 nm take the carried-exponential path, which
    agrees with fresh exponentials every sub-step to 1e-14 relative; a strong pulse falls back to the exact path
    (bit for bit)."""
    from numba import njit

    from memsnn.devices.jit import CHEN_YU_CARRY_LIMIT, chen_yu_pulse_many

    @njit
    def run(prm, g, h, field, v2w, count, exact):
        n = g.shape[0]
        cond, energy, work = np.empty(n), np.empty(n), np.empty((8, n))
        total = chen_yu_pulse_many(prm, g, n, h, field, v2w, count, energy, cond, work, exact)
        return total, energy, cond, work[2].copy()

    args = pack_device(ChenYuDevice()).args()
    rng = np.random.default_rng(3)
    n = 203  # not a multiple of the vector width
    g0 = rng.uniform(0.95e-9, 1.2e-9, n)
    v = rng.uniform(1.45, 1.52, n) * rng.choice([-1.0, 1.0], n)
    width = 1e-9
    terms = [voltage_terms(*args, float(vq), width) for vq in v]
    h, field = np.array([t[1] for t in terms]), np.array([t[2] for t in terms])
    for count in (1, 4):
        ga, gb = g0.copy(), g0.copy()
        ta, ea, ca, worst = run(args[1], ga, h, field, v * v * width, count, False)
        tb, eb, cb, _ = run(args[1], gb, h, field, v * v * width, count, True)
        assert np.all(worst <= CHEN_YU_CARRY_LIMIT) and worst.max() > 0.0  # the carried path was taken
        assert not np.array_equal(ga, g0)
        np.testing.assert_allclose(ga - g0, gb - g0, rtol=1e-9, atol=0)  # the changes themselves
        np.testing.assert_allclose(ga, gb, rtol=1e-14, atol=0)
        np.testing.assert_allclose(ca, cb, rtol=1e-13, atol=0)
        np.testing.assert_allclose(ea, eb, rtol=1e-13, atol=0)
        assert ta == pytest.approx(tb, rel=1e-13)
    # strong pulses (small gap, 1.6 V): such devices are redone with fresh exponentials (bit for bit the exact
    # path), the others keep their carried results; with too many in the first sub-step the whole call is redone
    for strong in ([7], [7, 150], list(range(0, n, 5))):
        g1, v1, h1, f1 = g0.copy(), v.copy(), h.copy(), field.copy()
        t7 = voltage_terms(*args, 1.6, width)
        g1[strong], v1[strong], h1[strong], f1[strong] = 0.3e-9, 1.6, t7[1], t7[2]
        ga, gb = g1.copy(), g1.copy()
        ta, ea, ca, worst = run(args[1], ga, h1, f1, v1 * v1 * width, 2, False)
        tb, eb, cb, _ = run(args[1], gb, h1, f1, v1 * v1 * width, 2, True)
        assert not np.any(worst[strong] <= CHEN_YU_CARRY_LIMIT)
        assert np.array_equal(ga[strong], gb[strong]) and np.array_equal(ea[strong], eb[strong])
        assert np.array_equal(ca[strong], cb[strong])
        assert abs(ga[strong[0]] / g1[strong[0]] - 1.0) > 1e-3  # they did move
        np.testing.assert_allclose(ga, gb, rtol=1e-14, atol=0)
        np.testing.assert_allclose(ea, eb, rtol=1e-13, atol=0)
        assert ta == pytest.approx(tb, rel=1e-13)
