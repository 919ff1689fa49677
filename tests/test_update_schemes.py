"""Update schemes and differential arrays: spec §8 checks G–J plus refresh, genericity and bad input."""

import dataclasses

import pytest
import torch

from memsnn.crossbar.differential import DifferentialArray, pulse_counts
from memsnn.devices.pcm import PCMModel
from memsnn.errors import ConfigError
from memsnn.learning.update_schemes import SchemeConfig, UpdateScheme, quantise, target_write, write_delta


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def array(shape=(1,), n=1, **kw):
    return DifferentialArray(PCMModel(), shape, n, generator=gen(), **kw)


def test_multi_mem_round_robin_golden_G():
    arr = array((1,), 4)
    write_delta(arr, torch.tensor([1.0]), "multi-mem", generator=gen())
    assert arr.write_count()[0, :, 0].tolist() == [2, 1, 1, 1] and int(arr.tracker[0, 0]) == 5
    write_delta(arr, torch.tensor([0.5]), "multi-mem", generator=gen())
    assert arr.write_count()[0, :, 0].tolist() == [2, 2, 2, 1] and int(arr.tracker[0, 0]) == 7
    write_delta(arr, torch.tensor([-0.4]), "multi-mem", generator=gen())
    assert arr.write_count()[1, :, 0].tolist() == [1, 1, 0, 0]
    assert arr.write_count()[0, :, 0].tolist() == [2, 2, 2, 1]


def test_round_robin_counts_match_one_pulse_at_a_time():
    """Closed-form round-robin counts equal dealing pulses one by one with a persistent tracker."""
    arr = array((6,), 5)
    g = gen(5)
    ref = torch.zeros(2, 5, 6, dtype=torch.int64)
    tracker = torch.zeros(2, 6, dtype=torch.int64)
    for _ in range(4):
        n = torch.randint(0, 13, (2, 6), generator=g)
        got = arr.round_robin_counts(n)
        for s in range(2):
            for k in range(6):
                for _ in range(int(n[s, k])):
                    ref[s, tracker[s, k] % 5, k] += 1
                    tracker[s, k] += 1
        assert torch.equal(arr.tracker, tracker)
        total = got if _ == 0 else total + got
    assert torch.equal(total, ref)


def test_pulse_rule_golden_H():
    n = torch.tensor([0.0, 3.941])
    assert pulse_counts(n, "faithful").tolist() == [0, 3]
    assert pulse_counts(torch.tensor([0.167]), "faithful").tolist() == [0]
    assert pulse_counts(torch.tensor([0.167, 1.2]), "faithful").tolist() == [1, 1]
    assert pulse_counts(torch.tensor([2.955 / 0.75, 0.375 / 0.75]), "faithful").tolist() == [3, 1]
    assert pulse_counts(torch.tensor([0.167, 0.5, 1.49, 3.941]), "round").tolist() == [0, 1, 1, 4]
    # through the mixed-precision write path on one array (both sides share n_max)
    arr = array((2,))
    write_delta(arr, torch.tensor([-2.956, 0.0]), "mixed-precision", rule="faithful", generator=gen())
    assert arr.write_count()[:, 0].tolist() == [[0, 0], [3, 0]]
    arr = array((2,))
    write_delta(arr, torch.tensor([0.125, 0.9]), "mixed-precision", rule="faithful", generator=gen())
    assert arr.write_count()[0, 0].tolist() == [1, 1]
    arr = array((1,))
    write_delta(arr, torch.tensor([0.125]), "mixed-precision", rule="faithful", generator=gen())
    assert int(arr.write_count().sum()) == 0


def test_stochastic_golden_I():
    arr = array((40000,))
    g = gen(11)
    for _ in range(2):
        before = arr.write_count().clone()
        write_delta(arr, torch.full((40000,), 3.0), "stochastic", prob_scale=10.0, generator=g)
        inc = arr.write_count() - before
        assert int(inc.max()) == 1 and int(inc[1].sum()) == 0
        assert float(inc[0, 0].float().mean()) == pytest.approx(0.30, abs=0.01)


def test_quantiser_and_sign_golden_J():
    q, r = quantise(torch.tensor([0.30]), 0.125)
    assert q.item() == pytest.approx(0.25) and r.item() == pytest.approx(0.05)
    q, r = quantise(torch.tensor([-0.01]), 0.125, "floor")
    assert q.item() == pytest.approx(-0.125) and r.item() == pytest.approx(0.115)
    q, r = quantise(torch.tensor([-0.01]), 0.125, "trunc")
    assert q.item() == 0.0 and r.item() == pytest.approx(-0.01)
    scheme = UpdateScheme(SchemeConfig(method="sign", grad_thr=0.9))
    arr = array((4,), 2)
    scheme.update_array("w", arr, torch.tensor([-1.0, -0.5, 0.5, 1.0]), 0.0, t=1.0, generator=gen())
    assert arr.write_count()[0].tolist() == [[1, 0, 0, 0]] * 2  # all N devices of G+
    assert arr.write_count()[1].tolist() == [[0, 0, 0, 1]] * 2


def test_mixed_precision_accumulates_and_writes():
    scheme = UpdateScheme(SchemeConfig(method="mixed-precision"))
    arr = array((3,), scale=10.0)
    grad = torch.tensor([1.0, -1.0, 0.1])
    n = scheme.update_array("w", arr, grad, 0.1, t=1.0, generator=gen())  # acc = ±0.1, 0.01 → nothing yet
    assert n == 0
    n = scheme.update_array("w", arr, grad, 0.1, t=2.0, generator=gen())  # acc = ±0.2 → q = ±0.125 → 1.25 µS
    # dG = -q*scale = ∓1.25 → round(1.667) = 2 pulses on G- for grad>0 and on G+ for grad<0
    assert arr.write_count()[:, 0].tolist() == [[0, 2, 0], [2, 0, 0]] and n == 4
    assert scheme.acc["w"].tolist() == pytest.approx([0.075, -0.075, 0.02], abs=1e-6)


def test_fp32_schemes():
    w = torch.tensor([0.5, -0.5, 0.99])
    g = torch.tensor([10.0, -10.0, -10.0])
    v = UpdateScheme(SchemeConfig(method="vanilla")).update_float("w", w, g, 0.01)
    assert v.tolist() == pytest.approx([0.4, -0.4, 1.0])
    acc = UpdateScheme(SchemeConfig(method="accumulator"))
    w1 = acc.update_float("w", w, g, 0.01)  # acc = ±0.1 → no quantum yet
    assert torch.equal(w1, w)
    w2 = acc.update_float("w", w1, g, 0.01)  # acc = ±0.2 → ±0.125
    assert w2.tolist() == pytest.approx([0.375, -0.375, 1.0])
    with pytest.raises(ConfigError, match="crossbar"):
        UpdateScheme(SchemeConfig(method="sign")).update_float("w", w, g, 0.1)
    with pytest.raises(ConfigError, match="without --xbar"):
        UpdateScheme(SchemeConfig(method="vanilla")).update_array("w", array((3,)), g, 0.1, t=0, generator=None)


def test_refresh_resets_and_rewrites_saturated_pairs():
    arr = array((3,), 1)
    arr.state.G[0, 0] = torch.tensor([10.0, 10.0, 3.0])
    arr.state.G[1, 0] = torch.tensor([9.5, 4.0, 1.0])
    k = arr.refresh(9.0, 2.25, 0.25, t=5.0, generator=gen())
    assert k == 1  # only synapse 0: saturated and |diff| = 0.5 < 2.25
    assert arr.write_count()[:, 0, 0].tolist() == [2, 0]  # diff 0.5 re-written with 0.5/0.25 pulses on G+
    assert float(arr.state.t_w[0, 0, 0]) == 5.0
    assert arr.state.G[:, 0, 1].tolist() == [10.0, 4.0]
    assert arr.refreshed == 1 and arr.refresh(9.0, 2.25, 0.25, t=6.0, generator=gen()) == 0 and arr.refreshed == 1
    other = array((3,), 1)
    other.load_state_dict(arr.state_dict())
    assert other.refreshed == 1 and other.pulses_applied == arr.pulses_applied


def test_upd_ready_resets_other_side():
    arr = array((1,))
    arr.state.G[0, 0, 0] = 5.0
    arr.state.G[1, 0, 0] = 9.0
    # target +2 needs dG = +6 on G+ (5 + 6 > 10) → RESET G- first, then dG ≈ +2 - (5 - 0.1) < 0 → pulse G-
    target_write(arr, torch.tensor([2.0]), "upd-ready", generator=gen())
    assert float(arr.state.G[1, 0, 0]) < 9.0 and int(arr.write_count()[0, 0, 0]) == 0


def test_weights_sum_vs_mean_and_time_stack():
    arr = array((2, 3), 4, scale=2.0)
    arr.state.G[0].fill_(3.0)
    arr.state.G[1].fill_(1.0)
    arr.state.t_w.fill_(0.0)
    w = arr.weights(38.6, gen(), noise=0.0)
    assert w == pytest.approx(torch.full((2, 3), 1.0))
    assert arr.estimate() == pytest.approx(torch.full((2, 3), 2.0))
    faithful = DifferentialArray(PCMModel(), (2, 3), 4, scale=2.0, generator=gen(), faithful_read_sum=True)
    faithful.state = arr.state
    assert faithful.weights(38.6, gen(), noise=0.0) == pytest.approx(torch.full((2, 3), 4.0))
    ws = arr.weights(torch.tensor([38.6, 386.0]), gen())
    assert ws.shape == (2, 2, 3) and not torch.equal(ws[0], ws[1])


@dataclasses.dataclass
class _LinState:
    G: torch.Tensor


class LinearStepDevice:
    """A minimal non-PCM device (fixed step per positive pulse, reset to 0 by negative pulses) to check that the
    differential array and the write methods only use the generic device interface."""

    def init_state(self, shape, generator=None):
        return _LinState(torch.zeros(shape))

    def apply_pulse(self, state, v, width, mask=None, generator=None):
        new = state.G + 0.5 if v > 0 else torch.zeros_like(state.G)
        return _LinState(torch.where(mask, new, state.G) if mask is not None else new)

    def conductance(self, state, t=None):
        return state.G

    def read(self, state, noise=0.0, t=None, generator=None):
        return state.G


def test_schemes_work_with_another_device_model():
    arr = DifferentialArray(LinearStepDevice(), (3,), 2)
    write_delta(arr, torch.tensor([1.0, -0.5, 0.0]), "mixed-precision", eps=0.5)
    assert arr.estimate().tolist() == [1.0, -0.5, 0.0]
    write_delta(arr, torch.tensor([0.5, 0.0, 0.0]), "multi-mem", eps=0.5)  # 2 pulses dealt over 2 devices
    assert arr.estimate().tolist() == [1.5, -0.5, 0.0]  # each device +0.5, mean +0.5
    arr.reset_synapses(torch.tensor([True, False, False]))
    assert arr.estimate().tolist() == [0.0, -0.5, 0.0]
    w = arr.weights(torch.tensor([0.0, 1.0]))
    assert w.shape == (2, 3)


def test_bad_input():
    with pytest.raises(ConfigError, match="N must be"):
        array((2,), 0)
    with pytest.raises(ConfigError, match="pulse counts"):
        array((2,)).pulse(torch.tensor(-1))
    with pytest.raises(ConfigError, match="pulse requests"):
        pulse_counts(torch.tensor([-0.5]))
    with pytest.raises(ConfigError, match="method"):
        SchemeConfig(method="magic").validate()
    with pytest.raises(ConfigError, match="method"):
        UpdateScheme(SchemeConfig(method="magic"))
    with pytest.raises(ConfigError, match="rounding"):
        quantise(torch.zeros(1), 0.1, "ceil")
    with pytest.raises(ConfigError, match="write method"):
        write_delta(array((1,)), torch.zeros(1), "sign")


def test_sign_refresh_uses_mixed_precision_thresholds():
    scheme = UpdateScheme(SchemeConfig(method="sign"))
    arr = array((2,))
    arr.state.G[:, 0] = torch.tensor([[7.0, 7.0], [6.5, 2.0]])  # synapse 0 saturated (diff 0.5 < 1.5), 1 not
    scheme.update_array("w", arr, torch.zeros(2), 0.0, t=3.0, generator=gen(), refresh=True)
    assert float(arr.state.G[0, 0, 0]) < 3.0 and float(arr.state.G[1, 0, 0]) < 0.2  # reset, diff re-written
    assert arr.state.G[:, 0, 1].tolist() == [7.0, 2.0]


def test_refresh_rewrite_by_inverse_set_curve():
    m = PCMModel()
    assert m.pulses_after_reset(torch.tensor([0.0, 0.5, 1.8, 3.2, 30.0])).tolist()[:4] == [0, 0, 1, 2]
    arr = array((2,), 2)
    arr.state.G[:, :, 0] = torch.tensor([[7.0, 7.0], [6.6, 6.6]])  # diff +0.4 → 0 pulses (nearest rise is 0)
    arr.state.G[:, :, 1] = torch.tensor([[6.1, 6.1], [7.5, 7.5]])  # diff -1.4 → 1 pulse on each G- device
    assert arr.refresh(6.0, 1.5, 0.75, t=1.0, generator=gen(), rewrite="set-curve") == 2
    assert arr.write_count()[:, :, 0].tolist() == [[0, 0], [0, 0]]
    assert arr.write_count()[:, :, 1].tolist() == [[0, 0], [1, 1]]
    lin = DifferentialArray(LinearStepDevice(), (1,), 1)
    lin.state = _LinState(torch.tensor([[[1.0]], [[1.2]]]))
    with pytest.raises(ConfigError, match="pulses_after_reset"):
        lin.refresh(0.5, 5.0, 0.5, rewrite="set-curve")


def test_multi_mem_stochastic_rounding_realises_sub_pulse_requests_unbiased():
    """trunc drops every request below one device pulse (ε/N); stochastic rounding pulses with probability r."""
    shape, n_dev, r = (20000,), 4, 0.3  # r = requested device pulses per synapse
    dG = torch.full(shape, r * 0.75 / n_dev)
    assert write_delta(array(shape, n_dev), dG, "multi-mem", generator=gen()) == 0
    arr = array(shape, n_dev)
    total = write_delta(arr, dG, "multi-mem", generator=gen(1), mm_rounding="stochastic")
    assert abs(total / shape[0] - r) < 0.02  # E[n] = r (binomial sd 0.0032)
    assert int(arr.write_count()[1].sum()) == 0 and int(arr.write_count()[0].sum(0).max()) == 1
    # 1.0 µS / (0.75/4) = 5.33 device pulses → 5 or 6
    counts = {write_delta(array((1,), n_dev), torch.tensor([1.0]), "multi-mem", generator=gen(s),
                          mm_rounding="stochastic") for s in range(20)}
    assert counts == {5, 6}
    scheme = UpdateScheme(SchemeConfig(method="multi-mem", mm_rounding="stochastic"))  # the option reaches the write
    grad = torch.full(shape, -r * 0.75 / n_dev)  # dG = −lr·∇W·scale with lr = scale = 1
    assert scheme.update_array("w", array(shape, n_dev), grad, 1.0, t=0.0, generator=gen(2)) > 0.2 * shape[0]
    with pytest.raises(ConfigError, match="mm_rounding"):
        write_delta(arr, dG, "multi-mem", mm_rounding="round")
    with pytest.raises(ConfigError, match="mm_rounding"):
        SchemeConfig(method="multi-mem", mm_rounding="up").validate()
