"""Huang et al. 2022 parameter studies (Figs. 3b, 4a–f, 5a–f; spec §7) as batched, resumable sweeps.

Commands: ``memsnn huang-fig4``, ``memsnn huang-fig5``, ``memsnn huang-fig3b``. Each writes one results folder
with ``results.csv`` (tidy: one row per figure × parameter value × seed × metric), ``summary.json``, a markdown
table beside the paper's values (``table.md``) and the figure as PNG; finished cells are kept under ``cells/`` (and
trained networks under ``models/``) so a killed sweep restarted with the same command skips them and produces the
same table. Cells run on local worker processes or, with ``--ray-address``, as Ray tasks.

Figure 4 (approach 1): one ANN is trained per seed and converted once; then
* 4a: the SNN (and SNN + memristors at the base R tolerance) for every T in one run of length max(T) with spike
  counts read at each T (the first T steps of a run are a length-T run);
* 4b/4c: all R tolerances programmed in ONE batched write–verify call (C arrays), tested with shared spike trains;
* 4d–4f: all read noises programmed in one batched call (verify reads noisy) and tested with per-step noisy reads.

Figure 5 (approach 2): every (read noise, R tolerance) cell of the shmoo grid is trained in ONE batched run
(:mod:`memsnn.learning.direct_batched`); 5a, 5b/c, 5d/e are read from the grid's cells; the grid may be split
into ``--parts`` batches that run in parallel.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, Sequence

import torch

from ..config import check_positive
from ..crossbar.programming import write_verify
from ..errors import ConfigError
from ..learning.conversion import ann_evaluate, bce_on_probability, mean_inputs
from ..results import (RunDir, atomic_save_torch, atomic_write_csv, atomic_write_json, atomic_write_text,
                       environment_info, mean_std, save_figure)
from ..snn.batched import rate_multi
from .sweep import Backend, CellStore, add_backend_arguments, backend_from_args, run_tasks

# Paper values (spec §7): x → value; accuracies in %, weight-error std as a fraction of the weight range.
PAPER = {
    "4a": {100: 83.89, 250: 85.54, 500: 85.77, 1000: 85.89, 2000: 86.05, 4000: 86.04},
    "4b": {0.005: 85.88, 0.01: 85.85, 0.05: 85.81, 0.10: 85.82, 0.20: 86.00},
    "4c": {0.005: 0.0070, 0.01: 0.0077, 0.05: 0.0240, 0.10: 0.0380, 0.20: 0.0585},
    "4e": {0.0: 85.88, 0.01: 85.78, 0.05: 85.50, 0.10: 84.85, 0.20: 81.79},
    "4f": {0.0: 0.0070, 0.01: 0.0093, 0.05: 0.0277, 0.10: 0.0540, 0.20: 0.1054},
}
FIG4_T = (100, 250, 500, 1000, 2000, 4000)
FIG4_TOL = (0.005, 0.01, 0.05, 0.10, 0.20)
FIG4_NOISE = (0.0, 0.01, 0.05, 0.10, 0.20)
FIG4_SCATTER_NOISE = 0.10
FIG5_NOISE = (0.0, 0.001, 0.005, 0.01, 0.02)
FIG5_TOL = (0.005, 0.01, 0.02, 0.03, 0.04, 0.05)


def parse_values(text: str | None, default: Sequence[float], name: str, cast: type = float) -> list[Any]:
    """Comma-separated values (or the default list); an empty list is an error."""
    if text is None:
        return list(default)
    vals = [cast(v) for v in text.split(",") if v.strip()]
    if not vals:
        raise ConfigError(f"{name}: the list of values is empty")
    return vals


def check_values(base: Any, field: str, values: Sequence[Any]) -> None:
    """Every value must give a valid config (errors name the bad value) — checked before any work starts."""
    if not values:
        raise ConfigError(f"{field}: the list of values is empty")
    for v in values:
        base.replace(**{field: v}).validate()


def _acc_loss(rate: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """Test accuracy (%) and BCE of one configuration's rates (positive iff round(r) = 1)."""
    acc = (torch.round(rate).to(torch.int64) == labels).float().mean().item()
    return 100.0 * acc, bce_on_probability(rate.clamp(0.0, 1.0), labels)


def _row(figure: str, parameter: str, x: Any, seed: int, metric: str, value: float) -> dict[str, Any]:
    return {"figure": figure, "parameter": parameter, "x": x, "seed": seed, "metric": metric, "value": value}


# ---------------------------------------------------------------------------------------------- figure 4 tasks

def train_ann(cfg: Any, data: Any) -> dict[str, Any]:
    """Approach-1 ANN of one seed (as in ``memsnn imdb``) with its test metrics and the generator state after it."""
    from .imdb import train_ann as train

    g = torch.Generator().manual_seed(cfg.seed)
    trained, loop = train(cfg, data, g)
    test = ann_evaluate(trained, data.test, data.test_labels, cfg.offset)
    return {"emb": trained.emb, "W": trained.W, "history": loop.history, "best_epoch": loop.best_epoch,
            "ann_test_acc": 100.0 * test.accuracy, "ann_test_loss": test.loss, "rng": g.get_state()}


def fig4_train_task(payload: dict[str, Any]) -> dict[str, Any]:
    """Task: train the ANN of one seed (returns the network's tensors and its history)."""
    from .imdb import ImdbConfig, load_data

    cfg = ImdbConfig.from_dict(payload["config"])
    t0, c0 = time.perf_counter(), time.process_time()
    out = train_ann(cfg, load_data(cfg))
    out["wall_s"], out["cpu_s"] = round(time.perf_counter() - t0, 2), round(time.process_time() - c0, 2)
    return out


def program_many(cfg: Any, W: torch.Tensor, tolerance: Sequence[float], read_noise: Sequence[float],
                 g: torch.Generator) -> tuple[torch.Tensor, Any]:
    """Program C fresh arrays with the approach-1 pulse options in ONE write–verify call (leading config dim).

    Returns (resistances (C, *array), stats)."""
    from .imdb import make_crossbar

    C = len(tolerance)
    xbar = make_crossbar(cfg, g)  # device model and weight map of the config
    R0 = xbar.device.init_state((C,) + tuple(cfg.array_shape), g).R
    target = xbar.mapping.weight_to_resistance(W.to(torch.float64).reshape(cfg.array_shape))
    shape = (C,) + (1,) * len(cfg.array_shape)
    tol = torch.tensor(tolerance, dtype=torch.float64).reshape(shape)
    noise = torch.tensor(read_noise, dtype=torch.float64).reshape(shape)
    return write_verify(xbar.device, R0, target, cfg.write_config("convert"), read_noise=noise, tolerance=tol,
                        generator=g)


def _snn_rates(cfg: Any, x: torch.Tensor, T: int, g: torch.Generator, checkpoints: tuple[int, ...] | None = None,
               **kw: Any) -> torch.Tensor:
    """Rates (C, N, K) of C configurations over all test inputs, in batches of ``eval_batch`` reviews."""
    cps = tuple(sorted(set(checkpoints))) if checkpoints else (T,)
    out = []
    for s in range(0, x.shape[0], cfg.eval_batch):
        counts, _ = rate_multi(x[s:s + cfg.eval_batch], T, cfg.threshold_convert, generator=g, checkpoints=cps, **kw)
        out.append(counts / torch.tensor(cps, dtype=torch.float64))
    return torch.cat(out, dim=1).to(torch.float32)


def fig4_eval_task(payload: dict[str, Any]) -> dict[str, Any]:
    """Task: one group of Fig. 4 points (``T``, ``r_tolerance`` or ``read_noise``) on one seed's trained network."""
    from .imdb import ImdbConfig, load_data

    cfg = ImdbConfig.from_dict(payload["config"])
    group, values, seed = payload["group"], payload["values"], cfg.seed
    t0, c0 = time.perf_counter(), time.process_time()
    data = load_data(cfg)
    emb, W = payload["emb"], payload["W"]
    g = torch.Generator().manual_seed(1_000_003 * (seed + 1) + {"T": 1, "r_tolerance": 2, "read_noise": 3}[group])
    x = mean_inputs(emb, data.test)
    labels = data.test_labels
    mapping = cfg.mapping()
    rows: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    if group == "T":
        R, _ = program_many(cfg, W, [cfg.r_tolerance], [cfg.read_noise], g)
        Wx = mapping.resistance_to_weight(R).reshape(1, -1).to(torch.float32)
        weights = torch.cat([W.reshape(1, -1).to(torch.float32), Wx])
        rates = _snn_rates(cfg, x, max(values), g, tuple(values), weights=weights)
        cps = sorted(set(values))
        for k, T in enumerate(cps):
            for c, metric in enumerate(("snn", "snn_xbar")):
                acc, loss = _acc_loss(rates[c, :, k], labels)
                rows += [_row("4a", "T", T, seed, f"{metric}.test_acc", acc),
                         _row("4a", "T", T, seed, f"{metric}.test_loss", loss)]
    else:
        tols = values if group == "r_tolerance" else [cfg.r_tolerance] * len(values)
        noises = values if group == "read_noise" else [cfg.read_noise] * len(values)
        t_prog = time.perf_counter()
        R, stats = program_many(cfg, W, tols, noises, g)
        program_s = time.perf_counter() - t_prog
        C = len(values)
        stored = mapping.resistance_to_weight(R).reshape(C, -1)
        noise_t = torch.tensor(noises, dtype=torch.float64)
        from ..snn.batched import read_weights_multi

        one_read = read_weights_multi(R, mapping, noise_t, (), g).to(torch.float64)
        target = W.to(torch.float64).reshape(1, -1)
        rates = _snn_rates(cfg, x, cfg.T, g, R=R, mapping=mapping, read_noise=noise_t.to(torch.float32),
                           read_mode=cfg.read_mode)
        fig_acc, fig_err = ("4b", "4c") if group == "r_tolerance" else ("4e", "4f")
        pulses = stats.pulses.reshape(C, -1).to(torch.float64)
        outside = (~stats.within_tolerance).reshape(C, -1).to(torch.float64)
        for c, v in enumerate(values):
            acc, loss = _acc_loss(rates[c, :, 0], labels)
            rows += [_row(fig_acc, group, v, seed, "snn_xbar.test_acc", acc),
                     _row(fig_acc, group, v, seed, "snn_xbar.test_loss", loss),
                     _row(fig_err, group, v, seed, "weight_error_std", float((stored[c] - target[0]).std())),
                     _row(fig_err, group, v, seed, "read_weight_error_std", float((one_read[c] - target[0]).std())),
                     _row(fig_err, group, v, seed, "mean_pulses", float(pulses[c].mean())),
                     _row(fig_err, group, v, seed, "frac_outside_tolerance", float(outside[c].mean()))]
        if group == "read_noise" and FIG4_SCATTER_NOISE in values:
            c = values.index(FIG4_SCATTER_NOISE)
            extra["scatter"] = {"read_noise": FIG4_SCATTER_NOISE, "target": target[0].tolist(),
                                "actual": stored[c].tolist(), "measured": one_read[c].tolist()}
        extra["program_s"] = round(program_s, 3)
    return {"rows": rows, "extra": extra, "wall_s": round(time.perf_counter() - t0, 2),
            "cpu_s": round(time.process_time() - c0, 2)}


def run_fig4(base: Any, seeds: list[int], out: Path, backend: Backend, *, Ts: Sequence[int] = FIG4_T,
             tolerances: Sequence[float] = FIG4_TOL, noises: Sequence[float] = FIG4_NOISE,
             overwrite: bool = False) -> dict[str, Any]:
    """Figure 4 over seeds: train one ANN per seed, then the three batched groups of points per seed."""
    if not seeds:
        raise ConfigError("fig4 needs at least one seed")
    base.validate()
    for s in seeds:
        check_positive("seed", s, allow_zero=True)
    check_values(base, "T", Ts)
    check_values(base, "r_tolerance", tolerances)
    check_values(base, "read_noise", noises)
    backend.validate()
    base = base.replace(approach="convert", xbar=True)
    groups = {"T": list(Ts), "r_tolerance": list(tolerances), "read_noise": list(noises)}
    t0 = time.perf_counter()
    with RunDir(out, base, overwrite=overwrite) as rd:
        store = CellStore(rd.file("cells"))
        models = rd.file("models")
        models.mkdir(exist_ok=True)

        def save_model(key: str, result: dict[str, Any]) -> None:
            atomic_save_torch(models / f"{key}.pt", {"emb": result["emb"], "W": result["W"]})
            store.save(key, {k: v for k, v in result.items() if k not in ("emb", "W", "rng")})

        todo = [(f"train,seed={s}", {"config": base.replace(seed=s).to_dict()}) for s in seeds
                if not store.done(f"train,seed={s}")]
        run_tasks("memsnn.experiments.huang_figures:fig4_train_task", todo, backend, save_model, "fig4 ANN training")
        tasks = []
        for s in seeds:
            net = torch.load(models / f"train,seed={s}.pt", weights_only=True)
            for group, values in groups.items():
                key = f"seed={s},group={group}"
                if not store.done(key):
                    tasks.append((key, {"config": base.replace(seed=s).to_dict(), "group": group,
                                        "values": values, **net}))
        run_tasks("memsnn.experiments.huang_figures:fig4_eval_task", tasks, backend, store.save, "fig4 points")
        rows: list[dict[str, Any]] = []
        scatter = None
        timing: dict[str, list[float]] = {"train": [], "T": [], "r_tolerance": [], "read_noise": []}
        cpu: dict[str, list[float]] = {k: [] for k in timing}
        for s in seeds:
            tr = store.load(f"train,seed={s}")
            timing["train"].append(tr["wall_s"])
            cpu["train"].append(tr.get("cpu_s", float("nan")))
            rows += [_row("ann", "-", "-", s, "ann.test_acc", tr["ann_test_acc"])]
            for h in tr["history"]:
                rows += [_row("3b", "epoch", h["epoch"], s, f"ann.{k}", 100 * h[k]) for k in ("train_acc", "val_acc")]
            for group in groups:
                res = store.load(f"seed={s},group={group}")
                rows += res["rows"]
                timing[group].append(res["wall_s"])
                cpu[group].append(res.get("cpu_s", float("nan")))
                if scatter is None and "scatter" in res["extra"]:
                    scatter = res["extra"]["scatter"]
        summary = summarise(rows, PAPER)
        summary.update(seeds=seeds, backend=backend.name, scatter=scatter, task_wall_s=timing, task_cpu_s=cpu,
                       wall_time_s=round(time.perf_counter() - t0, 2), environment=environment_info())
        atomic_write_csv(rd.file("results.csv"), rows)
        atomic_write_json(rd.file("summary.json"), summary)
        atomic_write_text(rd.file("table.md"), fig4_markdown(summary))
        save_figure(plot_fig4(summary), rd.file("fig4.png"))
    return summary


# --------------------------------------------------------------------------------------------------- summaries

FIG_METRIC = {"4a": "snn.test_acc", "4b": "snn_xbar.test_acc", "4c": "weight_error_std",
              "4e": "snn_xbar.test_acc", "4f": "weight_error_std"}


def summarise(rows: list[dict[str, Any]], paper: dict[str, dict[Any, float]]) -> dict[str, Any]:
    """Mean ± std over seeds of every (figure, x, metric), with the paper's value where it prints one."""
    groups: dict[tuple[str, Any, str], list[float]] = {}
    for r in rows:
        groups.setdefault((r["figure"], r["x"], r["metric"]), []).append(float(r["value"]))
    points = []
    for (fig, x, metric), vals in groups.items():
        m, s = mean_std(vals)
        p = paper.get(fig, {}).get(x) if FIG_METRIC.get(fig) == metric else None
        points.append({"figure": fig, "x": x, "metric": metric, "mean": m, "std": s, "n": len(vals), "paper": p})
    return {"points": points}


def _points(summary: dict[str, Any], fig: str, metric: str) -> list[dict[str, Any]]:
    return sorted((p for p in summary["points"] if p["figure"] == fig and p["metric"] == metric),
                  key=lambda p: float(p["x"]))


def fig4_markdown(summary: dict[str, Any]) -> str:
    """One table per panel: x, paper, ours mean ± std (n seeds), difference."""
    titles = {"4a": ("T", "SNN test accuracy (%)"), "4b": ("R tolerance", "SNN+memristors test accuracy (%)"),
              "4c": ("R tolerance", "weight error std (stored − target)"),
              "4e": ("read noise", "SNN+memristors test accuracy (%)"),
              "4f": ("read noise", "weight error std (stored − target)")}
    lines = []
    for fig, (xname, title) in titles.items():
        lines += [f"\n**Fig. {fig}** — {title}\n", f"| {xname} | paper | memsnn mean ± std (n) | difference |",
                  "|---|---|---|---|"]
        for p in _points(summary, fig, FIG_METRIC[fig]):
            fmt = "{:.2f}" if "acc" in p["metric"] else "{:.4f}"
            paper = fmt.format(p["paper"]) if p["paper"] is not None else "–"
            diff = ("{:+" + fmt[2:]).format(p["mean"] - p["paper"]) if p["paper"] is not None else "–"
            lines.append(f"| {_fmt_x(fig, p['x'])} | {paper} | {fmt.format(p['mean'])} ± {fmt.format(p['std'])} "
                         f"({p['n']}) | {diff} |")
    extra = {"4a": "snn_xbar.test_acc", "4c": "read_weight_error_std", "4f": "read_weight_error_std"}
    lines += ["\n**Also measured** (no paper value): SNN+memristors vs T (4a); std of one noisy read − target "
              "(4c, 4f); devices outside tolerance after programming (4c, 4f)\n",
              "| panel | x | metric | mean ± std |", "|---|---|---|---|"]
    for fig, metric in [*extra.items(), ("4c", "frac_outside_tolerance"), ("4f", "frac_outside_tolerance")]:
        for p in _points(summary, fig, metric):
            lines.append(f"| {fig} | {_fmt_x(fig, p['x'])} | {metric} | {p['mean']:.4f} ± {p['std']:.4f} |")
    return "\n".join(lines) + "\n"


def _fmt_x(fig: str, x: Any) -> str:
    return str(x) if fig == "4a" else f"{100 * float(x):g} %"


def _plot_panel(ax: Any, summary: dict[str, Any], fig: str, metric: str, label: str, scale_x: float = 1.0,
                logx: bool = False) -> None:
    pts = _points(summary, fig, metric)
    xs = [float(p["x"]) * scale_x for p in pts]
    ax.errorbar(xs, [p["mean"] for p in pts], yerr=[p["std"] for p in pts], fmt="o-", capsize=3, label=label)
    paper = [(float(p["x"]) * scale_x, p["paper"]) for p in pts if p["paper"] is not None]
    if paper:
        ax.plot(*zip(*paper), "r^--", label="paper")
    if logx:
        ax.set_xscale("log")
    ax.grid(alpha=0.3)


def plot_fig4(summary: dict[str, Any]) -> Any:
    """Six panels like the paper's Fig. 4 (ours: mean ± std over seeds; paper: red triangles)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))
    a, b, c, d, e, f = axes.ravel()
    _plot_panel(a, summary, "4a", "snn.test_acc", "memsnn SNN", logx=True)
    _plot_panel(a, summary, "4a", "snn_xbar.test_acc", "memsnn SNN+memristors", logx=True)
    a.set(xlabel="T (time steps)", ylabel="test accuracy (%)", title="(a) accuracy vs T")
    _plot_panel(b, summary, "4b", "snn_xbar.test_acc", "memsnn", 100)
    b.set(xlabel="R tolerance (%)", ylabel="test accuracy (%)", title="(b) accuracy vs R tolerance")
    _plot_panel(c, summary, "4c", "weight_error_std", "memsnn", 100)
    c.set(xlabel="R tolerance (%)", ylabel="std(expected − actual weight)", title="(c) weight error vs R tolerance")
    sc = summary.get("scatter")
    if sc:
        d.scatter(sc["actual"], sc["measured"], s=10, label="measured (one read)")
        d.plot([0, 1], [0, 1], "k--", lw=0.8)
        d.set(xlabel="actual weight", ylabel="measured weight",
              title=f"(d) measured vs actual, read noise {100 * sc['read_noise']:g} %")
        d.grid(alpha=0.3)
    _plot_panel(e, summary, "4e", "snn_xbar.test_acc", "memsnn", 100)
    e.set(xlabel="read noise (%)", ylabel="test accuracy (%)", title="(e) accuracy vs read noise")
    _plot_panel(f, summary, "4f", "weight_error_std", "memsnn (stored)", 100)
    _plot_panel(f, summary, "4f", "read_weight_error_std", "memsnn (one read)", 100)
    f.set(xlabel="read noise (%)", ylabel="std(expected − actual weight)", title="(f) weight error vs read noise")
    for ax in (a, b, c, e, f):
        ax.legend(fontsize=8)
    fig.suptitle("Huang et al. 2022, Fig. 4 (approach 1)")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------- figure 5 tasks

def fig5_task(payload: dict[str, Any]) -> dict[str, Any]:
    """Task: approach-2 training of a batch of (read noise, R tolerance) configurations in one batched run.

    Checkpoints after every epoch to ``payload["checkpoint"]`` (if given) and resumes from it. Each configuration
    keeps its own best-validation-loss state (embedding, devices); the test uses that state.
    """
    from ..devices.rram import RRAMDevice
    from ..learning.direct_batched import MultiDirectState, direct_epoch_multi, evaluate_multi
    from .imdb import ImdbConfig, load_data

    cfg = ImdbConfig.from_dict(payload["config"])
    cells: list[tuple[float, float]] = [tuple(c) for c in payload["cells"]]  # (read noise, R tolerance)
    ck_path = Path(payload["checkpoint"]) if payload.get("checkpoint") else None
    t0, c0 = time.perf_counter(), time.process_time()
    data = load_data(cfg)
    g = torch.Generator().manual_seed(cfg.seed)
    device = RRAMDevice(cfg.device_params(), method=cfg.device_method)
    mapping = cfg.mapping()
    st = MultiDirectState.create(data.emb, device, cfg.array_shape, torch.tensor([c[1] for c in cells]),
                                 torch.tensor([c[0] for c in cells]), g)
    C, scale = len(cells), cfg.embedding_dim / 2
    history: list[list[dict[str, Any]]] = [[] for _ in cells]
    trace: list[dict[str, Any]] = []
    best = st.tensors()
    best = {k: v.clone() for k, v in best.items()}
    best_loss = torch.full((C,), float("inf"), dtype=torch.float64)
    start, train_s = 0, 0.0
    if ck_path is not None and ck_path.exists():
        ck = torch.load(ck_path, weights_only=False)
        st, best, best_loss = MultiDirectState.from_tensors(ck["state"]), ck["best"], ck["best_loss"]
        history, trace, start, train_s = ck["history"], ck["trace"], ck["epoch"] + 1, ck["train_s"]
        g.set_state(ck["rng"])
    kw = dict(T=cfg.T, threshold=cfg.threshold_direct, scale=scale, generator=g)
    for epoch in range(start, cfg.epochs):
        order = torch.randperm(len(data.train), generator=g)
        t_ep = time.perf_counter()
        stats = direct_epoch_multi(st, device, mapping, data.train, data.train_labels, order, lr=cfg.lr, eps=cfg.eps,
                                   write_cfg=cfg.write_config("direct"), trace=epoch == 0, **kw)
        train_s += time.perf_counter() - t_ep
        if epoch == 0:
            trace = stats.trace
        val_loss, val_acc = evaluate_multi(st, mapping, data.val, data.val_labels, **kw)
        for c, row in enumerate(stats.as_dicts()):
            history[c].append({"epoch": epoch + 1, **row, "val_loss": float(val_loss[c]),
                               "val_acc": float(val_acc[c])})
        better = val_loss < best_loss
        best_loss = torch.where(better, val_loss, best_loss)
        for k, v in st.tensors().items():
            best[k][better] = v[better]
        if ck_path is not None:
            atomic_save_torch(ck_path, {"state": st.tensors(), "best": best, "best_loss": best_loss,
                                        "history": history, "trace": trace, "epoch": epoch, "rng": g.get_state(),
                                        "train_s": train_s})
    final_w = mapping.resistance_to_weight(st.R).reshape(C, -1)
    st = MultiDirectState.from_tensors(best)
    t_test = time.perf_counter()
    test_loss, test_acc = evaluate_multi(st, mapping, data.test, data.test_labels, **kw)
    test_s = time.perf_counter() - t_test
    results = []
    for c, (noise, tol) in enumerate(cells):
        results.append({"read_noise": noise, "r_tolerance": tol, "test_acc": 100 * float(test_acc[c]),
                        "test_loss": float(test_loss[c]), "history": history[c],
                        "final_w0": float(final_w[c, 0]),
                        "trace": [(t["sample"], t["expected"][c], t["written"][c]) for t in trace]})
    return {"cells": results, "train_s": round(train_s, 2), "test_s": round(test_s, 2),
            "samples_per_epoch": len(data.train), "wall_s": round(time.perf_counter() - t0, 2),
            "cpu_s": round(time.process_time() - c0, 2)}


def run_fig5(base: Any, out: Path, backend: Backend, *, noises: Sequence[float] = FIG5_NOISE,
             tolerances: Sequence[float] = FIG5_TOL, parts: int = 1, overwrite: bool = False) -> dict[str, Any]:
    """Figure 5: the shmoo grid read noise × R tolerance trained as ``parts`` batched runs (one seed)."""
    base.validate()
    check_values(base, "read_noise", noises)
    check_values(base, "r_tolerance", tolerances)
    check_positive("parts", parts)
    backend.validate()
    base = base.replace(approach="direct", xbar=True)
    grid = [(n, t) for n in noises for t in tolerances]
    parts = min(parts, len(grid))
    t0 = time.perf_counter()
    with RunDir(out, base, overwrite=overwrite) as rd:
        store = CellStore(rd.file("cells"))
        chunks = [grid[i::parts] for i in range(parts)]
        todo = [(f"part={i}", {"config": base.to_dict(), "cells": chunk,
                               "checkpoint": str(rd.file(f"checkpoint_part{i}.pt").resolve())})
                for i, chunk in enumerate(chunks) if not store.done(f"part={i}")]
        run_tasks("memsnn.experiments.huang_figures:fig5_task", todo, backend, store.save, "fig5 batches")
        cells, rows, timing = [], [], []
        for i in range(parts):
            res = store.load(f"part={i}")
            timing.append({k: res.get(k) for k in ("train_s", "test_s", "wall_s", "cpu_s", "samples_per_epoch")}
                          | {"cells": len(res["cells"])})
            cells += res["cells"]
        for c in cells:
            x = f"{c['read_noise']}/{c['r_tolerance']}"
            rows += [_row("5f", "read_noise/r_tolerance", x, base.seed, "snn_xbar.test_acc", c["test_acc"]),
                     _row("5f", "read_noise/r_tolerance", x, base.seed, "snn_xbar.test_loss", c["test_loss"]),
                     _row("5d", "read_noise/r_tolerance", x, base.seed, "final_w0", c["final_w0"])]
            for h in c["history"]:
                rows += [_row("5-history", "read_noise/r_tolerance", f"{x}/epoch{h['epoch']}", base.seed, k, h[k])
                         for k in ("train_acc", "val_acc", "pulses")]
        summary = {"cells": [{k: v for k, v in c.items() if k != "trace"} | {"trace_w0": convergence(c["trace"])}
                             for c in cells],
                   "noises": list(noises), "tolerances": list(tolerances), "parts": timing, "backend": backend.name,
                   "wall_time_s": round(time.perf_counter() - t0, 2), "environment": environment_info()}
        atomic_write_csv(rd.file("results.csv"), rows)
        atomic_write_json(rd.file("traces.json"), [{k: c[k] for k in ("read_noise", "r_tolerance", "trace")}
                                                    for c in cells])
        atomic_write_json(rd.file("summary.json"), summary)
        atomic_write_text(rd.file("table.md"), fig5_markdown(summary))
        save_figure(plot_fig5(cells, noises, tolerances), rd.file("fig5.png"))
        for ck in rd.path.glob("checkpoint_part*.pt"):
            ck.unlink()
    return summary


def convergence(trace: Sequence[Sequence[float]], tail: float = 0.25) -> dict[str, float]:
    """Synapse-0 statistics over the last ``tail`` of epoch 1: mean written weight, wobble (std of the written
    weight), tracking error (mean |expected − written|), and whether it converged (wobble std < 0.01)."""
    if not trace:
        return {}
    k = max(1, int(len(trace) * tail))
    w = torch.tensor([t[2] for t in trace[-k:]], dtype=torch.float64)
    e = torch.tensor([t[1] for t in trace[-k:]], dtype=torch.float64)
    track = float((e - w).abs().mean())
    return {"mean_written": float(w.mean()), "wobble_std": float(w.std()) if k > 1 else 0.0,
            "tracking_error": track, "converged": bool(w.std() < 0.01) if k > 1 else True}


def fig5_markdown(summary: dict[str, Any]) -> str:
    """Shmoo table (test accuracy) and the synapse-0 convergence table (noise × tolerance)."""
    noises, tols = summary["noises"], summary["tolerances"]
    by = {(c["read_noise"], c["r_tolerance"]): c for c in summary["cells"]}
    head = "| read noise \\ R tolerance | " + " | ".join(f"{100 * t:g} %" for t in tols) + " |"
    sep = "|---" * (len(tols) + 1) + "|"
    lines = ["**Fig. 5f** — test accuracy (%)\n", head, sep]
    for n in noises:
        lines.append(f"| {100 * n:g} % | " + " | ".join(f"{by[(n, t)]['test_acc']:.2f}" for t in tols) + " |")
    lines += ["\n**Fig. 5d/e** — synapse 0 in epoch 1 (last quarter of the trace): mean written weight / wobble "
              "(std of the written weight) / converged (wobble < 0.01)\n", head, sep]
    for n in noises:
        cells = []
        for t in tols:
            cv = by[(n, t)]["trace_w0"]
            cells.append(f"{cv['mean_written']:.3f} / {cv['wobble_std']:.4f} / {'yes' if cv['converged'] else 'no'}")
        lines.append(f"| {100 * n:g} % | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_fig5(cells: list[dict[str, Any]], noises: Sequence[float], tolerances: Sequence[float]) -> Any:
    """Panels like the paper's Fig. 5: (a) expected vs written w0, (b) accuracy vs R tolerance, (d)/(e) w0 for
    several read noises at the two R tolerances, (f) shmoo."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by = {(c["read_noise"], c["r_tolerance"]): c for c in cells}
    fig, axes = plt.subplots(2, 3, figsize=(14, 8))
    a, b, c, d, e, f = axes.ravel()
    n0, t0 = noises[0], tolerances[0]
    tr = by[(n0, t0)]["trace"]
    a.plot([t[0] for t in tr], [t[1] for t in tr], "o-", ms=3, label="expected")
    a.plot([t[0] for t in tr], [t[2] for t in tr], "s-", ms=3, label="written")
    a.set(xlabel="sample (epoch 1)", ylabel="weight of synapse 0",
          title=f"(a) read noise {100 * n0:g} %, R tolerance {100 * t0:g} %")
    b.plot([100 * t for t in tolerances], [by[(n0, t)]["test_acc"] for t in tolerances], "o-")
    b.set(xlabel="R tolerance (%)", ylabel="test accuracy (%)", title=f"(b/c) accuracy vs R tolerance, noise {100 * n0:g} %")
    pulses = [sum(h["pulses"] for h in by[(n0, t)]["history"]) for t in tolerances]
    c.semilogy([100 * t for t in tolerances], pulses, "o-")
    c.set(xlabel="R tolerance (%)", ylabel="write pulses (all epochs)", title="(c) programming effort")
    for ax, tol in ((d, t0), (e, min(tolerances, key=lambda t: abs(t - 0.03)))):
        for n in noises:
            if n > 0.01 + 1e-12:
                continue
            tr = by[(n, tol)]["trace"]
            ax.plot([t[0] for t in tr], [t[2] for t in tr], label=f"read noise {100 * n:g} %")
        ax.set(xlabel="sample (epoch 1)", ylabel="written weight of synapse 0", title=f"R tolerance {100 * tol:g} %")
    d.set_title(f"(d) R tolerance {100 * t0:g} %")
    e.set_title(f"(e) {e.get_title()}")
    grid = torch.tensor([[by[(n, t)]["test_acc"] for t in tolerances] for n in noises])
    im = f.imshow(grid.numpy(), origin="lower", cmap="viridis", aspect="auto")
    f.set_xticks(range(len(tolerances)), [f"{100 * t:g}" for t in tolerances])
    f.set_yticks(range(len(noises)), [f"{100 * n:g}" for n in noises])
    for i in range(len(noises)):
        for j in range(len(tolerances)):
            f.text(j, i, f"{float(grid[i, j]):.1f}", ha="center", va="center", color="w", fontsize=7)
    f.set(xlabel="R tolerance (%)", ylabel="read noise (%)", title="(f) shmoo: test accuracy (%)")
    fig.colorbar(im, ax=f)
    for ax in (a, b, c, d, e):
        ax.grid(alpha=0.3)
    for ax in (a, d, e):
        ax.legend(fontsize=8)
    fig.suptitle("Huang et al. 2022, Fig. 5 (approach 2)")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------------- figure 3b

FIG3B_RUNS = {"ann": ("convert", False, "convert"), "snn": ("direct", False, "direct"),
              "snn_xbar": ("direct", True, "direct_xbar")}
FIG3B_LABELS = {"ann": "ANN", "snn": "SNN", "snn_xbar": "SNN+memristors"}


def _history_from_csv(path: Path) -> list[dict[str, Any]]:
    import csv

    with open(path, newline="") as fh:
        return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(fh)]


def run_fig3b(base: Any, seeds: list[int], out: Path, backend: Backend, *, from_table1: Path | None = None,
              overwrite: bool = False) -> dict[str, Any]:
    """Fig. 3b: train/validation accuracy per epoch of the ANN, the SNN and the SNN + memristors (approach 2).

    Either runs the three trainings per seed as sweep cells, or reads the ``epochs.csv`` of an existing
    ``memsnn table1`` folder (``from_table1``: its ``seed<s>_{convert,direct,direct_xbar}`` runs)."""
    if not seeds:
        raise ConfigError("fig3b needs at least one seed")
    base.validate()
    backend.validate()
    if from_table1 is not None and not Path(from_table1).is_dir():
        raise ConfigError(f"--from-table1: no such folder {from_table1}")
    with RunDir(out, base, overwrite=overwrite) as rd:
        histories: dict[tuple[int, str], list[dict[str, Any]]] = {}
        if from_table1 is not None:
            for s in seeds:
                for name, (_, _, folder) in FIG3B_RUNS.items():
                    path = Path(from_table1) / f"seed{s}_{folder}" / "epochs.csv"
                    if not path.exists():
                        raise ConfigError(f"--from-table1: {path} is missing")
                    histories[(s, name)] = _history_from_csv(path)
        else:
            store = CellStore(rd.file("cells"))
            keys = {(s, name): f"seed={s},run={name}" for s in seeds for name in FIG3B_RUNS}
            todo = [(key, {"config": base.replace(seed=s, approach=FIG3B_RUNS[name][0],
                                                  xbar=FIG3B_RUNS[name][1]).to_dict()})
                    for (s, name), key in keys.items() if not store.done(key)]
            run_tasks("memsnn.experiments.sweep:imdb_cell", todo, backend, store.save, "fig3b runs")
            histories = {k: store.load(key)["history"] for k, key in keys.items()}
        rows = [_row("3b", "epoch", int(h["epoch"]), s, f"{name}.{split}_acc", 100 * h[f"{split}_acc"])
                for (s, name), hist in histories.items() for h in hist for split in ("train", "val")]
        summary = summarise(rows, {})
        summary.update(seeds=seeds, source=str(from_table1) if from_table1 else "runs", environment=environment_info())
        atomic_write_csv(rd.file("results.csv"), rows)
        atomic_write_json(rd.file("summary.json"), summary)
        save_figure(plot_fig3b(summary), rd.file("fig3b.png"))
    return summary


def plot_fig3b(summary: dict[str, Any]) -> Any:
    """Train (solid) and validation (dashed) accuracy per epoch, mean ± std over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, label in FIG3B_LABELS.items():
        for split, style in (("train", "o-"), ("val", "s--")):
            pts = _points(summary, "3b", f"{name}.{split}_acc")
            if pts:
                ax.errorbar([p["x"] for p in pts], [p["mean"] for p in pts], yerr=[p["std"] for p in pts],
                            fmt=style, capsize=3, label=f"{label} {split}")
    ax.set(xlabel="epoch", ylabel="accuracy (%)", title="Huang et al. 2022, Fig. 3b")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------------------- CLI

def _seeds(text: str) -> list[int]:
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise ConfigError(f"--seeds expects comma-separated integers, got {text!r}") from None


def _run_command(args: argparse.Namespace, name: str, run: Any, markdown: Any = None) -> int:
    """Shared handler: config and backend from the flags, ``run(cfg, out, backend)``, print the table."""
    from .imdb import config_from_args, default_out

    cfg = config_from_args(args)
    out = Path(args.out) if args.out else default_out(name)
    summary = run(cfg, out, backend_from_args(args))
    if markdown is not None:
        print(markdown(summary))
    print(f"results: {out}")
    return 0


def _cmd_fig4(args: argparse.Namespace) -> int:
    return _run_command(args, "huang-fig4", lambda cfg, out, backend: run_fig4(
        cfg, _seeds(args.seeds), out, backend, Ts=parse_values(args.Ts, FIG4_T, "--Ts", int),
        tolerances=parse_values(args.tolerances, FIG4_TOL, "--tolerances"),
        noises=parse_values(args.noises, FIG4_NOISE, "--noises"), overwrite=args.overwrite), fig4_markdown)


def _cmd_fig5(args: argparse.Namespace) -> int:
    return _run_command(args, "huang-fig5", lambda cfg, out, backend: run_fig5(
        cfg, out, backend, noises=parse_values(args.noises, FIG5_NOISE, "--noises"),
        tolerances=parse_values(args.tolerances, FIG5_TOL, "--tolerances"), parts=args.parts,
        overwrite=args.overwrite), fig5_markdown)


def _cmd_fig3b(args: argparse.Namespace) -> int:
    return _run_command(args, "huang-fig3b", lambda cfg, out, backend: run_fig3b(
        cfg, _seeds(args.seeds), out, backend, from_table1=Path(args.from_table1) if args.from_table1 else None,
        overwrite=args.overwrite))


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``huang-fig3b``, ``huang-fig4`` and ``huang-fig5``."""
    from .imdb import add_config_arguments

    p = sub.add_parser("huang-fig4", help="Huang et al. 2022 Fig. 4a–f: approach-1 sweeps of T, R tolerance, read noise")
    add_config_arguments(p, skip=("approach", "seed"))
    p.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    p.add_argument("--Ts", help=f"spike-train lengths (default {','.join(map(str, FIG4_T))})")
    p.add_argument("--tolerances", help=f"R tolerances, fractions (default {','.join(map(str, FIG4_TOL))})")
    p.add_argument("--noises", help=f"read noises, fractions (default {','.join(map(str, FIG4_NOISE))})")
    add_backend_arguments(p)
    p.set_defaults(func=_cmd_fig4)

    p = sub.add_parser("huang-fig5", help="Huang et al. 2022 Fig. 5a–f: approach-2 shmoo of read noise × R tolerance")
    add_config_arguments(p, skip=("approach",))
    p.add_argument("--noises", help=f"read noises, fractions (default {','.join(map(str, FIG5_NOISE))})")
    p.add_argument("--tolerances", help=f"R tolerances, fractions (default {','.join(map(str, FIG5_TOL))})")
    p.add_argument("--parts", type=int, default=2, help="split the grid into this many batched runs (default 2)")
    add_backend_arguments(p)
    p.set_defaults(func=_cmd_fig5)

    p = sub.add_parser("huang-fig3b", help="Huang et al. 2022 Fig. 3b: accuracy per epoch (ANN, SNN, SNN+memristors)")
    add_config_arguments(p, skip=("approach", "seed"))
    p.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    p.add_argument("--from-table1", help="read the histories from an existing `memsnn table1` results folder")
    add_backend_arguments(p)
    p.set_defaults(func=_cmd_fig3b)
