"""Table 1 of Huang et al. 2022: the five test accuracies over several seeds, side by side with the paper.

Columns: ANN; approach 1 SNN; approach 1 SNN + memristors (one ``convert`` run gives these three); approach 2 SNN
(``direct``, no crossbar); approach 2 SNN + memristors (``direct`` with crossbar). Every (seed, run) is a complete
``memsnn imdb`` results folder inside the table's folder, so a killed table resumes where it stopped; the runs are
spread over worker processes (one torch thread each).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..results import RunDir, atomic_write_csv, atomic_write_json, atomic_write_text, environment_info, mean_std, save_figure

PAPER_TABLE1 = {"ann": 86.02, "a1_snn": 85.89, "a1_snn_xbar": 85.88, "a2_snn": 85.92, "a2_snn_xbar": 84.86}
COLUMN_LABELS = {"ann": "ANN", "a1_snn": "A1 SNN", "a1_snn_xbar": "A1 SNN+memristors", "a2_snn": "A2 SNN",
                 "a2_snn_xbar": "A2 SNN+memristors"}
# run name → (approach, xbar, {result key → table column})
RUNS = {  # longest first, so parallel workers finish together
    "direct_xbar": ("direct", True, {"snn_xbar": "a2_snn_xbar"}),
    "direct": ("direct", False, {"snn": "a2_snn"}),
    "convert": ("convert", True, {"ann": "ann", "snn": "a1_snn", "snn_xbar": "a1_snn_xbar"}),
}


def _run_job(cfg_dict: dict[str, Any], out: str, threads: int) -> dict[str, Any]:
    """Worker: one ``memsnn imdb`` run (skipped if its folder is complete)."""
    import torch

    from .imdb import ImdbConfig, run_imdb

    torch.set_num_threads(threads)
    path = Path(out)
    if (path / "metrics.json").exists():
        return json.loads((path / "metrics.json").read_text())
    return run_imdb(ImdbConfig.from_dict(cfg_dict), path)


def run_table1(base: Any, seeds: list[int], out: Path, *, workers: int = 2, overwrite: bool = False) -> dict[str, Any]:
    """Run every (seed, run) of Table 1 and write table1.csv / summary.json / table1.md / table1.png."""
    if not seeds:
        raise ConfigError("table1 needs at least one seed")
    base.validate()
    t0 = time.perf_counter()
    with RunDir(out, base, overwrite=overwrite) as rd:
        jobs = []
        for seed in seeds:
            for name, (approach, xbar, _) in RUNS.items():
                cfg = base.replace(seed=seed, approach=approach, xbar=xbar)
                jobs.append((seed, name, cfg.to_dict(), str(rd.file(f"seed{seed}_{name}"))))
        results: dict[tuple[int, str], dict[str, Any]] = {}
        threads = max(1, (os.cpu_count() or 1) // max(1, workers))
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc="table1 runs", unit="run", disable=None)
        if workers <= 1:
            for seed, name, cfg, path in jobs:
                results[(seed, name)] = _run_job(cfg, path, threads)
                bar.update(1)
        else:
            import multiprocessing as mp

            with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
                futs = {pool.submit(_run_job, cfg, path, threads): (seed, name) for seed, name, cfg, path in jobs}
                for fut in as_completed(futs):
                    results[futs[fut]] = fut.result()
                    bar.update(1)
        bar.close()
        rows = []
        for (seed, name), metrics in sorted(results.items()):
            for key, column in RUNS[name][2].items():
                rows.append({"seed": seed, "column": column, "test_acc": 100 * metrics[key]["test_acc"],
                             "test_loss": metrics[key]["test_loss"], "run_wall_s": metrics["wall_time_s"]})
        summary: dict[str, Any] = {"seeds": seeds, "columns": {}}
        for column, paper in PAPER_TABLE1.items():
            vals = [r["test_acc"] for r in rows if r["column"] == column]
            m, s = mean_std(vals)
            summary["columns"][column] = {"paper": paper, "mean": m, "std": s, "values": vals,
                                          "diff_pp": m - paper}
        summary["wall_time_s"] = round(time.perf_counter() - t0, 2)
        summary["environment"] = environment_info()
        atomic_write_csv(rd.file("table1.csv"), rows)
        atomic_write_json(rd.file("summary.json"), summary)
        atomic_write_text(rd.file("table1.md"), table1_markdown(summary))
        save_figure(plot_table1(summary), rd.file("table1.png"))
    return summary


def table1_markdown(summary: dict[str, Any]) -> str:
    """Markdown table: paper vs ours (mean ± std over seeds)."""
    lines = ["| column | paper (%) | memsnn (%) mean ± std | difference (pp) |", "|---|---|---|---|"]
    for column, c in summary["columns"].items():
        lines.append(f"| {COLUMN_LABELS[column]} | {c['paper']:.2f} | {c['mean']:.2f} ± {c['std']:.2f} | "
                     f"{c['diff_pp']:+.2f} |")
    lines.append(f"\nseeds: {summary['seeds']}; wall time {summary['wall_time_s']:.0f} s")
    return "\n".join(lines) + "\n"


def plot_table1(summary: dict[str, Any]) -> Any:
    """Bar chart of the five columns, paper beside ours (error bars: std over seeds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = list(summary["columns"])
    x = range(len(cols))
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.bar([i - 0.2 for i in x], [summary["columns"][c]["paper"] for c in cols], 0.4, label="paper")
    ax.bar([i + 0.2 for i in x], [summary["columns"][c]["mean"] for c in cols], 0.4,
           yerr=[summary["columns"][c]["std"] for c in cols], capsize=3, label="memsnn")
    ax.set_xticks(list(x), [COLUMN_LABELS[c] for c in cols], rotation=15)
    ax.set_ylim(80, 88)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("Huang et al. 2022, Table 1 (T = 1000)")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def _cmd_table1(args: argparse.Namespace) -> int:
    from .imdb import config_from_args, default_out

    cfg = config_from_args(args)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()] if args.seeds else []
    out = Path(args.out) if args.out else default_out("table1")
    summary = run_table1(cfg, seeds, out, workers=args.workers, overwrite=args.overwrite)
    print(table1_markdown(summary))
    print(f"results: {out}")
    return 0


def register_table1(sub: argparse._SubParsersAction) -> None:
    """Add the ``table1`` sub-command."""
    from .imdb import add_config_arguments

    p = sub.add_parser("table1", help="Huang et al. 2022 Table 1: all five columns over seeds")
    add_config_arguments(p, skip=("approach", "seed"))
    p.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.set_defaults(func=_cmd_table1)
