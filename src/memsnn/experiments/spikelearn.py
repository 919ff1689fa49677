"""Memristor-Spikelearn reproductions (Liu et al., DATE 2023): ``memsnn stdp-mnist`` and ``memsnn approx-bp``.

Both train on the real MNIST with ideal weights or with a device model (VTEAM-like, Chen–Yu 2015, 1T1R look-up
table) and write a results folder: ``config.toml``, ``metrics.json`` (accuracy, energy per sample, speed, run time,
seed, environment), ``log.csv`` (one row per block), PNG images of the learned weights (and the BP accuracy curve).
Runs checkpoint after every block and resume when the same command is run again.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from ..config import Config, check_positive
from ..data.mnist import load_mnist
from ..errors import ConfigError
from ..learning.approx_bp import ApproxBpNetwork, BpNetConfig
from ..learning.stdp import StdpNetConfig, StdpNetwork, assign_labels, predict
from ..learning.synapse_factory import KINDS, SynapseConfig, bp_synapses, stdp_synapses
from ..results import RunDir, atomic_save_torch, atomic_write_csv, atomic_write_json, environment_info, save_figure
from ..runtime import set_threads


@dataclasses.dataclass
class StdpMnistConfig(Config):
    """``memsnn stdp-mnist``: unsupervised STDP + label assignment (spec §2.5, §3.4)."""

    net: StdpNetConfig = dataclasses.field(default_factory=StdpNetConfig)
    synapse: SynapseConfig = dataclasses.field(default_factory=SynapseConfig)
    epochs: int = 1
    n_train: int = 60000  #: training images per epoch (the first n_train of a per-epoch shuffle)
    block: int = 1000  #: samples per assignment block (the original's batch_size) and per checkpoint
    n_label: int = 1000  #: training images presented with learning off to assign labels after training
    n_test: int = 10000
    test_batch: int = 250  #: samples per progress-bar step when learning is off (label assignment, test)
    seed: int = 1

    def validate(self) -> None:
        super().validate()
        for name in ("epochs", "n_train", "block", "n_label", "n_test", "test_batch"):
            check_positive(name, getattr(self, name))
        if self.synapse.kind == "lut_t":
            raise ConfigError("synapse.kind 'lut_t' exists for approximate BP only")


@dataclasses.dataclass
class ApproxBpConfig(Config):
    """``memsnn approx-bp``: 784-1500-10 spike-count approximate BP (spec §2.6, §3.3)."""

    net: BpNetConfig = dataclasses.field(default_factory=BpNetConfig)
    synapse: SynapseConfig = dataclasses.field(default_factory=lambda: SynapseConfig(lr=0.08, v1_n=1.47, v1_p=0.28))
    epochs: int = 3
    n_train: int = 33000
    val_start: int = 33000  #: validation images are training images val_start … val_start + n_val − 1
    n_val: int = 1000
    val_every: int = 1000  #: training samples per block (validation before each block, checkpoint after)
    n_test: int = 10000
    eval_batch: int = 1000
    seed: int = 1

    def validate(self) -> None:
        super().validate()
        for name in ("epochs", "n_train", "n_val", "val_every", "eval_batch"):
            check_positive(name, getattr(self, name))
        check_positive("n_test", self.n_test, allow_zero=True)
        if self.val_start + self.n_val > 60000:
            raise ConfigError(f"val_start + n_val must be ≤ 60000, got {self.val_start + self.n_val}")


# -- command line ------------------------------------------------------------------------------------------------
_SYN_FLAGS = {  # flag → (SynapseConfig field, type, help)
    "--lr": ("lr", float, "learning rate of the ideal / VTEAM rule (STDP: A_p = lr, A_n = 0.01·lr)"),
    "--g1": ("g1", float, "conductance of weight 1 (S)"),
    "--start-voltage": ("start_voltage", float, "Chen–Yu encoding offset V_s (V)"),
    "--dv-decade": ("dv_decade", float, "Chen–Yu encoding slope (V per decade)"),
    "--nsubstep": ("nsubstep", int, "Chen–Yu Euler sub-steps per pulse"),
    "--v1-p": ("v1_p", float, "LUT potentiation (gate) voltage offset (V)"),
    "--v1-n": ("v1_n", float, "LUT depression voltage offset (V)"),
    "--dv-ep": ("dv_ep", float, "LUT potentiation slope (V per e-fold)"),
    "--dv-en": ("dv_en", float, "LUT depression slope (V per e-fold)"),
    "--lut-table": ("lut_table", str, "LUT .npz file (absolute or relative to the data root)"),
}


def _common_flags(p: argparse.ArgumentParser, kinds: tuple[str, ...], out: str) -> None:
    p.add_argument("--config", help="TOML file with the configuration (flags override it)")
    p.add_argument("--synapse", choices=kinds, help="synapse model: ideal weights or a device")
    for flag, (_, tp, hlp) in _SYN_FLAGS.items():
        p.add_argument(flag, type=tp, help=hlp)
    p.add_argument("--faithful", action="store_true", default=None,
                   help="reproduce the original's sign bugs (LUT STDP never depresses; 1T1R BP sign inverted)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--n-train", type=int, help="training images per epoch")
    p.add_argument("--n-test", type=int, help="test images")
    p.add_argument("--seed", type=int)
    p.add_argument("--data-dir", help="data root holding mnist/ and memristor/ (default: $MEMSNN_DATA, shared/data)")
    p.add_argument("--out", default=out, help="results folder")
    p.add_argument("--overwrite", action="store_true", help="replace an existing results folder")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                   help="threads of torch and of the compiled kernels (default: all cores; approximate BP uses them, "
                        "STDP presentations are serial)")


def register(sub: Any) -> None:
    """Add ``stdp-mnist`` and ``approx-bp``."""
    p = sub.add_parser("stdp-mnist", help="Memristor-Spikelearn unsupervised STDP on MNIST (Diehl & Cook network)")
    _common_flags(p, KINDS[:4], "results/spikelearn/stdp_mnist")
    p.add_argument("--n-exc", type=int, help="excitatory neurons (original argv[1])")
    p.add_argument("--batch-size", type=int, dest="block", help="samples per label-assignment block (argv[2])")
    p.add_argument("--n-label", type=int, help="training images used (learning off) to assign labels")
    p.add_argument("--test-batch", type=int, help="samples per progress-bar step with learning off")
    p.set_defaults(func=run_stdp)
    p = sub.add_parser("approx-bp", help="Memristor-Spikelearn spike-count approximate backprop on MNIST")
    _common_flags(p, KINDS, "results/spikelearn/approx_bp")
    p.add_argument("--n-hidden", type=int)
    p.add_argument("--batch-size", type=int, help="samples trained in parallel (1 = the original rule)")
    p.add_argument("--val-every", type=int, help="training samples between validations")
    p.add_argument("--n-val", type=int, help="validation images (training images from --val-start on)")
    p.add_argument("--val-start", type=int)
    p.set_defaults(func=run_bp)


def _config_from_args(cls: type[Config], args: argparse.Namespace, net_keys: dict[str, str],
                      top_keys: tuple[str, ...]) -> Any:
    cfg = cls.from_toml(args.config) if args.config else cls()
    changes: dict[str, Any] = {}
    if args.synapse is not None:
        changes["synapse.kind"] = args.synapse
    for flag, (field, _, _) in _SYN_FLAGS.items():
        val = getattr(args, flag[2:].replace("-", "_"))
        if val is not None:
            changes[f"synapse.{field}"] = val
    if args.faithful:
        changes["synapse.faithful"] = True
    for attr, key in net_keys.items():
        if getattr(args, attr, None) is not None:
            changes[key] = getattr(args, attr)
    for key in top_keys:
        if getattr(args, key, None) is not None:
            changes[key] = getattr(args, key)
    cfg = cfg.replace(**changes) if changes else cfg
    cfg.validate()
    return cfg


def _weights_figure(w: torch.Tensor, title: str, path: Path, max_n: int = 100) -> None:
    """Grid of 28×28 receptive fields (rows of w)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    w = w[:max_n].detach().cpu().reshape(-1, 28, 28)
    n = w.shape[0]
    cols = int(n**0.5 + 0.999)
    rows = (n + cols - 1) // cols
    grid = torch.zeros(rows * 29, cols * 29)
    for k in range(n):
        r, c = divmod(k, cols)
        grid[r * 29:r * 29 + 28, c * 29:c * 29 + 28] = w[k]
    fig, ax = plt.subplots(figsize=(6, 6 * rows / cols))
    im = ax.imshow(grid.numpy(), cmap="hot_r", interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(title)
    fig.colorbar(im, ax=ax, shrink=0.7, label="weight")
    save_figure(fig, path)


def _energy_fields(syn: Any, n: int, prefix: str) -> dict[str, float]:
    """Per-sample programming energy, pulse count and read power (the original's 'power_forward')."""
    m = syn.meter
    return {f"{prefix}update_energy_J_per_sample": m.update_energy / max(n, 1),
            f"{prefix}pulses_per_sample": m.pulses / max(n, 1)}


def _read_power(net_read_sum: float, cfg: SynapseConfig, syn: Any) -> float:
    """Σ G·V_read² over steps from Σ W·x (0 for ideal weights)."""
    if cfg.kind == "ideal":
        return 0.0
    return net_read_sum * cfg.g1 * syn.device_read_voltage**2


# -- stdp-mnist ----------------------------------------------------------------------------------------------------
def run_stdp(args: argparse.Namespace) -> int:
    """Handler of ``memsnn stdp-mnist``."""
    cfg: StdpMnistConfig = _config_from_args(
        StdpMnistConfig, args, {"n_exc": "net.n_exc"},
        ("epochs", "n_train", "n_test", "seed", "block", "n_label", "test_batch"))
    set_threads(args.threads)
    x_train, y_train = load_mnist("train", args.data_dir)
    x_test, y_test = load_mnist("test", args.data_dir)
    if cfg.n_train > x_train.shape[0] or cfg.n_test > x_test.shape[0] or cfg.n_label > x_train.shape[0]:
        raise ConfigError(f"n_train/n_label ≤ {x_train.shape[0]} and n_test ≤ {x_test.shape[0]} required")
    with RunDir(args.out, cfg, overwrite=args.overwrite) as run:
        gen = torch.Generator().manual_seed(cfg.seed)
        syn = stdp_synapses(cfg.synapse, (1, cfg.net.n_exc, 784), args.data_dir)
        net = StdpNetwork(cfg.net, syn, gen)
        log: list[dict[str, Any]] = []
        pos, train_time, assignment = 0, 0.0, None
        ckpt = run.file("checkpoint.pt")
        if ckpt.exists():
            st = torch.load(ckpt, weights_only=False)
            net.load_state_dict(st["net"])
            gen.set_state(st["rng"])
            pos, train_time, log, assignment = st["pos"], st["train_time"], st["log"], st["assignment"]
        total = cfg.epochs * cfg.n_train
        bar = tqdm(total=total, initial=pos, desc=f"stdp-mnist {cfg.synapse.kind} N={cfg.net.n_exc}", unit="sample")
        while pos < total:
            epoch, start = divmod(pos, cfg.n_train)
            order = torch.randperm(x_train.shape[0], generator=torch.Generator().manual_seed(cfg.seed + epoch))
            idx = order[start:min(start + cfg.block, cfg.n_train)]
            t0 = time.perf_counter()
            e0 = syn.meter.update_energy
            responses = torch.zeros((idx.numel(), cfg.net.n_exc), dtype=torch.float64)
            attempts = 0
            for j, i in enumerate(idx.tolist()):
                counts, att = net.present(x_train[i:i + 1], learn=True)
                responses[j] = counts[0]
                attempts += int(att)
                bar.update(1)
            dt = time.perf_counter() - t0
            train_time += dt
            labels = y_train[idx]
            online = float((predict(responses, assignment) == labels).double().mean()) if assignment is not None \
                else float("nan")
            assignment = assign_labels(responses, labels)
            pos += idx.numel()
            log.append({"samples": pos, "epoch": epoch, "online_accuracy": online,
                        "update_energy_J_per_sample": (syn.meter.update_energy - e0) / idx.numel(),
                        "presentations_per_sample": attempts / idx.numel(),
                        "samples_per_s": idx.numel() / dt})
            atomic_save_torch(ckpt, {"net": net.state_dict(), "rng": gen.get_state(), "pos": pos,
                                     "train_time": train_time, "log": log, "assignment": assignment})
        bar.close()
        train_energy = _energy_fields(syn, total, "train_")
        train_read = _read_power(net.read_sum, cfg.synapse, syn) / total
        # label assignment and test with learning off, samples in parallel
        t0 = time.perf_counter()
        label_resp = []
        for s in tqdm(range(0, cfg.n_label, cfg.test_batch), desc="labelling", unit="batch"):
            label_resp.append(net.present(x_train[s:min(s + cfg.test_batch, cfg.n_label)], learn=False)[0])
        assignment = assign_labels(torch.cat(label_resp), y_train[:cfg.n_label])
        read0 = net.read_sum
        preds = []
        for s in tqdm(range(0, cfg.n_test, cfg.test_batch), desc="test", unit="batch"):
            counts = net.present(x_test[s:min(s + cfg.test_batch, cfg.n_test)], learn=False)[0]
            preds.append(predict(counts, assignment))
        test_time = time.perf_counter() - t0
        acc = float((torch.cat(preds) == y_test[:cfg.n_test]).double().mean())
        metrics = {"test_accuracy": acc, "n_test": cfg.n_test, "n_train_presented": total,
                   "final_online_accuracy": log[-1]["online_accuracy"], **train_energy,
                   "train_read_power_W_sum_per_sample": train_read,
                   "test_read_power_W_sum_per_sample": _read_power(net.read_sum - read0, cfg.synapse, syn) / cfg.n_test,
                   "train_samples_per_s": total / train_time if train_time else float("nan"),
                   "test_samples_per_s": (cfg.n_label + cfg.n_test) / test_time,
                   "neurons_per_label": torch.bincount(assignment[assignment >= 0], minlength=10).tolist(),
                   "silent_neurons": int((assignment < 0).sum()),
                   "seed": cfg.seed, "run_time_s": run.elapsed, "environment": environment_info()}
        atomic_write_json(run.file("metrics.json"), metrics)
        atomic_write_csv(run.file("log.csv"), log)
        _weights_figure(syn.w[0], f"STDP {cfg.synapse.kind}, N={cfg.net.n_exc}: learned input weights",
                        run.file("weights.png"))
        ckpt.unlink()
    print(f"stdp-mnist {cfg.synapse.kind} N={cfg.net.n_exc}: test accuracy {acc:.4f} "
          f"({cfg.n_test} images) → {args.out}")
    return 0


# -- approx-bp -----------------------------------------------------------------------------------------------------
def run_bp(args: argparse.Namespace) -> int:
    """Handler of ``memsnn approx-bp``."""
    cfg: ApproxBpConfig = _config_from_args(
        ApproxBpConfig, args, {"n_hidden": "net.n_hidden", "batch_size": "net.batch_size"},
        ("epochs", "n_train", "n_test", "seed", "val_every", "n_val", "val_start"))
    set_threads(args.threads)
    x_train, y_train = load_mnist("train", args.data_dir)
    x_test, y_test = load_mnist("test", args.data_dir)
    if cfg.n_train > x_train.shape[0] or cfg.n_test > x_test.shape[0]:
        raise ConfigError(f"n_train ≤ {x_train.shape[0]} and n_test ≤ {x_test.shape[0]} required")
    x_val, y_val = x_train[cfg.val_start:cfg.val_start + cfg.n_val], y_train[cfg.val_start:cfg.val_start + cfg.n_val]

    def evaluate(x: torch.Tensor, y: torch.Tensor) -> float:
        preds = [net.predict(x[s:s + cfg.eval_batch]) for s in range(0, x.shape[0], cfg.eval_batch)]
        return float((torch.cat(preds) == y).double().mean())

    with RunDir(args.out, cfg, overwrite=args.overwrite) as run:
        gen = torch.Generator().manual_seed(cfg.seed)
        syn1 = bp_synapses(cfg.synapse, (cfg.net.n_hidden, 784), args.data_dir)
        syn2 = bp_synapses(cfg.synapse, (10, cfg.net.n_hidden), args.data_dir)
        net = ApproxBpNetwork(cfg.net, syn1, syn2, gen)
        log: list[dict[str, Any]] = []
        pos, train_time = 0, 0.0
        ckpt = run.file("checkpoint.pt")
        if ckpt.exists():
            st = torch.load(ckpt, weights_only=False)
            for syn, key in ((syn1, "syn1"), (syn2, "syn2")):
                syn.w = st[key]["w"]
                if "state" in st[key]:
                    syn.state = type(syn.state)(**st[key]["state"])
                for k, v in st[key]["meter"].items():
                    setattr(syn.meter, k, v)
            gen.set_state(st["rng"])
            pos, train_time, log, net.read_sum = st["pos"], st["train_time"], st["log"], st["read_sum"]
        total = cfg.epochs * cfg.n_train
        bar = tqdm(total=total, initial=pos, desc=f"approx-bp {cfg.synapse.kind}", unit="sample")
        while pos < total:
            epoch, start = divmod(pos, cfg.n_train)
            val = evaluate(x_val, y_val) if pos > 0 else float("nan")
            stop = min(start + cfg.val_every, cfg.n_train)
            t0 = time.perf_counter()
            e0 = syn1.meter.update_energy + syn2.meter.update_energy
            step = cfg.net.batch_size if cfg.net.batch_size > 1 else 100  # online: 100 samples per compiled call
            for s in range(start, stop, step):
                e = min(s + step, stop)
                if cfg.net.batch_size > 1:
                    net.train_batch(x_train[s:e], y_train[s:e])
                else:
                    net.train_online(x_train[s:e], y_train[s:e])
                bar.update(e - s)
            dt = time.perf_counter() - t0
            train_time += dt
            pos += stop - start
            log.append({"samples": pos - (stop - start), "epoch": epoch, "val_accuracy": val,
                        "update_energy_J_per_sample":
                            (syn1.meter.update_energy + syn2.meter.update_energy - e0) / (stop - start),
                        "samples_per_s": (stop - start) / dt})
            atomic_save_torch(ckpt, {
                key: {"w": syn.w, "meter": syn.meter.as_dict(),
                      **({"state": dataclasses.asdict(syn.state)} if hasattr(syn, "state") else {})}
                for key, syn in (("syn1", syn1), ("syn2", syn2))} | {
                "rng": gen.get_state(), "pos": pos, "train_time": train_time, "log": log, "read_sum": net.read_sum})
        bar.close()
        t0 = time.perf_counter()
        val = evaluate(x_val, y_val)
        log.append({"samples": pos, "epoch": cfg.epochs, "val_accuracy": val})
        test = evaluate(x_test[:cfg.n_test], y_test[:cfg.n_test]) if cfg.n_test else float("nan")
        eval_time = time.perf_counter() - t0
        metrics = {"final_val_accuracy": val, "test_accuracy": test, "n_val": cfg.n_val, "n_test": cfg.n_test,
                   "n_train_presented": total,
                   **_energy_fields(syn1, total, "l1_"), **_energy_fields(syn2, total, "l2_"),
                   "l1_read_power_W_sum_per_sample": _read_power(net.read_sum[0], cfg.synapse, syn1) / total,
                   "l2_read_power_W_sum_per_sample": _read_power(net.read_sum[1], cfg.synapse, syn2) / total,
                   "train_samples_per_s": total / train_time if train_time else float("nan"),
                   "eval_samples_per_s": (cfg.n_val + cfg.n_test) / eval_time,
                   "seed": cfg.seed, "run_time_s": run.elapsed, "environment": environment_info()}
        metrics["update_energy_J_per_sample"] = (metrics["l1_update_energy_J_per_sample"]
                                                 + metrics["l2_update_energy_J_per_sample"])
        atomic_write_json(run.file("metrics.json"), metrics)
        atomic_write_csv(run.file("log.csv"), log)
        _weights_figure(syn1.w, f"approx-BP {cfg.synapse.kind}: W1 of the first 100 hidden neurons",
                        run.file("weights.png"))
        _curve_figure(log, f"approx-BP {cfg.synapse.kind}", run.file("val_accuracy.png"))
        ckpt.unlink()
    print(f"approx-bp {cfg.synapse.kind}: validation accuracy {val:.4f}, test accuracy {test:.4f} → {args.out}")
    return 0


def _curve_figure(log: list[dict[str, Any]], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = [(r["samples"], r["val_accuracy"]) for r in log if r["val_accuracy"] == r["val_accuracy"]]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    if pts:
        ax.plot(*zip(*pts), marker="o")
    ax.set_xlabel("training samples")
    ax.set_ylabel("validation accuracy")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    save_figure(fig, path)
