"""STDP and approximate-BP networks, synapse factory, MNIST reader and the two commands (small synthetic data)."""

import gzip
import json
import math
import struct

import numpy as np
import pytest
import torch

from memsnn.cli import main
from memsnn.crossbar.pulse_scheme import DeviceSynapses
from memsnn.data.mnist import load_mnist, read_idx
from memsnn.errors import ConfigError, DataError
from memsnn.learning.approx_bp import ApproxBpNetwork, BpNetConfig
from memsnn.learning.plastic import IdealSynapses
from memsnn.learning.stdp import StdpNetConfig, StdpNetwork, assign_labels, predict
from memsnn.learning.synapse_factory import SynapseConfig, bp_synapses, stdp_synapses


def _images(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Synthetic 'digits': class k lights a 7×7 block at a class-specific place of the 28×28 image."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 10
    imgs = torch.zeros((n, 28, 28), dtype=torch.uint8)
    for j, k in enumerate(labels.tolist()):
        r, c = divmod(k, 4)
        imgs[j, 2 + 7 * r:9 + 7 * r, 1 + 7 * c:8 + 7 * c] = 255
    noise = (torch.rand((n, 28, 28), generator=g) < 0.02).to(torch.uint8) * 120
    return (imgs + noise).reshape(n, 784), labels


def _write_idx(path, arr: np.ndarray, code: int = 0x08) -> None:
    data = struct.pack(">BBBB", 0, 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()
    with gzip.open(path, "wb") as fh:
        fh.write(data)


@pytest.fixture(scope="module")
def mnist_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    (root / "mnist").mkdir()
    for split, n, stem in (("train", 60, "train"), ("test", 30, "t10k")):
        x, y = _images(n, seed=1 if split == "train" else 2)
        _write_idx(root / "mnist" / f"{stem}-images-idx3-ubyte.gz", x.numpy().reshape(n, 28, 28))
        _write_idx(root / "mnist" / f"{stem}-labels-idx1-ubyte.gz", y.numpy().astype(np.uint8))
    return root


def test_mnist_reader_gz_raw_and_errors(mnist_root, tmp_path):
    x, y = load_mnist("test", mnist_root)
    assert x.shape == (30, 784) and x.dtype == torch.uint8 and y.tolist()[:3] == [0, 1, 2]
    raw = tmp_path / "raw-idx"
    raw.write_bytes(gzip.open(mnist_root / "mnist" / "t10k-labels-idx1-ubyte.gz").read())
    assert read_idx(raw).tolist() == y.tolist()
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05ab")
    with pytest.raises(DataError, match="expected 13 for shape"):
        read_idx(bad)
    (tmp_path / "magic").write_bytes(b"PK\x03\x04")
    with pytest.raises(DataError, match="magic"):
        read_idx(tmp_path / "magic")
    with pytest.raises(DataError, match="MNIST not found"):
        load_mnist("train", tmp_path)


def test_label_assignment_and_prediction():
    resp = torch.tensor([[5.0, 0, 1], [0, 4, 1], [6, 1, 0]], dtype=torch.float64)
    labels = torch.tensor([0, 1, 0])
    a = assign_labels(resp, labels, n_classes=3)
    assert a.tolist() == [0, 1, 1]  # neuron 2: mean 0.5 for label 0, 1 for label 1
    # label 2 has no neuron: never predicted (the original would predict it via NaN)
    assert predict(torch.tensor([[0.0, 0.0, 9.0]], dtype=torch.float64), a, 3).tolist() == [1]
    assert predict(torch.tensor([[3.0, 1.0, 1.0]], dtype=torch.float64), a, 3).tolist() == [0]
    silent = assign_labels(torch.tensor([[1.0, 0.0], [0.0, 0.0]], dtype=torch.float64), torch.tensor([2, 1]), 3)
    assert silent.tolist() == [2, -1]
    assert predict(torch.tensor([[4.0, 7.0]], dtype=torch.float64), silent, 3).tolist() == [2]


def _stdp_net(kind: str, n: int = 10, seed: int = 0):
    cfg = StdpNetConfig(n_exc=n, steps_input=80, steps_rest=20, freq0=0.2)
    syn = stdp_synapses(SynapseConfig(kind=kind), (1, n, 784))
    return StdpNetwork(cfg, syn, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("kind", ["ideal", "vteam", "chen_yu", "lut"])
def test_stdp_fast_path_matches_reference(kind):
    x, _ = _images(3)
    results = []
    for reference in (False, True):
        net = _stdp_net(kind)
        net.reference = reference
        counts = [net.present(x[i:i + 1], learn=True)[0] for i in range(3)]
        test_counts = net.present(x, learn=False)[0]
        results.append((torch.cat(counts), net.syn.w.clone(), test_counts, net.syn.meter.update_energy))
    (c1, w1, t1, e1), (c2, w2, t2, e2) = results
    assert torch.equal(c1, c2) and torch.equal(t1, t2)
    assert torch.allclose(w1, w2, rtol=1e-9, atol=1e-12)
    assert e1 == pytest.approx(e2, rel=1e-9)
    if kind != "ideal":
        assert e1 > 0


@pytest.mark.parametrize("kind", ["ideal", "vteam"])
def test_stdp_subnormal_traces_flushed_weights_as_reference(kind):
    """Decaying traces below the smallest normal float64 are set to 0 on the compiled path (subnormal arithmetic is
    slow on x86); the weights and spike counts stay those of the reference, which keeps the subnormals."""
    from memsnn.learning.stdp_jit import TINY

    x, _ = _images(2)
    results = []
    for reference in (False, True):
        net = _stdp_net(kind)
        net.reference = reference
        net.present(x[:1], learn=True)
        te = net.te.t.clone()
        te[te > 0] = TINY * 1.5  # every driven trace just above the subnormal range: one decay step crosses it
        te[0, :5] = 5e-310  # and a few already subnormal
        net.te.t = te
        counts = net.present(x[1:2], learn=True)[0]
        results.append((counts, net.syn.w.clone(), net.te.t.clone()))
    (c1, w1, te1), (c2, w2, te2) = results
    assert torch.equal(c1, c2)
    assert torch.allclose(w1, w2, rtol=1e-9, atol=1e-12)
    assert not torch.any((te1 > 0) & (te1 < TINY))  # compiled path: no subnormal left
    assert torch.any((te2 > 0) & (te2 < TINY))  # reference: the same traces went subnormal


def test_stdp_rows_normalised_and_learning_changes_weights():
    net = _stdp_net("ideal")
    w0 = net.syn.w.clone()
    x, _ = _images(2)
    counts, attempts = net.present(x[:1], learn=True)
    assert counts.sum() >= 0 and int(attempts) >= 1
    assert not torch.equal(w0, net.syn.w)
    net.normalise()
    assert torch.allclose(net.syn.w.sum(-1), torch.full((1, 10), 78.0, dtype=torch.float64))
    # too few spikes → presented again with a higher rate, also while learning
    counts, attempts = net.present(torch.zeros((1, 784), dtype=torch.uint8), learn=True)
    assert int(attempts) == net.cfg.max_presentations and counts.sum() == 0


def test_stdp_batched_test_equals_one_by_one_statistics():
    """Learning off: a batch of identical images gives per-sample independent responses from the same state."""
    net = _stdp_net("ideal")
    x, _ = _images(1)
    counts, _ = net.present(x.expand(4, -1), learn=False)
    assert counts.shape == (4, 10)
    assert bool((net.pop.theta == net.pop.theta[:1]).all())  # θ frozen and shared
    # a dark image is presented again (with a higher rate), the others only once
    imgs = torch.cat([x, torch.zeros((1, 784), dtype=torch.uint8), x])
    counts, attempts = net.present(imgs, learn=False)
    assert attempts.tolist() == [1, net.cfg.max_presentations, 1] and counts.shape == (3, 10)
    assert counts[1].sum() == 0


def test_bp_ideal_step_matches_formula():
    """Spec §8 H on a 3-4-10 problem: one update from hand-set counts."""
    cfg = BpNetConfig(n_hidden=4)
    gen = torch.Generator().manual_seed(0)
    net = ApproxBpNetwork(cfg, IdealSynapses((4, 784)), IdealSynapses((10, 4)), gen)
    w1, w2 = net.syn1.w.clone(), net.syn2.w.clone()
    c_in = torch.zeros(784, dtype=torch.float64)
    c_in[[3, 10]] = torch.tensor([2.0, 1.0], dtype=torch.float64)
    c_h = torch.tensor([1.0, 0.0, 3.0, 2.0], dtype=torch.float64)
    c_o = torch.zeros(10, dtype=torch.float64)
    c_o[[1, 4]] = torch.tensor([2.0, 1.0], dtype=torch.float64)
    d2 = torch.nn.functional.one_hot(torch.tensor(4), 10).double() - c_o.clamp(0, 1)
    d1 = (d2 @ (w2 - 0.05)) * (c_h > 0)
    net.syn2.bp_update(c_h, d2, 2e-4)
    net.syn1.bp_update(c_in, d1, 2e-4)
    exp2 = w2.clone()
    cols = c_h > 0
    exp2[:, cols] = torch.clamp(w2[:, cols] + 2e-4 * torch.outer(d2, c_h)[:, cols], min=0)
    exp1 = w1.clone()
    exp1[:, [3, 10]] = torch.clamp(w1[:, [3, 10]] + 2e-4 * torch.outer(d1, c_in[[3, 10]]), min=0)
    assert torch.allclose(net.syn2.w, exp2) and torch.allclose(net.syn1.w, exp1)


def test_bp_update_schedule_counts_steps():
    """7 updates per sample, each after a zero-input flush step: 56 forward steps."""
    cfg = BpNetConfig(n_hidden=20)
    net = ApproxBpNetwork(cfg, IdealSynapses((20, 784)), IdealSynapses((10, 20)), torch.Generator().manual_seed(0))
    net.reference = True  # the step-by-step path (the compiled one is held equal to it below)
    calls = {"fwd": 0, "upd": 0}
    fwd, upd = net._forward, net.syn2.bp_update
    net._forward = lambda x: (calls.__setitem__("fwd", calls["fwd"] + 1), fwd(x))[1]
    net.syn2.bp_update = lambda *a: (calls.__setitem__("upd", calls["upd"] + 1), upd(*a))[1]
    x, y = _images(1)
    net.train_batch(x, y)
    assert calls == {"fwd": 56, "upd": 7}


@pytest.mark.parametrize("kind", ["ideal", "vteam", "chen_yu", "lut", "lut_t"])
def test_bp_compiled_step_matches_reference(kind):
    """The compiled per-sample training loop equals the step-by-step torch path (spikes, weights, energy)."""
    x, y = _images(3)
    sc = SynapseConfig(kind=kind, lr=0.08, v1_n=1.47)
    nets = []
    for reference in (False, True):
        s1, s2 = bp_synapses(sc, (40, 784)), bp_synapses(sc, (10, 40))
        net = ApproxBpNetwork(BpNetConfig(n_hidden=40), s1, s2, torch.Generator().manual_seed(3))
        net.reference = reference
        for i in range(3):
            net.train_batch(x[i:i + 1], y[i:i + 1])
        nets.append(net)
    a, b = nets
    w0 = ApproxBpNetwork(BpNetConfig(n_hidden=40), bp_synapses(sc, (40, 784)), bp_synapses(sc, (10, 40)),
                         torch.Generator().manual_seed(3)).syn1.w
    assert not torch.equal(a.syn1.w, w0)  # it learned
    for la, lb in ((a.syn1, b.syn1), (a.syn2, b.syn2)):
        assert torch.allclose(la.w, lb.w, rtol=1e-9, atol=1e-13)
        assert la.meter.update_energy == pytest.approx(lb.meter.update_energy, rel=1e-9)
        assert la.meter.pulses == lb.meter.pulses
    assert a.read_sum == pytest.approx(b.read_sum, rel=1e-9)
    xt, _ = _images(6)
    assert torch.equal(a.predict(xt), b.predict(xt))  # compiled vs batched torch evaluation, same draws


@pytest.mark.parametrize("kind", ["ideal", "vteam"])
def test_bp_online_training_one_call_equals_sample_by_sample_on_any_thread_count(kind):
    """train_online (one compiled loop over the samples) gives exactly the weights of one train_batch call per
    sample (energy and read totals up to their summation order), the same on one thread and on two, and the
    reference path's up to rounding."""
    import numba

    x, y = _images(5, seed=6)
    sc = SynapseConfig(kind=kind, lr=0.08)

    def net(reference: bool = False) -> ApproxBpNetwork:
        n = ApproxBpNetwork(BpNetConfig(n_hidden=60), bp_synapses(sc, (60, 784)), bp_synapses(sc, (10, 60)),
                            torch.Generator().manual_seed(7))
        n.reference = reference
        return n

    threads = numba.get_num_threads()
    try:
        nets = []
        for n_threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(n_threads)
            a = net()
            a.train_online(x, y)
            nets.append(a)
        b = net()
        for i in range(5):
            b.train_batch(x[i:i + 1], y[i:i + 1])
    finally:
        numba.set_num_threads(threads)
    ref = net(True)
    ref.train_online(x, y)
    for a, exact in ((nets[1], True), (b, False)):  # one call sums energy/reads over the samples, not per sample
        for la, lb in ((nets[0].syn1, a.syn1), (nets[0].syn2, a.syn2)):
            assert torch.equal(la.w, lb.w) and la.meter.pulses == lb.meter.pulses
            e = (la.meter.update_energy, lb.meter.update_energy)
            assert e[0] == e[1] if exact else e[0] == pytest.approx(e[1], rel=1e-12, abs=0)
        r = (nets[0].read_sum, a.read_sum)
        assert r[0] == r[1] if exact else r[0] == pytest.approx(r[1], rel=1e-12, abs=0)
    a = nets[0]
    assert not torch.equal(a.syn1.w, net().syn1.w)  # it learned
    for la, lb in ((a.syn1, ref.syn1), (a.syn2, ref.syn2)):
        assert torch.allclose(la.w, lb.w, rtol=1e-9, atol=1e-13)
        assert la.meter.update_energy == pytest.approx(lb.meter.update_energy, rel=1e-9)
    assert a.read_sum == pytest.approx(ref.read_sum, rel=1e-9)
    with pytest.raises(ConfigError, match="labels"):
        a.train_online(x, y[:2])


def test_bp_validation_same_draws_batched_or_one_by_one_and_on_any_thread_count():
    """A batch draws the same input spikes as its samples one at a time (reference path), and the compiled
    validation gives the same classes on one thread and on two."""
    import numba

    x, _ = _images(7, seed=2)

    def net(reference: bool) -> ApproxBpNetwork:
        n = ApproxBpNetwork(BpNetConfig(n_hidden=30), IdealSynapses((30, 784)), IdealSynapses((10, 30)),
                            torch.Generator().manual_seed(4))
        n.reference = reference
        return n

    a, b = net(True), net(True)
    one_by_one = torch.cat([b.predict(x[i:i + 1]) for i in range(7)])
    assert torch.equal(a.predict(x), one_by_one)
    threads = numba.get_num_threads()
    try:
        outs = []
        for n_threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(n_threads)
            outs.append(net(False).predict(x))
    finally:
        numba.set_num_threads(threads)
    assert torch.equal(outs[0], outs[1]) and torch.equal(outs[0], one_by_one)


def test_bp_sign_conventions_and_faithful_inversion():
    """Spec §7 bug 2 and §8 K: positive error raises the weight for every device in the default mode; the
    faithful 1T1R mode inverts it. VTEAM / Chen–Yu numbers of the spec's 2×2 check."""
    counts = torch.tensor([2.0, 0.0], dtype=torch.float64)
    delta = torch.tensor([0.5, -0.5], dtype=torch.float64)
    expected = {"vteam": (0.050001, 0.049999), "chen_yu": (0.050002, 0.049998)}
    for kind, sc in (("vteam", SynapseConfig(kind="vteam", lr=5e-4)),
                     ("chen_yu", SynapseConfig(kind="chen_yu", start_voltage=1.3)),
                     ("lut", SynapseConfig(kind="lut", v1_n=1.5)),
                     ("lut_t", SynapseConfig(kind="lut_t", v1_n=1.5, v1_p=0.3)),
                     ("lut_faithful", SynapseConfig(kind="lut", v1_n=1.5, faithful=True))):
        syn = bp_synapses(sc, (2, 2))
        syn.program(torch.full((2, 2), 0.05, dtype=torch.float64))
        before = syn.w.clone()
        syn.bp_update(counts, delta)
        up, down = float(syn.w[0, 0]), float(syn.w[1, 0])
        if kind in expected:
            assert (up, down) == pytest.approx(expected[kind], abs=1.5e-6)
        if kind == "lut_faithful":
            assert up < 0.05 < down
        else:
            assert up > 0.05 > down
        assert torch.equal(syn.w[:, 1], before[:, 1])  # no presynaptic spikes: untouched


def test_bp_device_count_pulses_closed_form_matches_loop():
    sc = SynapseConfig(kind="vteam", lr=0.08)
    a, b = bp_synapses(sc, (3, 4)), bp_synapses(sc, (3, 4))
    w = torch.rand((3, 4), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    a.program(w), b.program(w)
    counts = torch.tensor([0.0, 1.0, 3.0, 5.0], dtype=torch.float64)
    delta = torch.tensor([0.7, -0.2, 0.0], dtype=torch.float64)
    a.bp_update(counts, delta)
    for k in range(5):  # pulse by pulse
        b.bp_update((counts > k).double(), delta)
    assert torch.allclose(a.w, b.w, rtol=1e-12)


def test_synapse_config_validation():
    with pytest.raises(ConfigError, match="synapse.kind"):
        SynapseConfig(kind="pcm").validate()
    with pytest.raises(ConfigError, match="BP only"):
        stdp_synapses(SynapseConfig(kind="lut_t"), (1, 2, 2))
    assert isinstance(stdp_synapses(SynapseConfig(kind="vteam"), (1, 2, 2)), DeviceSynapses)


def _short_stdp_config(tmp_path) -> str:
    """A TOML config with short presentations (the flags override the rest)."""
    p = tmp_path / "short.toml"
    p.write_text("[net]\nsteps_input = 150\nsteps_rest = 30\nfreq0 = 0.1\n")
    return str(p)


def test_cli_stdp_and_bp_end_to_end(mnist_root, tmp_path, capsys):
    out = tmp_path / "stdp"
    rc = main(["stdp-mnist", "--config", _short_stdp_config(tmp_path), "--data-dir", str(mnist_root), "--synapse", "vteam", "--n-exc", "6", "--n-train", "4",
               "--batch-size", "2", "--n-label", "10", "--n-test", "10", "--test-batch", "5", "--out", str(out)])
    assert rc == 0
    m = json.loads((out / "metrics.json").read_text())
    assert "steps_input = 150" in (out / "config.toml").read_text()
    assert 0.0 <= m["test_accuracy"] <= 1.0 and m["train_update_energy_J_per_sample"] > 0
    assert (out / "weights.png").stat().st_size > 1000 and (out / "log.csv").exists()
    assert not (out / "checkpoint.pt").exists()
    out = tmp_path / "bp"
    rc = main(["approx-bp", "--data-dir", str(mnist_root), "--synapse", "chen_yu", "--n-hidden", "30", "--n-train", "6",
               "--epochs", "1", "--val-every", "3", "--n-val", "5", "--val-start", "50", "--n-test", "10",
               "--out", str(out)])
    assert rc == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["update_energy_J_per_sample"] > 0 and math.isfinite(m["final_val_accuracy"])
    assert (out / "val_accuracy.png").exists()
    # bad user input: one line, exit code 2
    rc = main(["approx-bp", "--data-dir", str(mnist_root), "--synapse", "vteam", "--g1", "-1", "--out",
               str(tmp_path / "x")])
    assert rc == 2 and "synapse.g1" in capsys.readouterr().err


def test_cli_same_seed_same_numbers(mnist_root, tmp_path):
    args = ["approx-bp", "--data-dir", str(mnist_root), "--n-hidden", "30", "--n-train", "6", "--epochs", "1",
            "--val-every", "6", "--n-val", "5", "--val-start", "50", "--n-test", "10", "--seed", "3"]
    main(args + ["--out", str(tmp_path / "a")])
    main(args + ["--out", str(tmp_path / "b")])
    a = json.loads((tmp_path / "a" / "metrics.json").read_text())
    b = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert a["test_accuracy"] == b["test_accuracy"] and a["final_val_accuracy"] == b["final_val_accuracy"]


@pytest.mark.parametrize("command", ["approx-bp", "stdp-mnist"])
def test_cli_resume_after_interruption_gives_same_numbers(mnist_root, tmp_path, monkeypatch, command):
    from memsnn.learning.approx_bp import ApproxBpNetwork as Bp
    from memsnn.learning.stdp import StdpNetwork as Stdp

    if command == "approx-bp":
        args = ["approx-bp", "--data-dir", str(mnist_root), "--synapse", "vteam", "--n-hidden", "30", "--n-train", "6",
                "--epochs", "1", "--val-every", "2", "--n-val", "5", "--val-start", "50", "--n-test", "10"]
        cls, method, stop_at = Bp, "train_online", 3  # one compiled call per validation block of 2 samples
    else:
        args = ["stdp-mnist", "--config", _short_stdp_config(tmp_path), "--data-dir", str(mnist_root),
                "--synapse", "chen_yu", "--n-exc", "5", "--n-train", "4",
                "--batch-size", "2", "--n-label", "6", "--n-test", "6", "--test-batch", "3"]
        cls, method, stop_at = Stdp, "present", 4
    assert main(args + ["--out", str(tmp_path / "full")]) == 0
    original = getattr(cls, method)
    calls = {"n": 0}

    def flaky(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == stop_at:
            raise KeyboardInterrupt
        return original(self, *a, **k)

    monkeypatch.setattr(cls, method, flaky)
    assert main(args + ["--out", str(tmp_path / "resumed")]) == 130
    assert (tmp_path / "resumed.partial" / "checkpoint.pt").exists()
    monkeypatch.setattr(cls, method, original)
    assert main(args + ["--out", str(tmp_path / "resumed")]) == 0
    a = json.loads((tmp_path / "full" / "metrics.json").read_text())
    b = json.loads((tmp_path / "resumed" / "metrics.json").read_text())
    for key in ("test_accuracy", "update_energy_J_per_sample", "train_update_energy_J_per_sample"):
        if key in a:
            assert a[key] == pytest.approx(b[key], rel=1e-12), key
