"""Golden checks of the neuron layers and the ideal STDP rule (spec §8 F, G, I)."""

import math

import pytest
import torch

from memsnn.errors import ConfigError
from memsnn.learning.plastic import IdealSynapses, Trace
from memsnn.snn.conductance import EXCITATORY, INHIBITORY, ConductanceLIF
from memsnn.snn.lif import IF, LIF

T = lambda *x: torch.tensor([x], dtype=torch.float64)  # noqa: E731


def test_lif_golden_sequence():
    lif = LIF(2, tau=5, threshold=1.0)
    lif.reset(1)
    expected_v = [[0.271904, 0.543808], [0.49452, 0.98904], [0.676783, 1.353565], [0.826007, 0], [0.948181, 0.543808],
                  [1.048209, 0.98904], [0, 1.353565], [0.271904, 0]]
    expected_s = [[0, 0], [0, 0], [0, 1], [0, 0], [0, 0], [1, 0], [0, 1], [0, 0]]
    for v, s in zip(expected_v, expected_s):
        out = lif.step(T(1.5, 3.0))
        assert lif.v[0].tolist() == pytest.approx(v, abs=1e-6)
        assert out[0].tolist() == s


def test_lif_immediate_reset_option():
    lif = LIF(1, tau=5, reset_delay=0)
    lif.reset(1)
    outs = [float(lif.step(T(3.0))) for _ in range(3)]
    assert outs == [0.0, 0.0, 1.0] and float(lif.v) == 0.0


def test_if_golden_sequence():
    layer = IF(3, threshold=0.1)
    layer.reset(1)
    inputs = [(0.04, 0.2, -0.1), (0.04, 0, 0.05), (0.04, 0.11, 0.1), (0, 0, 0)]
    exp_v = [[0.04, 0, -0.1], [0.08, 0, -0.05], [0, 0, 0.05], [0, 0, 0.05]]
    exp_s = [[0, 1, 0], [0, 0, 0], [1, 1, 0], [0, 0, 0]]
    for x, v, s in zip(inputs, exp_v, exp_s):
        out = layer.step(T(*x))
        assert layer.v[0].tolist() == pytest.approx(v, abs=1e-12)
        assert out[0].tolist() == s


def test_if_subtract_reset():
    layer = IF(1, threshold=1.0, reset="subtract")
    layer.reset(1)
    layer.step(T(1.5))
    assert float(layer.v) == pytest.approx(0.5)
    with pytest.raises(ConfigError, match="reset"):
        IF(1, reset="bogus")


def test_inhibitory_golden_sequence():
    inh = ConductanceLIF(1, INHIBITORY)
    inh.reset(1)
    vs, ss = [], []
    for k in range(7):
        ss.append(float(inh.step(10.4 if k == 0 else 0.0)))
        vs.append(float(inh.v))
    assert vs[0] == pytest.approx(-0.045)
    assert vs[1] == pytest.approx(-0.031888, abs=1e-6) and ss[1] == 1.0
    assert vs[2:6] == pytest.approx([-0.045] * 4) and ss[2:6] == [0.0] * 4
    assert vs[6] == pytest.approx(-0.044595, abs=1e-6)
    assert ss[0] == 0.0 and ss[6] == 0.0


def test_excitatory_golden_sequence_and_theta_float32():
    exc = ConductanceLIF(1, EXCITATORY, dtype=torch.float32)
    exc.reset(1)
    vs, spikes = [], 0.0
    for k in range(30):
        spikes += float(exc.step(0.5))
        vs.append(float(exc.v))
        if k == 0:
            assert float(exc.theta) == pytest.approx(0.019999997690, abs=2e-12)
    assert vs[:4] == pytest.approx([-0.065, -0.064740, -0.064422, -0.064072], abs=1e-6)
    assert vs[29] == pytest.approx(-0.055051, abs=1e-6)
    assert spikes == 0.0


def test_adaptive_threshold_rises_with_spikes_and_freezes():
    exc = ConductanceLIF(2, EXCITATORY.replace(theta_delta=1e-3))
    exc.reset(1)
    for _ in range(300):
        exc.step(T(5.0, 0.0))
    assert float(exc.theta[0, 0]) > 0.02 > float(exc.theta[0, 1])
    exc.freeze_theta = True
    th = exc.theta.clone()
    exc.step(T(5.0, 0.0))
    assert torch.equal(th, exc.theta)


def test_ideal_stdp_golden_sequence():
    syn = IdealSynapses((1, 2, 2), a_pot=0.01, a_dep=1e-4, w_max=1.0, w_min=0.0)
    syn.program(torch.full((1, 2, 2), 0.5, dtype=torch.float64))
    te, to = Trace(2, math.exp(-1 / 40)), Trace(2, math.exp(-1 / 40))
    te.reset(1), to.reset(1)
    for pre, post in [([1, 0], [0, 0]), ([0, 0], [0, 0]), ([0, 0], [1, 0]), ([0, 1], [0, 0]), ([0, 0], [0, 1])]:
        xe, xo = T(*pre), T(*post)
        syn.stdp_update(xe, xo, te.update(xe), to.update(xo))
    assert syn.w.flatten().tolist() == pytest.approx([0.5095122942, 0.4999024690, 0.5090483742, 0.5097530991], abs=1e-10)
    assert te.t[0].tolist() == pytest.approx([0.904837418, 0.975309912], abs=1e-9)
    assert to.t[0].tolist() == pytest.approx([0.951229425, 1.0], abs=1e-9)


def test_ideal_stdp_clipping_on_touched_lines_only():
    syn = IdealSynapses((1, 2, 2), a_pot=1.0, a_dep=1.0, w_max=1.0, w_min=0.0)
    syn.program(torch.tensor([[[0.9, 0.2], [0.1, 1.5]]], dtype=torch.float64))
    syn.stdp_update(torch.tensor([[0.0, 0.0]]), torch.tensor([[1.0, 0.0]]), torch.ones((1, 2), dtype=torch.float64),
                    torch.zeros((1, 2), dtype=torch.float64))
    assert syn.w.tolist() == [[[1.0, 1.0], [0.1, 1.5]]]  # row 1 untouched keeps 1.5


def test_ideal_bp_update():
    syn = IdealSynapses((2, 3), w_min=0.0)
    syn.program(torch.full((2, 3), 0.05, dtype=torch.float64))
    syn.bp_update(torch.tensor([2.0, 0.0, 1.0]), torch.tensor([1.0, -200.0]), 2e-4)
    assert syn.w.flatten().tolist() == pytest.approx([0.0504, 0.05, 0.0502, 0.0, 0.05, 0.01])
