"""``memsnn eprop`` and ``memsnn pcm-figures``: results folders, resume, bad input, schedules (spec §8 K, L)."""

import json

import pytest
import torch

from memsnn.cli import main
from memsnn.data.patterns_sinusoid import sinusoid_patterns
from memsnn.errors import ConfigError
from memsnn.experiments.pcm_figures import FigureConfig, figure2, figure5, figure7, write_stats
from memsnn.experiments.srnn_pcm import EpropConfig, refresh_due, train
from memsnn.results import RunDir

SMALL = ["--n-t", "60", "--inp-dim", "12", "--n-rec", "10", "--n-samples", "3", "--n-train", "2", "--quiet"]


def test_sinusoid_patterns_K():
    x, y = sinusoid_patterns(generator=torch.Generator().manual_seed(0))
    assert x.shape == (6, 1000, 100) and y.shape == (6, 1000, 1)
    assert torch.allclose(y.abs().amax(dim=(1, 2)), torch.ones(6))
    assert 0.04 < float(x.mean()) < 0.06
    with pytest.raises(ConfigError, match="n_samples"):
        sinusoid_patterns(0)


def test_refresh_schedule_K():
    due = [k for k in range(1, 800) if refresh_due(38.6 * k)]
    assert due == [260, 519]
    assert [r * 38.6 for r in due] == pytest.approx([10036.0, 20033.4])


@pytest.mark.parametrize("method, extra", [("vanilla", []), ("accumulator", []),
                                           ("sign", ["--xbar", "--grad-thr", "0.5"]),
                                           ("stochastic", ["--xbar", "true", "--prob-scale", "2"]),
                                           ("multi-mem", ["--xbar", "True", "--xbar_n", "3", "--xbar-scale", "8"]),
                                           ("mixed-precision", ["--xbar", "--perf", "--xbar_res", "6"])])
def test_eprop_cli_every_method(tmp_path, method, extra, capsys):
    out = tmp_path / method
    assert main(["eprop", "--method", method, "--epochs", "2", "--out", str(out)] + SMALL + extra) == 0
    for name in ("config.toml", "metrics.json", "loss.csv", "outputs.csv", "loss.png", "output.png"):
        assert (out / name).exists(), name
    assert not (out / "checkpoint.pt").exists()
    m = json.loads((out / "metrics.json").read_text())
    assert m["epochs_run"] == 2 and m["final_mse"] >= 0 and m["method"] == method
    assert "final MSE" in capsys.readouterr().out


def test_vanilla_learns_and_same_seed_same_numbers():
    cfg = EpropConfig(n_t=200, inp_dim=30, n_rec=30, n_samples=2, n_train=1, epochs=25, lr_inp=2e-4, lr_rec=5e-4,
                      lr_out=2e-4)
    a = train(cfg, progress=False)
    b = train(cfg, progress=False)
    assert a["final_mse"] == b["final_mse"]
    assert a["final_mse"] < 0.5 * a["loss_first_epoch"]


def test_history_reports_rates_saturation_and_refreshes():
    kw = dict(n_t=100, inp_dim=12, n_rec=10, n_samples=2, n_train=2, epochs=2, lr_inp=0.0, lr_rec=0.0, lr_out=0.0)
    quiet = train(EpropConfig(w_init_gain=0.1, **kw), progress=False)
    loud = train(EpropConfig(w_init_gain=50.0, **kw), progress=False)  # strong input: some neurons fire every step
    h0, h1 = quiet["history"][-1], loud["history"][-1]
    assert h0["saturated"] == 0 and h0["rate_max_hz"] <= 500.0 and h0["refreshed"] == 0
    assert h1["saturated"] >= 1 and h1["rate_max_hz"] > 500.0 and h1["rate_hz"] > h0["rate_hz"]
    pcm = train(EpropConfig(xbar=True, method="mixed-precision", refresh="always", xbar_scale=4.0, acc_eps=0.01,
                            **{**kw, "epochs": 3, "lr_inp": 1e-2, "lr_rec": 1e-2, "lr_out": 1e-2}), progress=False)
    assert [h["refreshed"] for h in pcm["history"]] == sorted(h["refreshed"] for h in pcm["history"])


def test_lr_decay_schedule():
    kw = dict(n_t=100, inp_dim=12, n_rec=10, n_samples=2, n_train=2, lr_inp=1e-3, lr_rec=1e-3, lr_out=1e-3)
    one = train(EpropConfig(epochs=1, **kw), progress=False)
    frozen = train(EpropConfig(epochs=3, lr_decay=1e-9, **kw), progress=False)  # epochs 1, 2 learn ~nothing
    learning = train(EpropConfig(epochs=3, **kw), progress=False)
    assert frozen["final_mse"] == pytest.approx(one["final_mse"], rel=1e-5)
    assert learning["final_mse"] != pytest.approx(one["final_mse"], rel=1e-3)
    with pytest.raises(ConfigError, match="lr_decay"):
        EpropConfig(lr_decay=1.5).validate()


def test_resume_gives_the_same_result(tmp_path):
    kw = dict(n_t=60, inp_dim=12, n_rec=10, n_samples=3, n_train=2, xbar=True, method="mixed-precision",
              xbar_scale=4.0, lr_inp=1e-3, lr_rec=1e-3, lr_out=1e-3)
    full = train(EpropConfig(epochs=4, **kw), progress=False)
    run = RunDir(tmp_path / "r", EpropConfig(epochs=4, **kw))
    run.__enter__()
    train(EpropConfig(epochs=2, **kw), run, progress=False)  # "interrupted" after epoch 2
    assert run.file("checkpoint.pt").exists()
    resumed = train(EpropConfig(epochs=4, **kw), run, progress=False)
    assert resumed["final_mse"] == full["final_mse"] and resumed["set_pulses"] == full["set_pulses"]


@pytest.mark.parametrize("args, msg", [(["--xbar", "--method", "multi-mem", "--xbar-n", "0"], "xbar_n"),
                                       (["--method", "magic"], "method"),
                                       (["--xbar", "--method", "sign", "--gmax", "0.05"], "gmax"),
                                       (["--method", "sign"], "--xbar"),
                                       (["--xbar", "--method", "vanilla"], "without --xbar"),
                                       (["--epochs", "two"], "epochs"),
                                       (["--rounding", "ceil"], "rounding")])
def test_eprop_bad_input(tmp_path, capsys, args, msg):
    assert main(["eprop", "--out", str(tmp_path / "x")] + SMALL + args) == 2
    err = capsys.readouterr().err
    assert err.startswith("memsnn: error:") and msg in err
    assert not (tmp_path / "x").exists()


def test_figures_small():
    g = torch.Generator().manual_seed(0)
    rows, _ = figure2(FigureConfig(figure="2", devices=200), g)
    assert len(rows) == 799
    # SET pulses at t = 77, 154, …, 770 s (read before the write of that second)
    jumps = [r["t_s"] - 1 for prev, r in zip(rows, rows[1:]) if r["g_mean"] - prev["g_mean"] > 0.3]
    assert jumps == [77 * k for k in range(1, 11)]
    rows, _ = figure5(FigureConfig(figure="5", array=100, samples=50), g)
    assert rows[-1]["mean_read"] == pytest.approx(9.386, abs=0.1) and rows[0]["std_read"] == pytest.approx(1.526,
                                                                                                           abs=0.1)
    rows, _ = figure7(FigureConfig(figure="7", xbar_n=(1,)), g)
    assert all(r["g_mean"] == r["g_mean"] for r in rows)  # no NaN at write instants
    assert rows[98]["g_mean"] > rows[-1]["g_mean"] > rows[3]["g_mean"]  # programmed, then drift down


def test_write_stats_small():
    rows, _ = write_stats(FigureConfig(figure="write-stats", devices=30, xbar_n=(1, 4)), torch.Generator())
    assert len(rows) == 2 * 21 * 21
    cell = {(r["n"], r["source"], r["target"]): r for r in rows}
    # from a fresh pair: 16 round-robin pulses of nominal 0.75/4 µS for +3 µS, i.e. 4 SET pulses per device; fresh
    # devices gain more than the nominal 0.75 µS per pulse (mean after 4 pulses ≈ 5 µS, spec §8 B)
    assert 3.5 < cell[(4, 0.0, 3.0)]["mean"] < 6.0 and -6.0 < cell[(4, 0.0, -3.0)]["mean"] < -3.5
    assert cell[(4, 0.0, 6.0)]["mean"] > cell[(4, 0.0, 3.0)]["mean"] > cell[(4, 0.0, 0.0)]["mean"]
    assert cell[(4, 0.0, 3.0)]["std"] < cell[(1, 0.0, 3.0)]["std"]


def test_pcm_figures_cli(tmp_path, capsys):
    out = tmp_path / "f5"
    assert main(["pcm-figures", "--figure", "5", "--array", "50", "--samples", "20", "--out", str(out)]) == 0
    assert (out / "figure.png").exists() and (out / "figure.csv").exists() and (out / "metrics.json").exists()
    assert main(["pcm-figures", "--figure", "write-stats", "--xbar-n", "0", "--out", str(tmp_path / "w")]) == 2
    assert "xbar_n" in capsys.readouterr().err
    assert main(["pcm-figures", "--figure", "9", "--out", str(tmp_path / "n")]) == 2


def test_crossbar_early_stop_when_nothing_is_written():
    cfg = EpropConfig(n_t=20, inp_dim=5, n_rec=4, n_samples=1, n_train=1, epochs=80, xbar=True, method="sign",
                      grad_thr=1e9)
    m = train(cfg, progress=False)
    assert m["early_stopped_at"] == 50 and m["epochs_run"] == 51 and m["set_pulses"] == 0
