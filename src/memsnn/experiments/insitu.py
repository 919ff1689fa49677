"""In-situ memristive learning with memristor emulators (Jurj, Electronics 13(23), 4665, 2024).

Sub-commands:

* ``insitu-train``   one-shot imprinting of XPUE / 012345 / MNIST templates (behavioural model), gate voltages + plots
* ``insitu-infer``   classification by first threshold crossing, accuracy, crossing times, confusion matrix
* ``insitu-spice``   the same network as an ngspice netlist (training + inference transients), compared with the
                     behavioural model (winners, crossing times, gate voltages, wall time)
* ``insitu-emulator`` emulator checks and figures: integration under DC drive, read law, pinched IV loop
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..config import Config, check_choice, check_positive, parse_overrides
from ..data.mnist import load_mnist_arrays
from ..data.patterns import mnist_templates, mnist_test_images, pattern_set
from ..devices.emulator import EMULATOR_PRESETS, MemristorEmulator, drain_current, pinched_loop
from ..errors import DataError
from ..learning.imprint import imprint, imprint_reference, imprint_waveforms
from ..results import RunDir, atomic_write_csv, atomic_write_json, environment_info, save_figure
from ..snn import lapicque
from ..snn.insitu_network import InSituNetwork
from ..snn.lapicque import LapicqueConfig
from ..spice.ngspice import ngspice_version

#: dataset → (T_pw, period, time step) of the paper's transients (s)
TIMING = {"xpue": (5e-3, 15e-3, 10e-6), "012345": (5e-3, 15e-3, 10e-6), "mnist": (2e-3, 6e-3, 11e-6)}
#: published accuracies (Jurj 2024): XPUE and 012345 100 %, MNIST 60 of the first 101 test images
PUBLISHED = {"xpue": (4, 4), "012345": (6, 6), "mnist": (60, 101)}


@dataclasses.dataclass
class InSituConfig(Config):
    """One in-situ run. Timing fields left at 0 take the paper's values for the dataset."""

    dataset: str = "xpue"
    preset: str = "jurj2024"
    t_pw: float = 0.0  # training pulse width (s)
    period: float = 0.0  # presentation period (s)
    tstep: float = 0.0  # transient time step (s) (SPICE; also the input rise time)
    v_high: float = 1.0  # input voltage of an "on" pixel (V)
    phi_v: float = 1.2  # class-gate voltage while writing (V)
    # charge redistribution at input edges: ramp (PULSE inputs) | single_step (DC inputs from a SPICE UIC start, as
    # in the paper's MNIST test) | auto (single_step for mnist, ramp for the pattern sets)
    edge: str = "auto"
    no_fire: str = "class0"  # winner when no neuron crosses: class0 (paper) | max_current
    n_test: int = 101  # MNIST test images (first n in file order)
    mnist_per_class: int = 100
    mnist_size: int = 10
    mnist_top: int = 20  # pixels strictly above the top-th largest value are on
    neuron: LapicqueConfig = dataclasses.field(default_factory=LapicqueConfig)

    def validate(self) -> None:
        super().validate()
        check_choice("dataset", self.dataset, TIMING)
        check_choice("preset", self.preset, EMULATOR_PRESETS.names())
        check_choice("edge", self.edge, ("auto", "ramp", "single_step"))
        check_choice("no_fire", self.no_fire, ("class0", "max_current"))
        for name in ("t_pw", "period", "tstep"):
            check_positive(name, getattr(self, name), allow_zero=True)
        for name in ("v_high", "phi_v", "n_test", "mnist_per_class", "mnist_size", "mnist_top"):
            check_positive(name, getattr(self, name))
        if self.resolved().t_pw >= self.resolved().period:
            from ..errors import ConfigError

            raise ConfigError(f"t_pw ({self.resolved().t_pw}) must be shorter than period ({self.resolved().period})")

    def resolved(self) -> "InSituConfig":
        """A copy with the dataset's paper timing filled in where a field is 0."""
        t_pw, period, tstep = TIMING.get(self.dataset, TIMING["xpue"])
        edge = self.edge if self.edge != "auto" else ("single_step" if self.dataset == "mnist" else "ramp")
        return dataclasses.replace(self, t_pw=self.t_pw or t_pw, period=self.period or period,
                                   tstep=self.tstep or tstep, edge=edge)


@dataclasses.dataclass
class Task:
    """Training patterns, test inputs/labels and display facts of one dataset."""

    train: torch.Tensor
    test: torch.Tensor
    labels: torch.Tensor
    names: tuple[str, ...]
    shape: tuple[int, int]


def load_task(cfg: InSituConfig, data_dir: str | None = None) -> Task:
    """XPUE / 012345 (train = test) or MNIST (templates from train, first ``n_test`` test images)."""
    if cfg.dataset == "mnist":
        tr_x, tr_y = load_mnist_arrays("train", data_dir)
        te_x, te_y = load_mnist_arrays("test", data_dir)
        if cfg.n_test > len(te_y):
            raise DataError(f"n_test = {cfg.n_test} exceeds the {len(te_y)} MNIST test images")
        templates = mnist_templates(tr_x, tr_y, per_class=cfg.mnist_per_class, size=cfg.mnist_size,
                                    top=cfg.mnist_top)
        test = mnist_test_images(te_x, cfg.n_test, size=cfg.mnist_size, top=cfg.mnist_top)
        return Task(templates * cfg.v_high, test * cfg.v_high, torch.as_tensor(te_y[: cfg.n_test].astype(np.int64)),
                    tuple(str(i) for i in range(10)), (cfg.mnist_size, cfg.mnist_size))
    pats, names, shape = pattern_set(cfg.dataset)
    return Task(pats * cfg.v_high, pats * cfg.v_high, torch.arange(len(names)), names, shape)


def build_network(cfg: InSituConfig, task: Task) -> InSituNetwork:
    return InSituNetwork(task.train.shape[1], task.train.shape[0],
                         MemristorEmulator(EMULATOR_PRESETS.get(cfg.preset)), cfg.neuron)


def train_network(cfg: InSituConfig, task: Task) -> InSituNetwork:
    """Behavioural one-shot imprinting."""
    net = build_network(cfg, task)
    net.state = imprint(net.emulator, net.state, task.train, cfg.t_pw, v_high=1.0)
    return net


def load_gates(path: str | Path, n_classes: int, n_inputs: int) -> torch.Tensor:
    """Gate voltages from a ``gates.json`` written by ``insitu-train``/``insitu-spice``."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        vc = torch.tensor(data["vc"], dtype=torch.float64)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(f"cannot read gate voltages from {p}: {exc}") from None
    if vc.shape != (n_classes, n_inputs):
        raise DataError(f"gate voltages in {p} have shape {tuple(vc.shape)}, expected ({n_classes}, {n_inputs})")
    return vc


def confusion(labels: torch.Tensor, pred: torch.Tensor, n: int) -> torch.Tensor:
    m = torch.zeros(n, n, dtype=torch.int64)
    m.index_put_((labels, pred), torch.ones_like(labels), accumulate=True)
    return m


# ------------------------------------------------------------------------------------------------ plots
def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_images(images: torch.Tensor, shape: tuple[int, int], titles: list[str], path: Path, title: str) -> None:
    plt = _plt()
    n = images.shape[0]
    fig, axes = plt.subplots(1, n, figsize=(1.4 * n, 1.8), squeeze=False)
    for k, ax in enumerate(axes[0]):
        ax.imshow(images[k].reshape(shape).numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(titles[k], fontsize=8)
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle(title, fontsize=9)
    save_figure(fig, path)


def plot_confusion(m: torch.Tensor, names: tuple[str, ...], path: Path, title: str) -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(0.45 * len(names) + 2.5, 0.45 * len(names) + 2))
    ax.imshow(m.numpy(), cmap="Blues")
    for (i, j), v in np.ndenumerate(m.numpy()):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(names)), names), ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted"), ax.set_ylabel("true"), ax.set_title(title, fontsize=9)
    save_figure(fig, path)


def plot_traces(t: np.ndarray, traces: np.ndarray, labels: list[str], path: Path, title: str, ylabel: str,
                style: str = "-") -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 3))
    for k in range(traces.shape[1]):
        ax.plot(t * 1e3, traces[:, k], style, lw=0.9, label=labels[k])
    ax.set_xlabel("time (ms)"), ax.set_ylabel(ylabel), ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, ncol=min(6, traces.shape[1]))
    save_figure(fig, path)


def plot_gate_traces(t: np.ndarray, vc: np.ndarray, names: tuple[str, ...], path: Path, title: str) -> None:
    """Vc(t) of every emulator: one panel per input, one line per class."""
    plt = _plt()
    n_in = vc.shape[2]
    cols = min(n_in, 5)
    rows = math.ceil(n_in / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 1.9 * rows), squeeze=False, sharex=True)
    for i in range(rows * cols):
        ax = axes[i // cols][i % cols]
        if i >= n_in:
            ax.axis("off")
            continue
        for j in range(vc.shape[1]):
            ax.plot(t * 1e3, vc[:, j, i], lw=0.8, label=names[j])
        ax.set_title(f"input {i}", fontsize=7)
        ax.tick_params(labelsize=6)
    axes[0][0].legend(fontsize=6)
    fig.suptitle(title + " (Vc in V vs time in ms)", fontsize=9)
    save_figure(fig, path)


# ------------------------------------------------------------------------------------------------ commands
def _config(args: argparse.Namespace) -> InSituConfig:
    torch.set_num_threads(1)  # small tensors: threads only add overhead (and the machine is shared)
    cfg = InSituConfig.from_toml(args.config) if args.config else InSituConfig()
    changes: dict[str, Any] = {"dataset": args.dataset} if args.dataset else {}
    changes.update(parse_overrides(args.set or []))
    if changes:
        cfg = cfg.replace(**changes)
    cfg.validate()
    return cfg.resolved()


def _out(args: argparse.Namespace, cfg: InSituConfig, cmd: str) -> Path:
    return Path(args.out or f"runs/{cmd}_{cfg.dataset}")


def _meta(run: RunDir, cfg: InSituConfig) -> dict[str, Any]:
    return {"dataset": cfg.dataset, "config": cfg.to_dict(), "run_time_s": run.elapsed, "environment": environment_info()}


def cmd_train(args: argparse.Namespace) -> int:
    cfg = _config(args)
    task = load_task(cfg, args.data_dir)
    with RunDir(_out(args, cfg, "insitu-train"), cfg, overwrite=args.overwrite) as run:
        net = train_network(cfg, task)
        vc = net.state.vc
        atomic_write_json(run.file("gates.json"), {"vc": vc, "classes": list(task.names), "dataset": cfg.dataset})
        on = task.train > 0
        metrics = {"vc_imprinted_min": vc[on].min(), "vc_imprinted_max": vc[on].max(),
                   "vc_other_min": vc[~on].min(), "vc_other_max": vc[~on].max(),
                   "imprinted_per_class": on.sum(1).tolist()}
        plot_images(task.train.cpu() / cfg.v_high, task.shape, list(task.names), run.file("dataset_images.png"),
                    f"{cfg.dataset} training patterns")
        if task.train.shape[1] <= 15:  # the step-by-step transient for the Vc(t) plot (small sets)
            t, vref = imprint_reference(net.emulator, task.train / cfg.v_high, cfg.t_pw, cfg.period, cfg.tstep)
            metrics["reference_max_abs_diff_v"] = (vref[-1] - vc).abs().max()
            plot_gate_traces(t.numpy(), vref.numpy(), task.names, run.file("capacitor_voltages.png"),
                             f"{cfg.dataset}: emulator gate voltages during training")
            _, vin, gates = imprint_waveforms(task.train, cfg.t_pw, cfg.period, cfg.tstep)
            plot_traces(t.numpy(), vin.numpy(), [f"in{i}" for i in range(vin.shape[1])], run.file("input_voltages.png"),
                        "input voltages", "V")
            plot_traces(t.numpy(), gates.double().numpy() * cfg.phi_v, [f"phi{j}" for j in range(gates.shape[1])],
                        run.file("control_voltages.png"), "class gate (control) voltages", "V")
        atomic_write_json(run.file("metrics.json"), {**metrics, **_meta(run, cfg)})
    print(f"imprinted gates: {float(metrics['vc_imprinted_min']):.4f} … {float(metrics['vc_imprinted_max']):.4f} V; "
          f"others {float(metrics['vc_other_min']):.4f} … {float(metrics['vc_other_max']):.4f} V → {run.final}")
    return 0


def evaluate(cfg: InSituConfig, task: Task, net: InSituNetwork) -> dict[str, Any]:
    """Accuracy, top-3, crossing times and confusion matrix of the behavioural model."""
    window = cfg.t_pw  # inputs are on for t_pw; a later crossing would need I within e^(-t_pw/tau) of threshold
    res = net.infer(task.test, window=window, edge=cfg.edge, no_fire=cfg.no_fire, input_rise=cfg.tstep)
    pred = res.predictions
    order = torch.argsort(res.times, dim=1, stable=True)
    top3 = (order[:, :3] == task.labels.unsqueeze(1)).any(1)
    silent = torch.isinf(res.times).all(1)
    return {"correct": int((pred == task.labels).sum()), "n": len(task.labels),
            "accuracy": float((pred == task.labels).double().mean()), "top3_correct": int(top3.sum()),
            "no_fire_images": int(silent.sum()), "predicted_class0": int((pred == 0).sum()),
            "times_us": res.times * 1e6, "currents_ma": res.currents * 1e3, "predictions": pred,
            "confusion": confusion(task.labels, pred, len(task.names))}


def cmd_infer(args: argparse.Namespace) -> int:
    cfg = _config(args)
    task = load_task(cfg, args.data_dir)
    with RunDir(_out(args, cfg, "insitu-infer"), cfg, overwrite=args.overwrite) as run:
        net = build_network(cfg, task) if args.gates else train_network(cfg, task)
        if args.gates:
            net.set_gates(load_gates(args.gates, *task.train.shape))
        ev = evaluate(cfg, task, net)
        rows = [{"image": k, "label": int(task.labels[k]), "prediction": int(ev["predictions"][k]),
                 **{f"t_out{j}_us": float(ev["times_us"][k, j]) for j in range(len(task.names))}}
                for k in range(ev["n"])]
        atomic_write_csv(run.file("crossings.csv"), rows)
        plot_confusion(ev["confusion"], task.names, run.file("confusion_matrix.png"),
                       f"{cfg.dataset}: {ev['correct']}/{ev['n']} correct")
        t = np.linspace(0.0, min(cfg.t_pw, 1e-3), 400)
        for k in range(min(len(task.names), ev["n"])):
            v_inf = lapicque.drive(cfg.neuron, ev["currents_ma"][k] / 1e3).numpy()
            plot_traces(t, v_inf[None, :] * (1 - np.exp(-t[:, None] / cfg.neuron.tau)),
                        [f"neuron {j}" for j in range(len(task.names))], run.file(f"membrane_img{k}.png"),
                        f"{cfg.dataset} image {k} (label {int(task.labels[k])}); threshold {cfg.neuron.threshold} V",
                        "V2 (V)")
        pub = PUBLISHED[cfg.dataset]
        metrics = {k: v for k, v in ev.items() if k not in ("times_us", "currents_ma", "predictions")}
        metrics.update({"published_correct": pub[0], "published_n": pub[1], **_meta(run, cfg)})
        atomic_write_json(run.file("metrics.json"), metrics)
    print(f"{cfg.dataset}: {ev['correct']}/{ev['n']} correct (published {pub[0]}/{pub[1]}), top-3 {ev['top3_correct']}, "
          f"{ev['no_fire_images']} images without a crossing → {run.final}")
    return 0


def cmd_spice(args: argparse.Namespace) -> int:
    from ..spice.cosim import spice_infer, spice_train

    # the netlist presents inputs as PULSE sources, whose edges ngspice ramps over one time step
    cfg = dataclasses.replace(_config(args), edge="ramp")
    task = load_task(cfg, args.data_dir)
    if cfg.dataset == "mnist":
        if args.n_spice < 1:
            from ..errors import ConfigError

            raise ConfigError(f"--n-spice must be >= 1, got {args.n_spice}")
        task = dataclasses.replace(task, test=task.test[: args.n_spice], labels=task.labels[: args.n_spice])
    window = cfg.t_pw  # inputs are on for t_pw; a later crossing would need I within e^(-t_pw/tau) of threshold
    with RunDir(_out(args, cfg, "insitu-spice"), cfg, overwrite=args.overwrite) as run:
        keep = run.path if args.keep_netlists else None
        p = EMULATOR_PRESETS.get(cfg.preset)
        gates, tr = spice_train(task.train / cfg.v_high, cfg.t_pw, cfg.period, cfg.tstep, p, cfg.neuron, cfg.phi_v,
                                keep=str(run.file("train")) if keep else None)
        times, inf_res = spice_infer(gates, task.test, cfg.t_pw, cfg.period, cfg.tstep, p, cfg.neuron, window,
                                     keep=str(run.file("infer")) if keep else None)
        spice_pred = lapicque.predict(times, None, "class0")
        evaluate(cfg, task, train_network(cfg, task))  # warm-up, then time a second identical run
        t0 = time.perf_counter()
        net = train_network(cfg, task)
        ev = evaluate(cfg, task, net)
        beh_wall = time.perf_counter() - t0
        b_times = ev["times_us"] / 1e6
        both = torch.isfinite(times) & torch.isfinite(b_times)
        same_fire = bool((torch.isfinite(times) == torch.isfinite(b_times)).all())
        dt_us = ((times - b_times).abs() * 1e6)[both]
        spice_wall = tr.wall_s + inf_res.wall_s
        on = task.train > 0
        report = {
            "n": len(task.labels), "spice_correct": int((spice_pred == task.labels).sum()),
            "behavioural_correct": ev["correct"], "winners_agree": bool((spice_pred == ev["predictions"]).all()),
            "same_neurons_fire": same_fire, "max_abs_dt_us": float(dt_us.max()) if len(dt_us) else 0.0,
            "mean_abs_dt_us": float(dt_us.mean()) if len(dt_us) else 0.0,
            "spice_times_us": times * 1e6, "behavioural_times_us": ev["times_us"],
            "spice_gates_imprinted_v": [float(gates[on].min()), float(gates[on].max())],
            "spice_gates_other_v": [float(gates[~on].min()), float(gates[~on].max())],
            "behavioural_gates_imprinted_v": [float(net.state.vc[on].min()), float(net.state.vc[on].max())],
            "max_abs_gate_diff_imprinted_v": float((gates - net.state.vc)[on].abs().max()),
            "spice_wall_s": spice_wall, "spice_train_wall_s": tr.wall_s, "spice_infer_wall_s": inf_res.wall_s,
            "spice_time_points": [len(tr.time), len(inf_res.time)], "behavioural_wall_s": beh_wall,
            "speedup": spice_wall / beh_wall, "ngspice": ngspice_version(),
        }
        atomic_write_json(run.file("gates.json"), {"vc": gates, "classes": list(task.names), "dataset": cfg.dataset,
                                                   "source": "ngspice"})
        rows = [{"image": k, "neuron": j, "spice_us": float(times[k, j] * 1e6),
                 "behavioural_us": float(ev["times_us"][k, j])} for k in range(len(task.labels))
                for j in range(len(task.names))]
        atomic_write_csv(run.file("crossings.csv"), rows)
        plot_traces(inf_res.time, np.stack([inf_res[f"out{j}"] for j in range(len(task.names))], 1),
                    [f"out{j}" for j in range(len(task.names))], run.file("spice_output_voltages.png"),
                    f"{cfg.dataset}: ngspice neuron outputs during inference", "V")
        if len(task.names) * task.train.shape[1] <= 90:
            vc_t = np.stack([np.stack([tr[f"xm{j}_{i}.cmem"] for j in range(len(task.names))], 1)
                             for i in range(task.train.shape[1])], 2)
            plot_gate_traces(tr.time, vc_t, task.names, run.file("spice_capacitor_voltages.png"),
                             f"{cfg.dataset}: ngspice emulator gate voltages during training")
        atomic_write_json(run.file("metrics.json"), {**report, **_meta(run, cfg)})
    print(f"{cfg.dataset}: SPICE {report['spice_correct']}/{report['n']}, behavioural {report['behavioural_correct']}/"
          f"{report['n']}, winners agree {report['winners_agree']}, max |dt| {report['max_abs_dt_us']:.1f} us, "
          f"SPICE {spice_wall:.2f} s vs behavioural {beh_wall:.4f} s (x{report['speedup']:.0f}) -> {run.final}")
    return 0


#: spec check A: Vc (V) at these times (ms) under V_D = 1 V DC from Vc = 0, switch on (ngspice, UIC start)
CHECK_A_TIMES_MS = (0.5, 1.0, 2.0, 3.0, 4.0, 5.0)


def emulator_checks(out: Path, spice: bool = True) -> dict[str, Any]:
    """Integration under DC drive, read law and the IV loop, behavioural (and ngspice); writes three PNGs."""
    from ..spice.netlist import emulator_netlist
    from ..spice.ngspice import run_netlist

    em = MemristorEmulator(EMULATOR_PRESETS.get("jurj2024"))
    times = torch.tensor(CHECK_A_TIMES_MS, dtype=torch.float64) * 1e-3
    m: dict[str, Any] = {"times_ms": list(CHECK_A_TIMES_MS)}
    start = em.edge(em.init_state((len(times),)), 1.0, mode="single_step")
    hold = MemristorEmulator(em.p, substeps=400)
    m["vc_behavioural_uic_v"] = torch.stack([hold.hold(start, float(t)).vc[0] for t in times])
    ramp = em.edge(em.init_state((1,)), 1.0)
    m["vc_behavioural_ramp_v"] = torch.stack([hold.hold(ramp, float(t)).vc[0] for t in times])
    half = em.edge(em.init_state((1,)), 0.5, mode="single_step")
    m["vc_behavioural_uic_0v5_5ms_v"] = hold.hold(half, 5e-3).vc[0]
    vds = torch.tensor([0.25, 0.5, 1.0], dtype=torch.float64)
    m["i_read_7v0658_a"] = drain_current(em.p, torch.full_like(vds, 7.0658), vds)
    m["i_read_2v8386_a"] = drain_current(em.p, torch.full_like(vds, 2.8386), vds)
    iv = MemristorEmulator(EMULATOR_PRESETS.get("jurj2024_iv"))
    t = torch.arange(0, 10e-3 + 1e-12, 0.5e-6, dtype=torch.float64)
    vd = torch.sin(2 * math.pi * 1e3 * t)
    vc_iv, i_iv = iv.transient(0.0, t, vd)
    m["iv_behavioural_vc_peak_v"] = vc_iv[: len(t) // 10].max()
    m["iv_behavioural_i_at_0p25ms_a"] = i_iv[500]
    plt = _plt()
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.2))
    ax[0].plot(times * 1e3, m["vc_behavioural_uic_v"], "o-", label="behavioural (UIC start)")
    ax[0].plot(times * 1e3, m["vc_behavioural_ramp_v"], "s-", label="behavioural (ramped start)")
    fig_iv, ax_iv = plt.subplots(figsize=(4.5, 3.5))
    ax_iv.plot(vd.numpy(), i_iv.numpy(), lw=0.6, label="behavioural")
    if spice:
        for name, src, tstep, tstop in (("dc1", "DC 1", 10e-6, 5e-3), ("dc05", "DC 0.5", 10e-6, 5e-3)):
            r = run_netlist(emulator_netlist(em.p, src, tstep, tstop)[0])
            vals = torch.tensor(np.interp(times.numpy(), r.time, r["x1.cmem"]))
            m[f"vc_spice_{name}_v"] = vals
        ax[0].plot(times * 1e3, m["vc_spice_dc1_v"], "x--", label="ngspice")
        r = run_netlist(emulator_netlist(iv.p, "SIN(0 1 1k)", 0.1e-6, 10e-3)[0])
        m["iv_spice_vc_peak_v"] = float(np.max(r["x1.cmem"][r.time <= 1e-3]))
        m["iv_spice_i_at_0p25ms_a"] = float(np.interp(0.25e-3, r.time, r["i(vs)"]))
        ax_iv.plot(r["d"], r["i(vs)"], "--", lw=0.6, label="ngspice")
    ax[0].set_xlabel("time (ms)"), ax[0].set_ylabel("Vc (V)"), ax[0].legend(fontsize=7)
    ax[0].set_title("gate voltage, V_D = 1 V, switch on", fontsize=9)
    vg = torch.linspace(0, 8, 200, dtype=torch.float64)
    for v in (0.25, 0.5, 1.0):
        ax[1].plot(vg, drain_current(em.p, vg, torch.full_like(vg, v)) * 1e3, label=f"V_DS = {v} V")
    ax[1].set_xlabel("Vc (V)"), ax[1].set_ylabel("I_D (mA)"), ax[1].legend(fontsize=7), ax[1].set_title("read law", fontsize=9)
    save_figure(fig, out / "emulator_integration.png")
    ax_iv.set_xlabel("V_DS (V)"), ax_iv.set_ylabel("I (A)"), ax_iv.legend(fontsize=7)
    ax_iv.set_title("emulator IV, 1 V / 1 kHz, K = 2e-4", fontsize=9)
    save_figure(fig_iv, out / "memristor_circuit_simulation.png")
    _, v, i = pinched_loop()
    fig, ax = plt.subplots(figsize=(4, 3.5))
    ax.plot(v.numpy(), i.numpy(), lw=0.8)
    ax.set_xlabel("v = sin t"), ax.set_ylabel("i = exp(-cos t) sin t"), ax.set_title("pinched hysteresis", fontsize=9)
    save_figure(fig, out / "linear_memristor.png")
    return m


def cmd_emulator(args: argparse.Namespace) -> int:
    cfg = _config(args)
    with RunDir(Path(args.out or "runs/insitu-emulator"), cfg, overwrite=args.overwrite) as run:
        metrics = emulator_checks(run.path, spice=not args.no_spice)
        atomic_write_json(run.file("metrics.json"), {**metrics, **_meta(run, cfg)})
    print(json.dumps({k: v for k, v in metrics.items() if k.startswith(("vc_", "i_", "iv_"))}, indent=1,
                     default=lambda x: x.tolist() if hasattr(x, "tolist") else float(x)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the insitu-* sub-commands."""
    specs = [("insitu-train", cmd_train, "one-shot imprinting of the emulator network (behavioural)"),
             ("insitu-infer", cmd_infer, "first-crossing classification with the imprinted network"),
             ("insitu-spice", cmd_spice, "ngspice co-simulation of training + inference vs the behavioural model"),
             ("insitu-emulator", cmd_emulator, "memristor-emulator checks and IV figures")]
    for name, func, help_ in specs:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("--dataset", choices=sorted(TIMING), help="pattern set (default from config: xpue)")
        p.add_argument("--config", help="TOML file with InSituConfig fields")
        p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config field (repeatable)")
        p.add_argument("--out", help="results folder (default runs/<command>_<dataset>)")
        p.add_argument("--data-dir", help="data root (holds mnist/)")
        p.add_argument("--overwrite", action="store_true", help="replace an existing results folder")
        if name == "insitu-infer":
            p.add_argument("--gates", help="gates.json of a trained network (default: imprint first)")
        if name == "insitu-spice":
            p.add_argument("--n-spice", type=int, default=5, help="MNIST test images simulated in SPICE (default 5)")
            p.add_argument("--keep-netlists", action="store_true", help="store the netlists and ngspice logs")
        if name == "insitu-emulator":
            p.add_argument("--no-spice", action="store_true", help="behavioural model only")
        p.set_defaults(func=func)
