"""``memsnn pcm-figures``: PCM model figures of Nandakumar et al. (2018) and multi-device write statistics.

S. R. Nandakumar et al., J. Appl. Phys. 124, 152135 (2018), figs. 2, 5 and 7 as replicated by Demirag et al.
(arXiv:2108.01804), and the write-statistics heatmaps (source × target conductance difference, N devices per side)
of that paper's supplementary figures. Every figure writes a PNG and a CSV of the plotted numbers.

* ``--figure 2``: one device (and an ensemble) RESET at t = 0, a SET pulse whenever ``t % 38.5 == 0`` (t = 77,
  154, …, 770 s), read every second (read before the write of that second): staircase with drift and read noise.
* ``--figure 5``: ``array × array`` devices (default 10⁶), ``pulses`` (20) SET pulses, each read ``T0`` after its
  write (drift factor 1), Gmax = 20 µS; mean ± std of G, mean and std of the increments, vs the noise-free SET
  curve. The original repeats one device ``samples`` (100) times; here all devices are programmed at once.
* ``--figure 7``: 100×100 array, SET every 5 s for t < 100 s, read at every second (write first: the read at the
  write instant uses the model's defined minimum delay) — drift after programming.
* ``--figure write-stats``: for source and target differences in −10 … 10 µS, arrays set to the source (G⁺ = s
  or G⁻ = −s), one ``target_write`` (refresh on) with ``--write-method``; heatmaps of mean and std of the reached
  difference ``mean_n G⁺ − mean_n G⁻`` for each N in ``--xbar-n``.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import Any

import torch

from ..config import Config, check_choice
from ..crossbar.differential import PULSE_RULES, DifferentialArray
from ..devices.pcm import PCM_PRESETS, PCMModel, mean_set_curve
from ..errors import ConfigError
from ..learning.update_schemes import WRITE_METHODS, target_write
from ..results import RunDir, atomic_write_csv, atomic_write_json, environment_info, save_figure
from .srnn_pcm import add_config_flags, config_from_args

FIGURES = ("2", "5", "7", "write-stats")


@dataclasses.dataclass
class FigureConfig(Config):
    """Options of ``memsnn pcm-figures``."""

    figure: str = "5"
    seed: int = 0
    gmax: float = 0.0  # µS; 0 = the figure's default (20 for fig. 5, 12 otherwise)
    perf: bool = False
    xbar_res: int = 8
    xbar_n: tuple[int, ...] = (1, 8, 16)  # devices per side (write-stats; figs. 2/7 use the first)
    array: int = 1000  # fig. 5: array side
    pulses: int = 20  # fig. 5
    samples: int = 100  # fig. 5: devices of the "repetition" statistics
    devices: int = 1000  # fig. 2 ensemble / write-stats devices per (source, target) cell
    write_method: str = "multi-mem"
    pulse_rule: str = "round"

    def validate(self) -> None:
        super().validate()
        check_choice("figure", self.figure, FIGURES)
        check_choice("write_method", self.write_method, [m for m in WRITE_METHODS if m != "stochastic"])
        check_choice("pulse_rule", self.pulse_rule, PULSE_RULES)
        if not self.xbar_n or min(self.xbar_n) < 1:
            raise ConfigError(f"xbar_n (devices per side N) must all be >= 1, got {list(self.xbar_n)!r}")
        for name in ("array", "pulses", "samples", "devices", "xbar_res"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.gmax < 0:
            raise ConfigError(f"gmax must be > 0 (or 0 for the figure's default), got {self.gmax!r}")
        if self.samples > self.array**2:
            raise ConfigError(f"samples must be <= array² ({self.array ** 2}), got {self.samples!r}")

    def model(self, default_gmax: float) -> PCMModel:
        return PCMModel(PCM_PRESETS.get("nandakumar2018", gmax=self.gmax or default_gmax, perf=self.perf,
                                        perf_res=self.xbar_res))


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure2(cfg: FigureConfig, g: torch.Generator) -> tuple[list[dict[str, Any]], Any]:
    """Staircase G(t) of one device and of an ensemble of ``devices`` devices (sum over the N devices)."""
    m = cfg.model(12.0)
    n = cfg.xbar_n[0]
    s = m.init_state((n, cfg.devices), g)
    rows = []
    for t in range(1, 800):
        G = m.read(s, 1.0, float(t), g).sum(0)
        rows.append({"t_s": t, "g_device0": float(G[0]), "g_mean": float(G.mean()), "g_std": float(G.std())})
        if t % 38.5 == 0:
            s = m.set_pulse(s, None, g, float(t))
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ts = [r["t_s"] for r in rows]
    mean = torch.tensor([r["g_mean"] for r in rows])
    std = torch.tensor([r["g_std"] for r in rows])
    ax.fill_between(ts, mean - std, mean + std, alpha=0.25, label=f"ensemble mean ± std ({cfg.devices})")
    ax.plot(ts, [r["g_device0"] for r in rows], lw=0.8, label="one device")
    ax.set(xlabel="time (s)", ylabel="G (µS)", title="Nandakumar 2018 fig. 2: SET every 77 s, drift, read noise")
    ax.legend(fontsize=8)
    return rows, fig


def figure5(cfg: FigureConfig, g: torch.Generator) -> tuple[list[dict[str, Any]], Any]:
    """Mean/std of G and of its increments over ``array²`` devices programmed with ``pulses`` SET pulses."""
    m = cfg.model(20.0)
    s = m.init_state((cfg.array, cfg.array), g)
    curve = mean_set_curve(m.params, cfg.pulses)
    rows, tp, prev = [], 0.0, s.G.clone()
    for k in range(1, cfg.pulses + 1):
        s = m.set_pulse(s, None, g, tp)
        r = m.read(s, 1.0, tp + m.params.T0, g).flatten()
        dG = (s.G - prev).flatten()
        prev = s.G.clone()
        sub = r[:cfg.samples]
        rows.append({"pulse": k, "mean_read": float(r.mean()), "std_read": float(r.std()),
                     "mean_read_samples": float(sub.mean()), "std_read_samples": float(sub.std()),
                     "mean_dG": float(dG.mean()), "std_dG": float(dG.std()), "set_curve": curve[k - 1]})
        tp += m.params.T0
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    ks = [r["pulse"] for r in rows]
    axes[0].errorbar(ks, [r["mean_read"] for r in rows], yerr=[r["std_read"] for r in rows], fmt="o", ms=3,
                     capsize=2, label=f"{cfg.array ** 2} devices")
    axes[0].plot(ks, [r["set_curve"] for r in rows], "k--", lw=1, label="noise-free SET curve")
    axes[0].set(xlabel="pulse number", ylabel="G at T0 (µS)")
    axes[0].legend(fontsize=7)
    axes[1].plot(ks, [r["mean_dG"] for r in rows], "o-", ms=3)
    axes[1].set(xlabel="pulse number", ylabel="μ_ΔG (µS)")
    axes[2].plot(ks, [r["std_dG"] for r in rows], "o-", ms=3)
    axes[2].set(xlabel="pulse number", ylabel="σ_ΔG (µS)")
    fig.suptitle("Nandakumar 2018 fig. 5: gradual SET statistics")
    fig.tight_layout()
    return rows, fig


def figure7(cfg: FigureConfig, g: torch.Generator) -> tuple[list[dict[str, Any]], Any]:
    """Array mean of G(t): SET every 5 s up to 95 s, then drift."""
    m = cfg.model(12.0)
    s = m.init_state((2, cfg.xbar_n[0], 100, 100), g)
    rows = []
    for i in range(1, 300):
        if i % 5 == 0 and i < 100:
            s = m.set_pulse(s, None, g, float(i))
        r = m.read(s, 1.0, float(i), g)
        rows.append({"t_s": i, "g_mean": float(r.mean()), "g_std": float(r.std())})
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot([r["t_s"] for r in rows], [r["g_mean"] for r in rows])
    ax.set(xlabel="time (s)", ylabel="array mean G (µS)", title="Nandakumar 2018 fig. 7: programming then drift")
    return rows, fig


def write_stats(cfg: FigureConfig, g: torch.Generator) -> tuple[list[dict[str, Any]], Any]:
    """Heatmaps of the reached difference after one ``target_write`` from every source to every target."""
    m = cfg.model(12.0)
    levels = torch.arange(-10, 11, dtype=torch.float32)
    rows: list[dict[str, Any]] = []
    plt = _plt()
    fig, axes = plt.subplots(2, len(cfg.xbar_n), figsize=(4.2 * len(cfg.xbar_n), 7), squeeze=False)
    for col, n in enumerate(cfg.xbar_n):
        mean = torch.zeros(21, 21)
        std = torch.zeros(21, 21)
        for si, src in enumerate(levels.tolist()):
            arr = DifferentialArray(m, (21, cfg.devices), n, generator=g)
            G = arr.state.G.clone()
            if src > 0:
                G[0] = src
            elif src < 0:
                G[1] = -src
            else:
                G[0] = 0.1
            arr.state = dataclasses.replace(arr.state, G=G)
            target = levels[:, None].expand(21, cfg.devices)
            target_write(arr, target, cfg.write_method, t=1e-3, generator=g, refresh=True, rule=cfg.pulse_rule)
            reached = arr.estimate()
            mean[si], std[si] = reached.mean(1), reached.std(1)
            rows += [{"method": cfg.write_method, "n": n, "source": src, "target": float(levels[ti]),
                      "mean": float(mean[si, ti]), "std": float(std[si, ti])} for ti in range(21)]
        err = float(((mean - levels[None, :]) ** 2).mean())
        for r, (data, name) in enumerate(((mean, "mean"), (std, "std"))):
            ax = axes[r, col]
            im = ax.imshow(data.numpy(), origin="lower", extent=(-10.5, 10.5, -10.5, 10.5), cmap="viridis")
            fig.colorbar(im, ax=ax, shrink=0.8)
            ax.set(xlabel="target (µS)", ylabel="source (µS)",
                   title=f"N={n} {name}" + (f", MSE {err:.3f}" if r == 0 else ""))
    fig.suptitle(f"write statistics, {cfg.write_method}")
    fig.tight_layout()
    return rows, fig


RUNNERS = {"2": figure2, "5": figure5, "7": figure7, "write-stats": write_stats}


def make_figure(cfg: FigureConfig, out: Path, *, overwrite: bool = False) -> dict[str, Any]:
    """Compute one figure and write ``figure.png``, ``figure.csv``, ``metrics.json`` into ``out``."""
    cfg.validate()
    g = torch.Generator().manual_seed(cfg.seed)
    with RunDir(out, cfg, overwrite=overwrite) as run:
        t0 = time.perf_counter()
        rows, fig = RUNNERS[cfg.figure](cfg, g)
        elapsed = time.perf_counter() - t0
        atomic_write_csv(run.file("figure.csv"), rows)
        save_figure(fig, run.file("figure.png"))
        metrics = {"figure": cfg.figure, "compute_s": elapsed, "rows": len(rows), "environment": environment_info()}
        atomic_write_json(run.file("metrics.json"), metrics)
    return metrics


def _cmd(args: argparse.Namespace) -> int:
    cfg: FigureConfig = config_from_args(FigureConfig, args)
    torch.set_num_threads(args.threads)
    out = Path(args.out or f"runs/srnn_pcm/pcm_figure_{cfg.figure}")
    m = make_figure(cfg, out, overwrite=args.overwrite)
    print(f"figure {cfg.figure}: computed in {m['compute_s']:.2f} s -> {out}")
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("pcm-figures", help="Nandakumar 2018 PCM figures 2/5/7 and multi-device write "
                                                  "statistics", description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_flags(p, FigureConfig)
    p.add_argument("--config", help="TOML file with any of the options (flags override it)")
    p.add_argument("--out", help="results folder (default runs/srnn_pcm/pcm_figure_<figure>)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing results folder")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.set_defaults(func=_cmd)
