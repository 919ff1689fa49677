"""Nandakumar PCM model: golden numbers of the SRNN-PCM spec §8 (A–D) and interface behaviour."""

import math

import pytest
import torch

from memsnn.devices.base import DeviceModel
from memsnn.devices.pcm import PCM_PRESETS, PCMModel, PCMParams, mean_set_curve
from memsnn.errors import ConfigError

SET_CURVE = [1.9246, 3.2916, 4.3367, 5.1530, 5.8048, 6.3365, 6.7790, 7.1541, 7.4771, 7.7590, 8.0076, 8.2288,
             8.4270, 8.6056, 8.7671, 8.9136, 9.0469, 9.1683, 9.2791, 9.3803]


@pytest.mark.parametrize("gmax", [12.0, 20.0])
def test_mean_set_curve_golden_A(gmax):
    curve = mean_set_curve(PCMParams(gmax=gmax), 20)
    assert curve == pytest.approx(SET_CURVE, abs=1e-4)


def test_mean_set_curve_matches_noise_free_model():
    """The model with σ forced to zero follows the same recursion (checks the order P-update → μ)."""
    p = PCMParams(m2=0.0, c2=0.0, A2=0.0)
    m = PCMModel(p)
    s = m.init_state((3,), torch.Generator().manual_seed(0))
    s.G.fill_(0.1)
    out = []
    for _ in range(20):
        s = m.set_pulse(s, None, torch.Generator().manual_seed(1), 0.0)
        out.append(float(s.G[0]))
    assert out == pytest.approx(SET_CURVE, abs=1e-4)


GOLD_B = {
    12.0: [(2.068, 1.526), (3.447, 1.972), (5.889, 2.320), (7.673, 2.158), (8.885, 1.968)],
    20.0: [(2.068, 1.526), (3.447, 1.973), (5.916, 2.398), (7.822, 2.480), (9.386, 2.684)],
}


@pytest.mark.parametrize("gmax", [12.0, 20.0])
def test_monte_carlo_write_statistics_golden_B(gmax):
    m = PCMModel(PCMParams(gmax=gmax))
    g = torch.Generator().manual_seed(1234)
    s = m.init_state((40000,), g)
    tp, got, dev = 0.0, [], []
    for k in range(1, 21):
        s = m.set_pulse(s, None, g, tp)
        r = m.read(s, 1.0, tp + m.params.T0, g)  # drift factor exactly 1
        if k in (1, 2, 5, 10, 20):
            got.append((float(r.mean()), float(r.std())))
            dev.append((float(s.G.mean()), float(s.G.std())))
        tp += m.params.T0
    for (mu, sd), (gm, gs) in zip(got, GOLD_B[gmax]):
        assert mu == pytest.approx(gm, abs=0.05)
        assert sd == pytest.approx(gs, abs=0.05)
    if gmax == 20.0:
        no_noise = [(2.059, 1.524), (3.443, 1.963), (5.918, 2.377), (7.818, 2.454), (9.389, 2.657)]
        for (mu, sd), (gm, gs) in zip(dev, no_noise):
            assert mu == pytest.approx(gm, abs=0.05) and sd == pytest.approx(gs, abs=0.05)


def test_programming_history_and_count():
    m = PCMModel()
    g = torch.Generator().manual_seed(0)
    s = m.init_state((4,), g)
    s = m.set_pulse(s, torch.tensor([True, False, True, False]), g, 5.0)
    assert s.P[0].item() == pytest.approx(0.680712, abs=1e-6) and s.P[1].item() == 1.0
    assert s.count.tolist() == [1, 0, 1, 0]
    assert s.t_w.tolist() == [5.0, 0.0, 5.0, 0.0]
    s = m.reset(s, torch.tensor([True, True, False, False]), g, 7.0)
    assert s.count.tolist() == [0, 0, 1, 0] and s.P[0] == 1.0 and s.t_w[0] == 7.0
    assert float(s.G[0]) < 0.2


@pytest.mark.parametrize("dt, factor", [(5e-4, 1.568573), (1.0, 1.157347), (38.6, 1.0), (386.0, 0.912011),
                                        (3860.0, 0.831764)])
def test_drift_factor_golden_C(dt, factor):
    m = PCMModel()
    s = m.init_state((2,), torch.Generator().manual_seed(0), t=100.0)
    assert m.drift_factor(s, 100.0 + dt)[0].item() == pytest.approx(factor, rel=2e-6)
    assert m.conductance(s, 100.0 + dt) == pytest.approx(s.G * factor, rel=1e-5)


def test_read_at_write_instant_is_finite_and_noise_sigma():
    m = PCMModel()
    g = torch.Generator().manual_seed(3)
    s = m.init_state((50000,), g, g0=5.0, t=10.0)
    s.G.fill_(5.0)
    r = m.read(s, 1.0, 10.0, g)  # t == t_w
    assert torch.isfinite(r).all()
    gd = 5.0 * m.drift_factor(s, 10.0 + 5e-4)[0]
    assert float(r.mean()) == pytest.approx(float(gd), abs=0.01)
    assert float(r.std()) == pytest.approx(float(0.03 * gd + 0.13), rel=0.02)
    assert (m.read(s, 0.0, 10.0) == m.read(s, 0.0, 10.0 + 5e-4)).all()


@pytest.mark.parametrize("res, inc", [(3, 1.5), (6, 0.1875), (8, 0.046875)])
def test_perf_mode_golden_D(res, inc):
    m = PCMModel(PCMParams(perf=True, perf_res=res))
    s = m.init_state((3,), torch.Generator().manual_seed(0))
    s.G.copy_(torch.tensor([0.1, 5.0, 11.99]))
    s2 = m.set_pulse(s, None, None, 1.0)
    assert s2.G.tolist() == pytest.approx([0.1 + inc, 5.0 + inc, 12.0], abs=1e-6)
    assert (m.read(s2, 1.0, 1.0) == s2.G.clamp(0.1, 12.0)).all()  # no drift, no noise


def test_apply_pulse_interface_and_pulse_train():
    m = PCMModel()
    assert isinstance(m, DeviceModel)
    g = torch.Generator().manual_seed(0)
    s = m.init_state((5,), g)
    s = m.apply_pulse(s, torch.tensor([1.0, 1.0, -1.0, 0.0, 1.0]), 0.0, None, g, t=1.0)
    assert s.count.tolist() == [1, 1, 0, 0, 1]
    s = m.pulse_train(s, torch.tensor([0, 3, 1, 0, 2]), g, 2.0)
    assert s.count.tolist() == [1, 4, 1, 0, 3]
    with pytest.raises(ConfigError, match="pulse counts"):
        m.pulse_train(s, torch.tensor([-1, 0, 0, 0, 0]), g)


def test_same_seed_same_numbers():
    def run():
        m = PCMModel()
        g = torch.Generator().manual_seed(7)
        s = m.init_state((100,), g)
        s = m.pulse_train(s, torch.full((100,), 5), g, 1.0)
        return m.read(s, 1.0, 3.0, g)

    assert torch.equal(run(), run())


def test_bad_parameters():
    with pytest.raises(ConfigError, match="gmax"):
        PCMModel(PCMParams(gmax=0.1))
    with pytest.raises(ConfigError, match="gmax"):
        PCMModel(PCM_PRESETS.get("nandakumar2018", gmax=-1.0))
    with pytest.raises(ConfigError, match="unknown PCM preset"):
        PCM_PRESETS.get("nope")
    with pytest.raises(ConfigError):
        mean_set_curve(PCMParams(), -1)
    assert PCM_PRESETS.get("nandakumar2018").gmax == 20.0 and PCM_PRESETS.get("demirag2021").gmax == 12.0
    assert math.isclose(PCMParams().perf_increment, 1.5)
