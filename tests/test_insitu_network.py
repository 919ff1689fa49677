"""Behavioural in-situ network: imprinting, Lapicque neuron, first-crossing read-out (checks E, F, G, H)."""

import gzip
import math

import numpy as np
import pytest
import torch

from memsnn.data.idx import read_idx
from memsnn.data.patterns import DIGITS_012345, XPUE, binarise_top, check_patterns, mnist_templates
from memsnn.errors import DataError
from memsnn.learning.imprint import imprint, imprint_reference, imprint_sequential
from memsnn.snn import lapicque
from memsnn.snn.insitu_network import InSituNetwork
from memsnn.snn.lapicque import LapicqueConfig

from insitu_golden import e_table, within  # noqa: E402


def trained(patterns):
    net = InSituNetwork(patterns.shape[1], patterns.shape[0])
    net.state = imprint(net.emulator, net.state, patterns, 5e-3)
    return net


def test_imprint_batched_equals_sequential_and_reference():
    net = InSituNetwork(9, 4)
    a = imprint(net.emulator, net.state, XPUE, 5e-3)
    b = imprint_sequential(net.emulator, net.state, XPUE, 5e-3)
    assert torch.allclose(a.vc, b.vc, atol=1e-8)
    assert (a.vc[XPUE > 0] > 7.0).all() and (a.vc[XPUE == 0].abs() < 1e-6).all()
    _, ref = imprint_reference(net.emulator, XPUE[:2], 5e-3, 6e-3, 10e-6)
    assert torch.allclose(ref[-1], imprint(net.emulator, net.emulator.init_state((2, 9)), XPUE[:2], 5e-3).vc, atol=0.03)


@pytest.mark.parametrize("name, patterns", [("xpue", XPUE), ("012345", DIGITS_012345)])
def test_crossing_times_match_spice_e(name, patterns):
    res = trained(patterns).infer(patterns, window=5e-3, input_rise=10e-6)
    assert res.predictions.tolist() == list(range(patterns.shape[0]))
    assert within((res.times * 1e6).tolist(), e_table(name), 15.0)


def test_simple_behavioural_model_f():
    """Spec F: I = 0.9087 mA per overlapping pixel, τ = 150 µs, 4 mA threshold."""
    cfg = LapicqueConfig()
    i = torch.tensor([5, 3, 7, 6, 12, 1], dtype=torch.float64) * 1.3e-4 * (7.49 - 0.5)
    t = lapicque.first_crossing(cfg, i) * 1e6
    assert t[0].item() == pytest.approx(318.5, abs=0.2)
    assert t[2].item() == pytest.approx(148.7, abs=0.2)
    assert t[4].item() == pytest.approx(68.6, abs=0.2)
    assert t[3].item() == pytest.approx(198.4, abs=0.2)
    assert math.isinf(t[1].item()) and math.isinf(t[5].item())


def test_neuron_reference_matches_closed_form_g():
    cfg = LapicqueConfig()
    dt = 0.1e-6
    cur = torch.tensor([4.544e-3, 3.9e-3, 30e-3], dtype=torch.float64).expand(20000, 3)
    v2 = lapicque.membrane(cfg, cur, dt)
    out = lapicque.output(cfg, v2)
    first = torch.argmax((out > 0.5).double(), 0).double() * dt + dt
    closed = lapicque.first_crossing(cfg, cur[0])
    assert first[0].item() == pytest.approx(closed[0].item(), abs=2 * dt)
    assert not (out[:, 1] > 0.5).any() and math.isinf(closed[1].item())
    assert v2[-1, 2].item() == pytest.approx(20.0, rel=1e-3)  # clipped by the ±20 V rails
    assert (out[int(first[0] / dt) + 5:, 0] == 1.0).all()  # stays high while the input persists
    t = torch.arange(1000, dtype=torch.float64) * 1e-6
    ct = lapicque.crossing_times(t, lapicque.membrane(cfg, cur[:1000], 1e-6), 4.0, torch.tensor([0.0]),
                                 torch.tensor([1e-3]))
    assert ct[0, 0].item() == pytest.approx(closed[0].item(), abs=2e-6) and math.isinf(ct[0, 1].item())


def test_prediction_rules_h():
    times = torch.tensor([[math.inf, 5.0, 5.0], [math.inf] * 3, [3.0, math.inf, 1.0]])
    cur = torch.tensor([[0.0, 1.0, 1.0], [1.0, 3.0, 2.0], [2.0, 0.0, 3.0]])
    assert lapicque.predict(times).tolist() == [1, 0, 2]
    assert lapicque.predict(times, cur, "max_current").tolist() == [1, 1, 2]


def test_wrong_pattern_size_is_rejected():
    net = trained(XPUE)
    with pytest.raises(DataError, match=r"expected \(N, 9\)"):
        net.infer(torch.ones(2, 15))
    with pytest.raises(DataError, match="non-finite"):
        check_patterns(torch.tensor([[math.nan] * 9]), 9)
    with pytest.raises(DataError, match="gate voltages"):
        net.set_gates(torch.zeros(3, 9))


def test_mnist_preprocessing_top19():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(30, 28, 28), dtype=np.uint8)
    labels = np.repeat(np.arange(10), 3)
    tmpl = mnist_templates(images, labels, per_class=3)
    assert tmpl.shape == (10, 100) and (tmpl.sum(1) <= 19).all()
    x = np.arange(100, dtype=np.uint8).reshape(1, 10, 10)
    b = binarise_top(x, 20)
    assert b.sum() == 19 and b[0, 81:].all() and not b[0, :81].any()
    with pytest.raises(DataError, match="class 0"):
        mnist_templates(images, labels, per_class=4)


def test_read_idx_gz_raw_and_malformed(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    raw = bytes([0, 0, 8, 3]) + np.array([2, 3, 4], dtype=">u4").tobytes() + arr.tobytes()
    (tmp_path / "a.idx").write_bytes(raw)
    (tmp_path / "a.idx.gz").write_bytes(gzip.compress(raw))
    assert (read_idx(tmp_path / "a.idx") == arr).all() and (read_idx(tmp_path / "a.idx.gz") == arr).all()
    i32 = bytes([0, 0, 0x0C, 1]) + np.array([2], dtype=">u4").tobytes() + np.array([-1, 7], dtype=">i4").tobytes()
    (tmp_path / "b.idx").write_bytes(i32)
    assert read_idx(tmp_path / "b.idx").tolist() == [-1, 7]
    for name, data, msg in [("c", raw[:-1], "expected"), ("d", b"\x01\x02\x08\x01", "not an IDX"),
                            ("e", bytes([0, 0, 0x42, 1, 0, 0, 0, 1, 5]), "type code"), ("f", raw[:6], "header"),
                            ("g.gz", gzip.compress(raw)[:-5], "gzip")]:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(DataError, match=msg):
            read_idx(tmp_path / name)
    with pytest.raises(DataError, match="cannot read"):
        read_idx(tmp_path / "missing.idx")


def test_closed_form_inference_matches_step_by_step_reference():
    net = trained(XPUE)
    ref = net.infer_reference(XPUE, 2e-6, 0.4e-3, input_rise=10e-6)
    fast = net.infer(XPUE, window=0.4e-3, input_rise=10e-6).times
    assert torch.equal(torch.isinf(ref), torch.isinf(fast))
    fin = torch.isfinite(ref)
    assert ((ref - fast)[fin].abs() < 3e-6).all()
