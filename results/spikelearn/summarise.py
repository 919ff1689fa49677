"""Markdown tables of the Memristor-Spikelearn run folders (``metrics.json`` of ``memsnn stdp-mnist`` /
``memsnn approx-bp``) and of the speed benchmarks (``bench*.json`` of ``benchmarks/bench_spikelearn.py``).

Usage: ``python results/spikelearn/summarise.py [RUN_DIR ...]`` (default: every run folder next to this script);
writes ``table.md`` (and ``bench.md`` from ``bench*.json``) next to this script and prints them.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _row(run: Path) -> tuple[str, str] | None:
    mfile, cfile = run / "metrics.json", run / "config.toml"
    if not (mfile.exists() and cfile.exists()):
        return None
    m = json.loads(mfile.read_text())
    c = tomllib.loads(cfile.read_text())
    syn = c["synapse"]["kind"]
    t = m["run_time_s"] / 60
    if "final_val_accuracy" in m:  # approximate BP
        return "bp", (f"| {syn} | {c['epochs']} × {c['n_train']} | {100 * m['final_val_accuracy']:.1f} % | "
                      f"{100 * m['test_accuracy']:.2f} % | {m['update_energy_J_per_sample']:.3g} J | "
                      f"{m['l1_pulses_per_sample']:.3g} | {m['train_samples_per_s']:.0f} | "
                      f"{m['eval_samples_per_s']:.0f} | {t:.0f} | `{run.name}` |")
    return "stdp", (f"| {syn} | {c['net']['n_exc']} | {c['epochs']} × {c['n_train']} | "
                    f"{100 * m['test_accuracy']:.2f} % | {100 * m['final_online_accuracy']:.1f} % | "
                    f"{m['train_update_energy_J_per_sample']:.3g} J | {m['train_pulses_per_sample']:.3g} | "
                    f"{m['train_samples_per_s']:.0f} | {m['test_samples_per_s']:.0f} | {t:.0f} | `{run.name}` |")


def main() -> None:
    runs = [Path(a) for a in sys.argv[1:]] or sorted(p for p in HERE.iterdir() if p.is_dir())
    rows: dict[str, list[str]] = {"stdp": [], "bp": []}
    for run in runs:
        r = _row(run)
        if r:
            rows[r[0]].append(r[1])
    out = ["## STDP MNIST", "",
           "| synapse | N_exc | epochs × training images | test accuracy (10 000) | online accuracy (last block) | "
           "update energy / training sample | pulses / training sample | train samples/s | label+test samples/s | "
           "run time (min) | folder |",
           "|---|---|---|---|---|---|---|---|---|---|---|", *rows["stdp"], "",
           "## Approximate BP (784-1500-10)", "",
           "| synapse | epochs × training images | validation accuracy (train 33000–33999) | test accuracy (10 000) | "
           "update energy / training sample (L1 + L2) | pulses / training sample (L1) | train samples/s | "
           "eval samples/s | run time (min) | folder |",
           "|---|---|---|---|---|---|---|---|---|---|", *rows["bp"], ""]
    text = "\n".join(out)
    (HERE / "table.md").write_text(text)
    print(text)
    tables = [bench_table(json.loads(p.read_text())) for p in sorted(HERE.glob("bench*.json"))]
    if tables:
        bench = "\n".join(tables)
        (HERE / "bench.md").write_text(bench)
        print(bench)


_PHASES = {"stdp": (("train", "training (learning on)"), ("test", "test presentation (learning off)")),
           "approx_bp": (("train", "training, fresh network (online, sample after sample)"),
                         ("train_warm", "training after {warm} samples (online)"),
                         ("eval", "validation (one batched call vs one sample at a time)"))}


def bench_table(bench: dict) -> str:
    """Samples/s of both paths and the speed-up per task, synapse model and phase, under a heading naming the
    threads both paths had."""
    rows = [f"### {bench['args'].get('threads', 1)} thread(s) per path", "",
            "| task | synapse | phase | fast (samples/s) | reference (samples/s) | speed-up | fast, longer run "
            "(samples/s) |", "|---|---|---|---|---|---|---|"]
    warm = bench["args"].get("bp_warm")
    for task, label in (("stdp", f"STDP MNIST N={bench['args']['n_exc']}"), ("approx_bp", "approx BP 784-1500-10")):
        for kind, r in bench[task].items():
            for phase, what in _PHASES[task]:
                what = what.format(warm=warm)
                if f"{phase}_speedup" not in r:
                    continue
                longer = r.get(f"{phase}_fast_longer_samples_per_s")
                rows.append(f"| {label} | {kind} | {what} | {r[f'{phase}_fast_samples_per_s']:.1f} | "
                            f"{r[f'{phase}_ref_samples_per_s']:.2f} | **{r[f'{phase}_speedup']:.0f}×** | "
                            f"{'' if longer is None else f'{longer:.0f}'} |")
            for key, what in (("protocol", "fresh network"), ("protocol_warm", f"after {warm} samples")):
                if f"{key}_speedup" in r:
                    rows.append(f"| {label} | {kind} | original protocol (1000 training + 1000 validation samples per "
                                f"block), {what} | | | **{r[f'{key}_speedup']:.0f}×** | |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    main()
