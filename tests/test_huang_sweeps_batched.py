"""Batched (leading configuration dimension) paths agree with the single-configuration reference paths."""

from pathlib import Path

import torch

from memsnn.crossbar.array import Crossbar
from memsnn.crossbar.mapping import LinearConductanceMap
from memsnn.devices.rram import RRAMDevice
from memsnn.experiments.imdb import ImdbConfig, load_data, make_crossbar
from memsnn.learning.conversion import TextModel
from memsnn.learning.direct_batched import MultiDirectState, direct_epoch_multi, evaluate_multi
from memsnn.learning.optim import Adagrad
from memsnn.learning.rate_gradient import direct_epoch
from memsnn.snn.batched import rate_multi, read_weights_multi
from memsnn.snn.layers import SpikingLinear


def _x(B: int = 40, E: int = 100, seed: int = 0) -> torch.Tensor:
    return torch.rand(B, E, generator=torch.Generator().manual_seed(seed)) * 0.8


def test_static_weights_single_config_matches_spiking_linear() -> None:
    x, W = _x(), torch.rand(100, generator=torch.Generator().manual_seed(1))
    ref = SpikingLinear(weights=W, sampling="steps").rate(x, 300, 50.0, torch.Generator().manual_seed(5)).rate
    counts, _ = rate_multi(x, 300, 50.0, weights=W.unsqueeze(0), generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close((counts[0, :, 0] / 300).float(), ref)


def test_per_step_noisy_reads_single_config_matches_crossbar_layer() -> None:
    g = torch.Generator().manual_seed(2)
    xb = Crossbar(RRAMDevice(), LinearConductanceMap(), (10, 10), g)
    x = _x(8)
    res = SpikingLinear(crossbar=xb, read_noise=0.05).rate(x, 200, 50.0, torch.Generator().manual_seed(9))
    counts, last = rate_multi(x, 200, 50.0, R=xb.R.unsqueeze(0), mapping=xb.mapping,
                              read_noise=torch.tensor([0.05]), generator=torch.Generator().manual_seed(9))
    torch.testing.assert_close((counts[0, :, 0] / 200).float(), res.rate)
    torch.testing.assert_close(last[0], res.last_weights)


def test_shared_spikes_and_checkpoints_give_exact_shorter_runs() -> None:
    x = _x()
    W = torch.rand(3, 100, generator=torch.Generator().manual_seed(4))
    counts, _ = rate_multi(x, 500, 50.0, weights=W, generator=torch.Generator().manual_seed(7), checkpoints=(100, 500))
    short, _ = rate_multi(x, 100, 50.0, weights=W, generator=torch.Generator().manual_seed(7))
    assert torch.equal(counts[:, :, 0], short[:, :, 0])
    assert (counts[:, :, 1] >= counts[:, :, 0]).all()
    # every configuration of the shared-spike batch is the run of that configuration alone (same spike trains)
    alone, _ = rate_multi(x, 500, 50.0, weights=W[1:2], generator=torch.Generator().manual_seed(7),
                          checkpoints=(100, 500))
    assert torch.equal(alone[0], counts[1])


def test_read_weights_multi_bounds_and_zero_noise() -> None:
    m = LinearConductanceMap()
    R = torch.full((2, 10, 10), 6000.0, dtype=torch.float64)
    w = read_weights_multi(R, m, torch.tensor([0.0, 0.2]), (50,), torch.Generator().manual_seed(0))
    exact = float(m.resistance_to_weight(torch.tensor(6000.0, dtype=torch.float64)))
    assert w.shape == (2, 50, 100)
    torch.testing.assert_close(w[0], torch.full_like(w[0], exact))
    G = 1 / 6000.0
    lo, hi = ((G / 1.2 - 1 / m.R_max) / m.g_span, (G / 0.8 - 1 / m.R_max) / m.g_span)
    assert float(w[1].min()) >= lo - 1e-6 and float(w[1].max()) <= hi + 1e-6 and float(w[1].std()) > 0.01


def test_direct_training_batch_of_one_matches_reference_epoch(tiny_data: Path) -> None:
    cfg = ImdbConfig(data_dir=str(tiny_data), min_freq=2, T=150, read_noise=0.02, r_tolerance=0.01)
    data = load_data(cfg)
    order = torch.randperm(len(data.train), generator=torch.Generator().manual_seed(0))[:25]
    # reference: one crossbar, direct_epoch
    g = torch.Generator().manual_seed(11)
    model = TextModel(emb=data.emb.clone(), W=torch.zeros(cfg.embedding_dim))
    xb = make_crossbar(cfg, g)
    layer = SpikingLinear(crossbar=xb, read_noise=cfg.read_noise)
    trace: list[tuple[int, float, float]] = []
    direct_epoch(model, layer, data.train, data.train_labels, order, Adagrad(model.emb, cfg.lr, cfg.eps),
                 Adagrad(model.W, cfg.lr, cfg.eps), T=cfg.T, threshold=cfg.threshold_direct, scale=50.0,
                 write_cfg=cfg.write_config("direct"), generator=g, trace=trace, trace_every=5)
    # batched with C = 1 from the same generator state
    g2 = torch.Generator().manual_seed(11)
    dev = RRAMDevice(cfg.device_params(), method=cfg.device_method)
    st = MultiDirectState.create(data.emb, dev, cfg.array_shape, torch.tensor([cfg.r_tolerance]),
                                 torch.tensor([cfg.read_noise]), g2)
    stats = direct_epoch_multi(st, dev, cfg.mapping(), data.train, data.train_labels, order, T=cfg.T,
                               threshold=cfg.threshold_direct, scale=50.0, lr=cfg.lr, eps=cfg.eps,
                               write_cfg=cfg.write_config("direct"), generator=g2, trace=True, trace_every=5)
    torch.testing.assert_close(st.R[0], xb.R)
    torch.testing.assert_close(st.emb[0], model.emb)
    assert [(t["sample"], t["written"][0]) for t in stats.trace] == [(n, w) for n, _, w in trace]
    torch.testing.assert_close(torch.tensor([t["expected"][0] for t in stats.trace]),
                               torch.tensor([e for _, e, _ in trace]))


def test_direct_training_configs_are_independent_and_learn(tiny_data: Path) -> None:
    cfg = ImdbConfig(data_dir=str(tiny_data), min_freq=2, T=150)
    data = load_data(cfg)
    dev = RRAMDevice(cfg.device_params(), method="exact")
    g = torch.Generator().manual_seed(0)
    tol = torch.tensor([0.005, 0.3])  # a 30 % tolerance leaves the randomly initialised array almost untouched
    st = MultiDirectState.create(data.emb, dev, cfg.array_shape, tol, torch.zeros(2), g)
    R0 = st.R.clone()
    kw = dict(T=cfg.T, threshold=cfg.threshold_direct, scale=50.0, generator=g)
    for _ in range(3):
        order = torch.randperm(len(data.train), generator=g)
        stats = direct_epoch_multi(st, dev, cfg.mapping(), data.train, data.train_labels, order, lr=cfg.lr,
                                   eps=cfg.eps, write_cfg=cfg.write_config("direct"), **kw)
    loss, acc = evaluate_multi(st, cfg.mapping(), data.test, data.test_labels, **kw)
    assert stats.pulses[0] > stats.pulses[1]
    assert float(acc[0]) > 0.7
    assert not torch.equal(st.R[0], R0[0])
    assert loss.shape == (2,) and acc.shape == (2,)
