"""IF neuron with reset by subtraction, Bernoulli encoder, spiking layer (spec §3)."""

import torch

from memsnn.crossbar.array import Crossbar
from memsnn.crossbar.mapping import LinearConductanceMap
from memsnn.devices.rram import RRAMDevice
from memsnn.snn.encoders import bernoulli_spikes
from memsnn.snn.layers import SpikingLinear
from memsnn.snn.neurons import IFState, if_chunk, if_reference


def test_if_hand_computed_sequence() -> None:
    # θ = 1: V: 0.6, 1.2→spike, (1.2−1)+0.6=0.8, 0.8+0.5=1.3→spike, 0.3+0.7=1.0 (not > 1), 1.0+0.1=1.1→spike
    inputs = torch.tensor([[0.6, 0.6, 0.6, 0.5, 0.7, 0.1]], dtype=torch.float64)
    expected = [0, 1, 0, 1, 0, 1]
    spikes, st = if_reference(inputs, 1.0)
    assert spikes[0].tolist() == expected
    assert float(st.u[0]) == torch.tensor(0.1, dtype=torch.float64).item() or abs(float(st.u[0]) - 0.1) < 1e-12
    fast, st2 = if_chunk(inputs, 1.0, return_spikes=True)
    assert fast[0].tolist() == expected and abs(float(st2.u[0]) - 0.1) < 1e-12


def test_if_lagging_neuron_spikes_at_most_once_per_step() -> None:
    inputs = torch.tensor([[5.0, 0.0, 0.0, 0.0, 0.0]], dtype=torch.float64)
    ref, _ = if_reference(inputs, 1.0)
    fast, _ = if_chunk(inputs, 1.0, return_spikes=True)
    assert ref[0].tolist() == [1, 1, 1, 1, 0] == fast[0].tolist()


def test_closed_form_equals_reference_across_chunks() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(64, 300, generator=g, dtype=torch.float64) * 3.0  # includes steps above threshold
    ref, st_ref = if_reference(x, 1.3)
    state = IFState.zeros((64,))
    counts = torch.zeros(64, dtype=torch.float64)
    for s in range(0, 300, 70):
        c, state = if_chunk(x[:, s:s + 70], 1.3, state)
        counts += c
    torch.testing.assert_close(counts, ref.sum(-1))
    torch.testing.assert_close(state.u, st_ref.u)


def test_negative_inputs_fall_back_to_reference() -> None:
    x = torch.tensor([[2.0, -1.5, 1.0, 0.8]], dtype=torch.float64)
    spikes, _ = if_chunk(x, 1.0, return_spikes=True)
    assert spikes.tolist() == if_reference(x, 1.0)[0].tolist()


def test_bernoulli_rates() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.tensor([[0.0, 0.25, 0.5, 1.0]])
    s = bernoulli_spikes(x, 20000, g)
    assert s.shape == (1, 20000, 4)
    torch.testing.assert_close(s.mean(1)[0], x[0], atol=0.01, rtol=0)


def test_spiking_layer_chunking_and_read_modes() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(8, 100, generator=g)
    W = torch.rand(100, generator=g)
    layer = SpikingLinear(weights=W)
    r1 = layer.rate(x, 500, 50.0, torch.Generator().manual_seed(5)).rate
    r2 = layer.rate(x, 500, 50.0, torch.Generator().manual_seed(5), max_chunk_elems=8 * 100 * 500).rate
    assert r1.shape == (8,) and torch.equal(r1, r2)  # one chunk = same draws
    # the rate approximates W·x / θ (one output spike per θ of input)
    expected = (x @ W / 50.0).clamp(max=1.0)
    long = layer.rate(x, 4000, 50.0, g).rate
    torch.testing.assert_close(long, expected, atol=0.02, rtol=0)
    xb = Crossbar(RRAMDevice(), LinearConductanceMap(), (10, 10), g)
    for mode in ("per_step", "per_sample"):
        res = SpikingLinear(crossbar=xb, read_noise=0.1, read_mode=mode).rate(x, 200, 50.0, g)
        assert res.rate.shape == (8,) and res.last_weights.shape == (8, 100)


def test_lag_bound_certifies_and_counts_match_step_simulation() -> None:
    from memsnn.snn.neurons import lag_probability_bound

    g = torch.Generator().manual_seed(0)
    x = torch.rand(6, 100, generator=g) * 0.6 + 0.2
    W = torch.rand(100, generator=g)
    # a threshold far above any step's input is certified; one below the typical input is not
    assert (lag_probability_bound(x, W, 80.0, 1000) < 1e-9).all()
    assert (lag_probability_bound(x, W * 0.3, 80.0, 1000) == 0).all()  # Σ W < θ: impossible
    assert (lag_probability_bound(x, W, 20.0, 1000) == 1.0).all()
    # distributions agree: mean and spread of rates over many repeats, counts path vs step path
    xs = x[:1].expand(400, 100)
    auto = SpikingLinear(weights=W, sampling="auto").rate(xs, 300, 60.0, torch.Generator().manual_seed(1)).rate
    steps = SpikingLinear(weights=W, sampling="steps").rate(xs, 300, 60.0, torch.Generator().manual_seed(2)).rate
    assert abs(float(auto.mean() - steps.mean())) < 3 * float(steps.std()) / 20 + 1e-3
    assert 0.5 < float(auto.std() / steps.std()) < 2.0


def test_auto_sampling_falls_back_to_steps_when_not_certified() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 100, generator=g)
    W = torch.rand(100, generator=g)
    a = SpikingLinear(weights=W, sampling="auto").rate(x, 200, 10.0, torch.Generator().manual_seed(3)).rate
    b = SpikingLinear(weights=W, sampling="steps").rate(x, 200, 10.0, torch.Generator().manual_seed(3)).rate
    assert torch.equal(a, b)  # θ = 10 ≪ typical input: every sample is simulated step by step
