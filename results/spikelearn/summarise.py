"""Markdown tables of the Memristor-Spikelearn run folders (``metrics.json`` of ``memsnn stdp-mnist`` /
``memsnn approx-bp``).

Usage: ``python results/spikelearn/summarise.py [RUN_DIR ...]`` (default: every run folder next to this script);
writes ``table.md`` next to this script and prints it.
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


if __name__ == "__main__":
    main()
