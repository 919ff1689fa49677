"""IMDB sentiment in a memristive SNN (Huang et al. 2022): approach 1 (convert) and approach 2 (direct), Table 1.

Commands: ``memsnn imdb`` (one approach, one seed) and ``memsnn table1`` (all five Table-1 columns over seeds).
Each run writes a results folder: ``config.toml``, ``metrics.json``, ``epochs.csv``, ``curves.png``; long runs
checkpoint after every epoch and resume when the same command is run again.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from ..config import Config, check_choice, check_positive, check_range, parse_overrides
from ..crossbar.array import Crossbar
from ..crossbar.mapping import LinearConductanceMap
from ..crossbar.programming import APPROACH1_NEGATIVE, APPROACH1_POSITIVE, WriteVerifyConfig
from ..devices.rram import RRAM_PRESETS, RRAMDevice, RRAMState
from ..errors import ConfigError
from ..learning.conversion import TextModel, ann_epoch, ann_evaluate, mean_inputs, snn_evaluate
from ..learning.optim import Adagrad
from ..learning.rate_gradient import direct_epoch, rate_to_probability
from ..results import (RunDir, atomic_save_torch, atomic_write_csv, atomic_write_json, environment_info, save_figure)
from ..snn.layers import READ_MODES, SAMPLING, SpikingLinear
from .imdb_data import ImdbData, prepare_imdb


@dataclass
class ImdbConfig(Config):
    """All parameters of an IMDB run (defaults: Huang et al. 2022, spec §§1–6)."""

    approach: str = "convert"  # convert (approach 1) | direct (approach 2)
    xbar: bool = True
    T: int = 1000
    epochs: int = 5
    seed: int = 0
    split_seed: int = 0
    lr: float = 0.05
    eps: float = 1e-10
    offset: float = 25.0  # ANN logit offset C
    threshold_convert: float = 50.0
    threshold_direct: float = 56.75
    read_noise: float = 0.0
    read_mode: str = "per_step"
    spike_sampling: str = "auto"  # auto: certified spike-count sampling where exact, else steps
    lag_tolerance: float = 1e-9
    r_tolerance: float = 0.005
    max_rounds: int = 5
    R_min: float = 2200.0
    R_max: float = 18900.0
    R_init: float = 11000.0
    R_var: float = 8000.0
    device_preset: str = "huang2022"
    device_method: str = "euler"  # euler: the reference integrator; exact: closed form
    array_shape: tuple[int, ...] = (10, 10)
    min_freq: int = 10
    embedding_dim: int = 100
    oov_std: float = 0.6
    faithful: bool = False
    val_fraction: float = 0.3
    eval_batch: int = 500
    max_train: int | None = None
    max_val: int | None = None
    max_test: int | None = None
    data_dir: str | None = None
    imdb_path: str | None = None
    glove_path: str | None = None

    def validate(self) -> None:
        """Check every value; errors name the bad value."""
        check_choice("approach", self.approach, ("convert", "direct"))
        check_positive("T", self.T)
        check_positive("epochs", self.epochs)
        check_positive("lr", self.lr)
        check_positive("eps", self.eps)
        check_positive("threshold_convert", self.threshold_convert)
        check_positive("threshold_direct", self.threshold_direct)
        check_range("read_noise", self.read_noise, 0.0, 1.0, closed="[)")
        check_choice("read_mode", self.read_mode, READ_MODES)
        check_choice("spike_sampling", self.spike_sampling, SAMPLING)
        check_range("lag_tolerance", self.lag_tolerance, 0.0, 1.0, closed="[]")
        check_range("r_tolerance", self.r_tolerance, 0.0, 1.0, closed="()")
        check_positive("max_rounds", self.max_rounds)
        self.mapping().validate()
        check_choice("device_method", self.device_method, ("euler", "exact"))
        check_choice("device_preset", self.device_preset, RRAM_PRESETS.names())
        self.device_params().validate()
        n = 1
        for d in self.array_shape:
            check_positive("array_shape", d)
            n *= d
        if n != self.embedding_dim:
            raise ConfigError(f"array_shape {self.array_shape} holds {n} devices, embedding_dim is {self.embedding_dim}")
        check_positive("min_freq", self.min_freq)
        check_positive("oov_std", self.oov_std, allow_zero=True)
        check_range("val_fraction", self.val_fraction, 0.0, 1.0, closed="()")
        check_positive("eval_batch", self.eval_batch)
        for name in ("max_train", "max_val", "max_test"):
            v = getattr(self, name)
            if v is not None:
                check_positive(name, v)

    def mapping(self) -> LinearConductanceMap:
        """Weight ↔ resistance map (eq. 21)."""
        return LinearConductanceMap(R_min=self.R_min, R_max=self.R_max)

    def device_params(self) -> Any:
        """RRAM parameters of the preset with this config's initial distribution."""
        return RRAM_PRESETS.get(self.device_preset, R_init=self.R_init, R_var=self.R_var)

    def write_config(self, approach: str) -> WriteVerifyConfig:
        """Predict–write–verify options of approach 1 or 2."""
        if approach == "convert":
            return WriteVerifyConfig(positive_widths=APPROACH1_POSITIVE, negative_widths=APPROACH1_NEGATIVE,
                                     max_rounds=self.max_rounds, r_tolerance=self.r_tolerance)
        return WriteVerifyConfig(max_rounds=self.max_rounds, r_tolerance=self.r_tolerance)


def load_data(cfg: ImdbConfig) -> ImdbData:
    """The prepared IMDB data of a config."""
    return prepare_imdb(imdb_path=cfg.imdb_path, glove_path=cfg.glove_path, data_dir=cfg.data_dir,
                        min_freq=cfg.min_freq, embedding_dim=cfg.embedding_dim, oov_std=cfg.oov_std,
                        faithful=cfg.faithful, val_fraction=cfg.val_fraction, split_seed=cfg.split_seed,
                        embedding_seed=cfg.seed, max_train=cfg.max_train, max_val=cfg.max_val,
                        max_test=cfg.max_test)


def make_crossbar(cfg: ImdbConfig, generator: torch.Generator, state: RRAMState | None = None) -> Crossbar:
    """A fresh crossbar (devices initialised U[R_init ± R_var/2]) or one restored from ``state``."""
    device = RRAMDevice(cfg.device_params(), method=cfg.device_method)
    return Crossbar(device, cfg.mapping(), cfg.array_shape, generator, state)


def make_layer(cfg: ImdbConfig, *, weights: torch.Tensor | None = None, crossbar: Crossbar | None = None) -> SpikingLinear:
    """The output layer over plain weights or a crossbar, with the config's read and sampling modes."""
    return SpikingLinear(weights=weights, crossbar=crossbar, read_noise=cfg.read_noise if crossbar is not None else 0.0,
                         read_mode=cfg.read_mode, sampling=cfg.spike_sampling, lag_tolerance=cfg.lag_tolerance)


def _progress_bar(total: int, desc: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="rev", leave=False, disable=None, mininterval=1.0)


class EpochLoop:
    """Online training over epochs with a checkpoint after each one and best-validation-loss tracking.

    The checkpoint holds the whole state (parameters, device states, optimiser accumulators, RNG state, history,
    best state), so an interrupted run resumes after its last finished epoch with identical results.
    """

    def __init__(self, rundir: RunDir | None, name: str, generator: torch.Generator):
        self.path = rundir.file(f"checkpoint_{name}.pt") if rundir is not None else None
        self.generator = generator
        self.history: list[dict[str, Any]] = []
        self.best: dict[str, torch.Tensor] | None = None
        self.best_epoch = -1
        self.best_loss = float("inf")

    def run(self, epochs: int, state: Callable[[], dict[str, torch.Tensor]],
            restore: Callable[[dict[str, torch.Tensor]], None],
            one_epoch: Callable[[int], dict[str, Any]]) -> dict[str, torch.Tensor]:
        """Run epochs (resuming if a checkpoint exists); returns the best-validation state."""
        start = 0
        if self.path is not None and self.path.exists():
            ck = torch.load(self.path, weights_only=False)
            restore(ck["state"])
            self.generator.set_state(ck["rng"])
            self.history, self.best, self.best_epoch, self.best_loss = (ck["history"], ck["best"],
                                                                        ck["best_epoch"], ck["best_loss"])
            start = ck["epoch"] + 1
        for epoch in range(start, epochs):
            t0 = time.perf_counter()
            row = one_epoch(epoch)
            row["epoch"] = epoch + 1
            row["epoch_time_s"] = round(time.perf_counter() - t0, 3)
            self.history.append(row)
            if row["val_loss"] < self.best_loss:
                self.best_loss, self.best_epoch = row["val_loss"], epoch + 1
                self.best = {k: v.clone() for k, v in state().items()}
            if self.path is not None:
                atomic_save_torch(self.path, {"state": state(), "rng": self.generator.get_state(),
                                              "history": self.history, "best": self.best,
                                              "best_epoch": self.best_epoch, "best_loss": self.best_loss,
                                              "epoch": epoch})
        assert self.best is not None
        return self.best


def train_ann(cfg: ImdbConfig, data: ImdbData, g: torch.Generator,
              rundir: RunDir | None = None) -> tuple[TextModel, EpochLoop]:
    """Approach-1 ANN training (online Adagrad, clamping); returns the best-validation-loss model and the loop."""
    model = TextModel(emb=data.emb.clone(), W=torch.rand(cfg.embedding_dim, generator=g))
    opt_e, opt_w = Adagrad(model.emb, cfg.lr, cfg.eps), Adagrad(model.W, cfg.lr, cfg.eps)
    loop = EpochLoop(rundir, "ann", g)

    def state() -> dict[str, torch.Tensor]:
        return {"emb": model.emb, "W": model.W, "sum_e": opt_e.sum, "sum_w": opt_w.sum}

    def restore(s: dict[str, torch.Tensor]) -> None:
        model.emb, model.W, opt_e.sum, opt_w.sum = s["emb"].clone(), s["W"].clone(), s["sum_e"].clone(), s["sum_w"].clone()

    def one_epoch(epoch: int) -> dict[str, Any]:
        order = torch.randperm(len(data.train), generator=g)
        bar = _progress_bar(len(order), f"ANN epoch {epoch + 1}/{cfg.epochs}")
        tr = ann_epoch(model, data.train, data.train_labels, order, opt_e, opt_w, cfg.offset, bar.update)
        bar.close()
        va = ann_evaluate(model, data.val, data.val_labels, cfg.offset)
        return {**tr.as_dict("train"), **va.as_dict("val")}

    best = loop.run(cfg.epochs, state, restore, one_epoch)
    return TextModel(emb=best["emb"], W=best["W"]), loop


def run_convert(cfg: ImdbConfig, data: ImdbData, rundir: RunDir | None = None) -> dict[str, Any]:
    """Approach 1: ANN training (best validation loss), conversion, SNN test with and without the crossbar."""
    g = torch.Generator().manual_seed(cfg.seed)
    model, loop = train_ann(cfg, data, g, rundir)
    out: dict[str, Any] = {"history": loop.history, "best_epoch": loop.best_epoch}
    out["ann"] = ann_evaluate(model, data.test, data.test_labels, cfg.offset).as_dict("test")
    x_test = mean_inputs(model.emb, data.test)
    bar = _progress_bar(len(data.test), "SNN test")
    t0 = time.perf_counter()
    snn = make_layer(cfg, weights=model.W)
    m, _ = snn_evaluate(snn, x_test, data.test_labels, cfg.T, cfg.threshold_convert, g, cfg.eval_batch,
                        progress=bar.update)
    bar.close()
    out["snn"] = {**m.as_dict("test"), "inference_s": round(time.perf_counter() - t0, 3)}
    if cfg.xbar:
        xbar = make_crossbar(cfg, g)
        t0 = time.perf_counter()
        stats = xbar.program(model.W.to(torch.float64), cfg.write_config("convert"), read_noise=cfg.read_noise,
                             generator=g)
        program_s = time.perf_counter() - t0
        stored = xbar.weights().reshape(-1)
        one_read = xbar.read_weights(cfg.read_noise, generator=g).reshape(-1)
        layer = make_layer(cfg, crossbar=xbar)
        bar = _progress_bar(len(data.test), "SNN+memristors test")
        t0 = time.perf_counter()
        m, _ = snn_evaluate(layer, x_test, data.test_labels, cfg.T, cfg.threshold_convert, g, cfg.eval_batch,
                            progress=bar.update)
        bar.close()
        out["snn_xbar"] = {**m.as_dict("test"), "inference_s": round(time.perf_counter() - t0, 3),
                           "program_s": round(program_s, 3), **stats.summary(),
                           "weight_error_std": float((stored - model.W.double()).std()),
                           "read_weight_error_std": float((one_read - model.W.double()).std())}
        out["weights"] = {"target": model.W.tolist(), "stored": stored.tolist(), "one_read": one_read.tolist()}
    return out


def run_direct(cfg: ImdbConfig, data: ImdbData, rundir: RunDir | None = None,
               trace: list[tuple[int, float, float]] | None = None) -> dict[str, Any]:
    """Approach 2: online training of the (memristive) SNN; test with the best-validation state."""
    g = torch.Generator().manual_seed(cfg.seed)
    model = TextModel(emb=data.emb.clone(), W=torch.rand(cfg.embedding_dim, generator=g))
    xbar = make_crossbar(cfg, g) if cfg.xbar else None
    opt_e, opt_w = Adagrad(model.emb, cfg.lr, cfg.eps), Adagrad(model.W, cfg.lr, cfg.eps)
    scale = cfg.embedding_dim / 2
    write_cfg = cfg.write_config("direct")

    def layer() -> SpikingLinear:
        return make_layer(cfg, crossbar=xbar) if xbar is not None else make_layer(cfg, weights=model.W)

    def state() -> dict[str, torch.Tensor]:
        s = {"emb": model.emb, "W": model.W, "sum_e": opt_e.sum, "sum_w": opt_w.sum}
        if xbar is not None:
            s["R"] = xbar.state.R
        return s

    def restore(s: dict[str, torch.Tensor]) -> None:
        model.emb, model.W, opt_e.sum, opt_w.sum = s["emb"].clone(), s["W"].clone(), s["sum_e"].clone(), s["sum_w"].clone()
        if xbar is not None:
            xbar.state = RRAMState(R=s["R"].clone())

    to_p = lambda r: rate_to_probability(r, scale)  # noqa: E731

    def one_epoch(epoch: int) -> dict[str, Any]:
        order = torch.randperm(len(data.train), generator=g)
        bar = _progress_bar(len(order), f"direct epoch {epoch + 1}/{cfg.epochs}")
        st = direct_epoch(model, layer(), data.train, data.train_labels, order, opt_e, opt_w, T=cfg.T,
                          threshold=cfg.threshold_direct, scale=scale, write_cfg=write_cfg, generator=g,
                          progress=bar.update, trace=trace if epoch == 0 else None)
        bar.close()
        x_val = mean_inputs(model.emb, data.val)
        va, _ = snn_evaluate(layer(), x_val, data.val_labels, cfg.T, cfg.threshold_direct, g, cfg.eval_batch, to_p)
        return {**st.metrics().as_dict("train"), **va.as_dict("val"), "pulses": st.pulses,
                "devices_written": st.devices_written}

    loop = EpochLoop(rundir, "direct", g)
    best = loop.run(cfg.epochs, state, restore, one_epoch)
    restore(best)
    x_test = mean_inputs(model.emb, data.test)
    bar = _progress_bar(len(data.test), "test")
    t0 = time.perf_counter()
    m, _ = snn_evaluate(layer(), x_test, data.test_labels, cfg.T, cfg.threshold_direct, g, cfg.eval_batch, to_p,
                        progress=bar.update)
    bar.close()
    key = "snn_xbar" if xbar is not None else "snn"
    out: dict[str, Any] = {"history": loop.history, "best_epoch": loop.best_epoch,
                           key: {**m.as_dict("test"), "inference_s": round(time.perf_counter() - t0, 3)}}
    if xbar is not None:
        out["weights"] = {"stored": xbar.weights().reshape(-1).tolist()}
    return out


def plot_curves(history: list[dict[str, Any]], title: str) -> Any:
    """Train/validation accuracy and loss per epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = [h["epoch"] for h in history]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.4))
    for key, style in (("train", "o-"), ("val", "s--")):
        a1.plot(ep, [100 * h[f"{key}_acc"] for h in history], style, label=key)
        a2.plot(ep, [h[f"{key}_loss"] for h in history], style, label=key)
    a1.set(xlabel="epoch", ylabel="accuracy (%)", title=title)
    a2.set(xlabel="epoch", ylabel="loss")
    a1.legend()
    a1.grid(alpha=0.3)
    a2.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def run_imdb(cfg: ImdbConfig, out: Path, *, overwrite: bool = False, data: ImdbData | None = None) -> dict[str, Any]:
    """Run one approach and write its results folder; returns the metrics."""
    cfg.validate()
    t0 = time.perf_counter()
    with RunDir(out, cfg, overwrite=overwrite) as rd:
        data = data if data is not None else load_data(cfg)
        runner = run_convert if cfg.approach == "convert" else run_direct
        result = runner(cfg, data, rd)
        metrics = {k: v for k, v in result.items() if k not in ("history", "weights")}
        metrics.update(data=data.summary(), seed=cfg.seed, wall_time_s=round(time.perf_counter() - t0, 2),
                       environment=environment_info())
        atomic_write_json(rd.file("metrics.json"), metrics)
        atomic_write_csv(rd.file("epochs.csv"), result["history"])
        if "weights" in result:
            atomic_write_json(rd.file("weights.json"), result["weights"])
        label = "ANN (approach 1)" if cfg.approach == "convert" else ("SNN+memristors" if cfg.xbar else "SNN") + " (approach 2)"
        save_figure(plot_curves(result["history"], label), rd.file("curves.png"))
        for ck in rd.path.glob("checkpoint_*.pt"):
            ck.unlink()
    return metrics


# ----------------------------------------------------------------------------------------------------------- CLI

_FLAGS: dict[str, tuple[str, type, str]] = {
    "approach": ("--approach", str, "convert (approach 1: ANN→SNN) or direct (approach 2)"),
    "T": ("--T", int, "spike-train length"),
    "epochs": ("--epochs", int, "training epochs"),
    "seed": ("--seed", int, "seed of every random number in the run"),
    "split_seed": ("--split-seed", int, "seed of the 17.5k/7.5k train/validation split"),
    "lr": ("--lr", float, "Adagrad learning rate"),
    "threshold_convert": ("--threshold-convert", float, "IF threshold of the converted SNN (50)"),
    "threshold_direct": ("--threshold-direct", float, "IF threshold of approach 2 (56.75)"),
    "read_noise": ("--read-noise", float, "relative read noise n (uniform ±n)"),
    "read_mode": ("--read-mode", str, "per_step (reference), per_sample or ideal crossbar reads"),
    "spike_sampling": ("--spike-sampling", str, "auto (certified spike counts where exact) or steps"),
    "r_tolerance": ("--r-tolerance", float, "write–verify relative resistance tolerance"),
    "max_rounds": ("--max-rounds", int, "write–verify rounds (MaxN)"),
    "R_min": ("--r-min", float, "resistance of weight 1 (Ω)"),
    "R_max": ("--r-max", float, "resistance of weight 0 (Ω)"),
    "device_method": ("--device-method", str, "euler (reference integrator) or exact (closed form)"),
    "max_train": ("--max-train", int, "use only this many training reviews (quick runs)"),
    "max_val": ("--max-val", int, "use only this many validation reviews"),
    "max_test": ("--max-test", int, "use only this many test reviews"),
    "eval_batch": ("--eval-batch", int, "reviews per batched SNN evaluation"),
    "data_dir": ("--data-dir", str, "data root holding imdb/ and glove/ (else $MEMSNN_DATA, shared/data, cache)"),
    "imdb_path": ("--imdb", str, "aclImdb folder or tarball"),
    "glove_path": ("--glove", str, "GloVe glove.6B.100d.txt[.gz]"),
}


def add_config_arguments(p: argparse.ArgumentParser, skip: tuple[str, ...] = ()) -> None:
    """Flags for every ImdbConfig field (defaults None: the TOML config or the built-in default applies)."""
    p.add_argument("--config", help="TOML file with ImdbConfig fields")
    for field, (flag, tp, help_) in _FLAGS.items():
        if field not in skip:
            p.add_argument(flag, dest=field, type=tp, default=None, help=help_)
    p.add_argument("--xbar", dest="xbar", action=argparse.BooleanOptionalAction, default=None,
                   help="use the memristor crossbar (default on)")
    p.add_argument("--faithful", dest="faithful", action=argparse.BooleanOptionalAction, default=None,
                   help="reference quirks: OOV tokens map to <pad>")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="set any config field, e.g. --set oov_std=0.5")
    p.add_argument("--out", help="results folder (default runs/<command>-<timestamp>)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing results folder")


def config_from_args(args: argparse.Namespace) -> ImdbConfig:
    """ImdbConfig from --config TOML, then flags, then --set overrides; validated."""
    cfg = ImdbConfig.from_toml(args.config) if args.config else ImdbConfig()
    changes: dict[str, Any] = {}
    for field in [*_FLAGS, "xbar", "faithful"]:
        v = getattr(args, field, None)
        if v is not None:
            changes[field] = v
    changes.update(parse_overrides(args.overrides))
    if changes:
        names = {f.name for f in dataclasses.fields(ImdbConfig)}
        for k in changes:
            if k.replace("-", "_") not in names:
                raise ConfigError(f"unknown option {k!r}")
        cfg = cfg.replace(**changes)
    cfg.validate()
    return cfg


def default_out(command: str) -> Path:
    """runs/<command>-<timestamp>."""
    return Path("runs") / f"{command}-{time.strftime('%Y%m%d-%H%M%S')}"


def _cmd_imdb(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    out = Path(args.out) if args.out else default_out(f"imdb-{cfg.approach}")
    metrics = run_imdb(cfg, out, overwrite=args.overwrite)
    summary = {k: v for k, v in metrics.items() if k in ("ann", "snn", "snn_xbar")}
    for name, m in summary.items():
        print(f"{name:9s} test accuracy {100 * m['test_acc']:.2f} %  loss {m['test_loss']:.4f}")
    print(f"results: {out}  ({metrics['wall_time_s']:.1f} s)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``imdb`` and ``table1`` sub-commands."""
    p = sub.add_parser("imdb", help="IMDB sentiment with a memristive SNN (Huang et al. 2022), one approach")
    add_config_arguments(p)
    p.set_defaults(func=_cmd_imdb)
    from .table1 import register_table1

    register_table1(sub)
