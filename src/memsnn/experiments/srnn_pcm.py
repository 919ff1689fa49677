"""``memsnn eprop``: online e-prop training of a spiking RNN with FP32 or PCM synapses (Demirag et al. 2021).

Y. Demirag, C. Frenkel, M. Payvand, G. Indiveri, "Online Training of Spiking Recurrent Neural Networks with
Phase-Change Memory Synapses", arXiv:2108.01804 (2021). Task: the four-sinusoid pattern generation of
:mod:`memsnn.data.patterns_sinusoid`; every flag of the original ``train.py`` is accepted (``--xbar_n`` and
``--xbar-n`` both work). Results folder: ``config.toml``, ``metrics.json``, ``loss.csv``, ``outputs.csv``,
``loss.png``, ``output.png``; an interrupted run resumes from its last epoch checkpoint.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
import typing
from pathlib import Path
from typing import Any

import torch

from ..config import Config, check_choice, check_positive
from ..crossbar.differential import PULSE_RULES
from ..data.patterns_sinusoid import sinusoid_patterns
from ..devices.pcm import PCM_PRESETS
from ..errors import ConfigError
from ..learning.eprop import EpropParams
from ..learning.srnn import SRNN, SRNNSpec
from ..learning.update_schemes import FP32_METHODS, METHODS, MM_ROUNDINGS, ROUNDINGS, SchemeConfig
from ..results import RunDir, atomic_save_torch, atomic_write_csv, atomic_write_json, environment_info, save_figure
from ..snn.recurrent import LIFParams

REFRESH_WINDOWS = ((10000.0, 10050.0), (20000.0, 20050.0))  # device-time windows (s) of the original schedule
SATURATED_HZ = 500.0  # a neuron firing above this rate (every other step) is counted as saturated in loss.csv


@dataclasses.dataclass
class EpropConfig(Config):
    """Configuration of ``memsnn eprop`` (names and defaults of the original ``train.py`` first)."""

    seed: int = 42
    inp_dim: int = 100
    out_dim: int = 1
    n_rec: int = 100
    thr: float = 0.1
    tau_rec: float = 30e-3
    tau_out: float = 30e-3
    lr_inp: float = 2e-5
    lr_rec: float = 5e-5
    lr_out: float = 2e-5
    w_init_gain: float = 0.1
    n_t: int = 1000
    n_b: int = 1
    gamma: float = 0.3
    dt: float = 1e-3
    reg: float = 1e-4
    f0: float = 12.0
    xbar: bool = False
    xbar_n: int = 1
    perf: bool = False
    xbar_res: int = 3
    xbar_scale: float = 1.0
    prob_scale: float = 1.0
    grad_thr: float = 0.0
    method: str = "vanilla"
    epochs: int = 250
    # options beyond the original
    n_samples: int = 6  # patterns generated (the first n_train of a random permutation are trained)
    n_train: int = 3
    input_rate: float = 50.0  # Hz
    gmax: float = 12.0  # µS
    write_interval: float = 38.6  # device time between updates (s)
    acc_eps: float = 0.125  # update quantum of accumulator / mixed-precision (weight units)
    pulse_eps: float = 0.75  # nominal conductance change of one SET pulse used to plan pulse counts (µS)
    rounding: str = "trunc"  # accumulator quantiser: trunc (symmetric) | floor (original under torch >= 1.13)
    pulse_rule: str = "round"  # pulse-count rounding: round | floor | faithful
    refresh_rewrite: str = "nominal"  # nominal: |diff|/pulse_eps pulses | set-curve: invert the mean SET curve
    mm_rounding: str = "trunc"  # multi-mem pulse count: trunc (the original) | stochastic (unbiased rounding)
    refresh: str = "schedule"  # schedule: multi-mem at the original's two instants | always: every PCM update | never
    faithful: bool = False  # reproduce the original: floor quantiser, faithful pulse rule, read sum over N devices
    lr_decay: float = 1.0  # learning rates × lr_decay^epoch (exponential schedule; 1 = constant, the original)
    early_stop: bool = True  # crossbar runs stop at epoch 50 when the recurrent array got < 2 pulses
    log_every: int = 10

    def __post_init__(self) -> None:
        if self.faithful:  # the original's choices, recorded in the resolved config
            self.rounding, self.pulse_rule = "floor", "faithful"

    def validate(self) -> None:
        super().validate()
        for name in ("inp_dim", "out_dim", "n_rec", "n_t", "n_b", "epochs", "n_samples", "n_train", "xbar_res",
                     "log_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.xbar_n < 1:
            raise ConfigError(f"xbar_n (devices per side N) must be >= 1, got {self.xbar_n!r}")
        if self.n_t < 2:
            raise ConfigError(f"n_t must be >= 2, got {self.n_t!r}")
        if self.n_train > self.n_samples:
            raise ConfigError(f"n_train must be <= n_samples ({self.n_samples}), got {self.n_train!r}")
        for name in ("thr", "tau_rec", "tau_out", "dt", "w_init_gain", "xbar_scale", "prob_scale", "gmax",
                     "write_interval", "acc_eps", "pulse_eps"):
            check_positive(name, getattr(self, name))
        for name in ("lr_inp", "lr_rec", "lr_out", "gamma", "reg", "grad_thr", "input_rate"):
            check_positive(name, getattr(self, name), allow_zero=True)
        if not 0 < self.lr_decay <= 1:
            raise ConfigError(f"lr_decay must be in (0, 1], got {self.lr_decay!r}")
        check_choice("method", self.method, METHODS)
        check_choice("rounding", self.rounding, ROUNDINGS)
        check_choice("pulse_rule", self.pulse_rule, PULSE_RULES)
        check_choice("refresh", self.refresh, ("schedule", "always", "never"))
        check_choice("mm_rounding", self.mm_rounding, MM_ROUNDINGS)
        check_choice("refresh_rewrite", self.refresh_rewrite, ("nominal", "set-curve"))
        if self.xbar and self.method in FP32_METHODS:
            raise ConfigError(f"method {self.method!r} trains FP32 weights; run it without --xbar")
        if not self.xbar and self.method not in FP32_METHODS:
            raise ConfigError(f"method {self.method!r} programs crossbar devices; add --xbar true")
        if self.input_rate * self.dt > 1:
            raise ConfigError(f"input_rate·dt must be <= 1, got {self.input_rate * self.dt!r}")

    def spec(self) -> SRNNSpec:
        """The network specification this configuration describes."""
        scheme = SchemeConfig(method=self.method, grad_thr=self.grad_thr, prob_scale=self.prob_scale,
                              acc_eps=self.acc_eps, pulse_eps=self.pulse_eps,
                              refresh_rewrite=self.refresh_rewrite, mm_rounding=self.mm_rounding,
                              rounding=self.rounding, pulse_rule=self.pulse_rule)
        return SRNNSpec(n_in=self.inp_dim, n_rec=self.n_rec, n_out=self.out_dim,
                        lif=LIFParams(thr=self.thr, tau_rec=self.tau_rec, tau_out=self.tau_out, dt=self.dt),
                        eprop=EpropParams(gamma=self.gamma, reg=self.reg, f0=self.f0), scheme=scheme,
                        lrs=(self.lr_inp, self.lr_rec, self.lr_out), w_init_gain=self.w_init_gain, xbar=self.xbar,
                        xbar_n=self.xbar_n, xbar_scale=self.xbar_scale,
                        pcm=PCM_PRESETS.get("demirag2021", gmax=self.gmax, perf=self.perf, perf_res=self.xbar_res),
                        faithful_read_sum=self.faithful)


def refresh_due(tp: float) -> bool:
    """Refresh schedule of the original: true only when the update time falls in one of REFRESH_WINDOWS."""
    return any(lo < tp < hi for lo, hi in REFRESH_WINDOWS)


def _mse(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(((a - b) ** 2).mean())


def train(cfg: EpropConfig, run: RunDir | None = None, *, progress: bool = True) -> dict[str, Any]:
    """Train on the pattern task; writes checkpoints/results into ``run`` when given. Returns the metrics and the
    per-epoch ``history`` (the rows of ``loss.csv``: losses, pulses, firing rates, saturated neurons, refreshes)."""
    cfg.validate()
    t_start = time.perf_counter()
    g = torch.Generator().manual_seed(cfg.seed)
    xs, ys = sinusoid_patterns(cfg.n_samples, cfg.n_t, cfg.inp_dim, rate_hz=cfg.input_rate, dt=cfg.dt, generator=g)
    train_idx = torch.randperm(cfg.n_samples, generator=g)[:cfg.n_train]
    net = SRNN(cfg.spec(), g)
    tp, start, history, pulses, stopped = 0.0, 0, [], 0, None
    ckpt = run.file("checkpoint.pt") if run is not None else None
    if ckpt is not None and ckpt.exists():
        d = torch.load(ckpt, weights_only=False)
        net.load_state_dict(d["net"])
        g.set_state(d["generator"])
        tp, start, history, pulses = d["tp"], d["epoch"], d["history"], d["pulses"]
    from tqdm import tqdm

    bar = tqdm(range(start, cfg.epochs), desc=f"eprop {cfg.method}", disable=not progress, leave=False)
    for epoch in bar:
        order = train_idx[torch.randperm(cfg.n_train, generator=g)]
        losses, rates = [], []
        for b0 in range(0, cfg.n_train, cfg.n_b):
            idx = order[b0:b0 + cfg.n_b]
            x, y = xs[idx].transpose(0, 1), ys[idx].transpose(0, 1)
            out = net.forward(x, tp, g)
            losses.append(_mse(out.vo, y))
            rates.append(out.z.mean(dim=(0, 1)) / cfg.dt)  # per neuron (Hz)
            grads = net.gradients(x, out, y)
            tp += cfg.write_interval
            pulses += net.update(grads, tp, g, refresh=cfg.refresh == "always" or (
                cfg.refresh == "schedule" and cfg.method == "multi-mem" and refresh_due(tp)),
                lr_factor=cfg.lr_decay ** epoch)
        r = torch.stack(rates)
        history.append({"epoch": epoch, "loss_mean": sum(losses) / len(losses), "loss_last": losses[-1],
                        "pulses": pulses, "rec_count": net.write_count("w_rec"), "rate_hz": float(r.mean()),
                        "rate_max_hz": float(r.max()), "saturated": int((r > SATURATED_HZ).sum(1).max()),
                        "refreshed": net.refreshed()})
        bar.set_postfix(loss=f"{history[-1]['loss_mean']:.4f}")
        if progress and epoch % cfg.log_every == 0:
            tqdm.write(f"Epoch [{epoch}] - Loss: {losses[-1]:.4f}")
        if cfg.xbar and cfg.early_stop and epoch == 50 and net.write_count("w_rec") < 2:
            stopped = epoch
        if ckpt is not None:
            atomic_save_torch(ckpt, {"net": net.state_dict(), "generator": g.get_state(), "tp": tp,
                                     "epoch": epoch + 1, "history": history, "pulses": pulses})
        if stopped is not None:
            break
    # final evaluation on the training patterns (no update)
    outputs, finals = [], []
    for i in train_idx.tolist():
        x, y = xs[i:i + 1].transpose(0, 1), ys[i:i + 1].transpose(0, 1)
        out = net.forward(x, tp, g)
        finals.append(_mse(out.vo, y))
        outputs.append((i, y[:, 0, 0], out.vo[:, 0, 0], float(out.z.mean() / cfg.dt)))
    metrics = {
        "method": cfg.method, "xbar": cfg.xbar, "xbar_n": cfg.xbar_n, "seed": cfg.seed,
        "final_mse": sum(finals) / len(finals), "final_mse_per_pattern": finals,
        "loss_first_epoch": history[0]["loss_mean"] if history else None,
        "loss_last_epoch": history[-1]["loss_mean"] if history else None,
        "epochs_run": len(history), "early_stopped_at": stopped, "set_pulses": pulses,
        "mean_rate_hz": sum(o[3] for o in outputs) / len(outputs),
        "runtime_s": time.perf_counter() - t_start, "environment": environment_info(),
    }
    if run is not None:
        _write_results(run, history, outputs, metrics, cfg)
    return {**metrics, "history": history}


def _write_results(run: RunDir, history: list[dict[str, Any]], outputs: list[Any], metrics: dict[str, Any],
                   cfg: EpropConfig) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    atomic_write_json(run.file("metrics.json"), metrics)
    atomic_write_csv(run.file("loss.csv"), history)
    rows = []
    for i, y, vo, _ in outputs:
        rows += [{"pattern": i, "t_ms": t, "target": float(y[t]), "output": float(vo[t])} for t in range(len(y))]
    atomic_write_csv(run.file("outputs.csv"), rows)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.semilogy([h["epoch"] for h in history], [h["loss_mean"] for h in history])
    ax.set(xlabel="epoch", ylabel="MSE (mean over patterns)", title=f"e-prop, {cfg.method}")
    save_figure(fig, run.file("loss.png"))
    fig, axes = plt.subplots(len(outputs), 1, figsize=(6, 1.8 * len(outputs)), sharex=True, squeeze=False)
    for ax, (i, y, vo, _) in zip(axes[:, 0], outputs):
        ax.plot(y.numpy(), label="target")
        ax.plot(vo.numpy(), label="output")
        ax.set_ylabel(f"pattern {i}")
    axes[0, 0].legend(loc="upper right", fontsize=7)
    axes[-1, 0].set_xlabel("time (ms)")
    save_figure(fig, run.file("output.png"))


# -- command line ------------------------------------------------------------------------------------------------
def add_config_flags(parser: argparse.ArgumentParser, cls: type[Config]) -> None:
    """One flag per config field, spelled ``--a-b`` and ``--a_b``; values are coerced and checked by the Config."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        names = [f"--{f.name.replace('_', '-')}"] + ([f"--{f.name}"] if "_" in f.name else [])
        kw: dict[str, Any] = {"dest": f.name, "default": None, "help": f"(default {f.default!r})"}
        if hints[f.name] is bool:
            kw.update(nargs="?", const="true", metavar="true|false")
        elif typing.get_origin(hints[f.name]) in (tuple, list):
            kw.update(nargs="+")
        parser.add_argument(*names, **kw)


def config_from_args(cls: type[Config], args: argparse.Namespace) -> Any:
    """The config from ``--config`` (TOML) with the explicitly given flags applied on top."""
    cfg = cls.from_toml(args.config) if getattr(args, "config", None) else cls()
    names = {f.name for f in dataclasses.fields(cls)}
    changes = {k: v for k, v in vars(args).items() if k in names and v is not None}
    cfg = cfg.replace(**changes) if changes else cfg
    cfg.validate()
    return cfg


def _cmd_eprop(args: argparse.Namespace) -> int:
    cfg: EpropConfig = config_from_args(EpropConfig, args)
    torch.set_num_threads(args.threads)
    tag = f"{cfg.method}{'_perf' if cfg.perf else ''}{f'_n{cfg.xbar_n}' if cfg.xbar_n > 1 else ''}_seed{cfg.seed}"
    out = Path(args.out or f"runs/srnn_pcm/eprop_{tag}")
    with RunDir(out, cfg, overwrite=args.overwrite) as run:
        m = train(cfg, run, progress=not args.quiet)
        run.file("checkpoint.pt").unlink(missing_ok=True)
    print(f"{cfg.method}: final MSE {m['final_mse']:.4f} (epoch-0 loss {m['loss_first_epoch']:.4f}, "
          f"{m['epochs_run']} epochs, {m['set_pulses']} SET pulses, {m['runtime_s']:.1f} s) -> {out}")
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("eprop", help="e-prop training of a spiking RNN with FP32 or PCM synapses "
                                            "(Demirag et al. 2021)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_flags(p, EpropConfig)
    p.add_argument("--config", help="TOML file with any of the options (flags override it)")
    p.add_argument("--out", help="results folder (default runs/srnn_pcm/eprop_<method>_seed<seed>)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing results folder")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--quiet", action="store_true", help="no progress bar / epoch log")
    p.add_argument("--cuda", nargs="?", const="true", default=None,
                   help="accepted for compatibility with the original; memsnn runs on the CPU")
    p.set_defaults(func=_cmd_eprop)

