"""Collect metrics.json of the table runs into <name>.csv / <name>.md (mean ± std over seeds per method).

Usage: python results/srnn_pcm/summarise.py RUNS_ROOT [NAME]   (NAME defaults to "table"; files next to this script)
"""

import csv
import json
import statistics
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/srnn_pcm/table")
name_out = sys.argv[2] if len(sys.argv) > 2 else "table"
groups: dict[str, list[dict]] = {}
for f in sorted(root.glob("*/metrics.json")):
    m = json.loads(f.read_text())
    with open(f.parent / "loss.csv") as fh:  # worst epoch-mean loss after epoch 50: did the run stay stable?
        late = [float(r["loss_mean"]) for r in csv.DictReader(fh) if int(r["epoch"]) >= 50]
    m["worst_late"] = max(late) if late else float("nan")
    groups.setdefault(f.parent.name.rsplit("_s", 1)[0], []).append(m)
rows = []
for name, ms in groups.items():
    fin = [m["final_mse"] for m in ms]
    rows.append({"method": name, "seeds": len(ms), "final_mse_mean": statistics.mean(fin),
                 "final_mse_std": statistics.stdev(fin) if len(fin) > 1 else 0.0,
                 "final_mse_median": statistics.median(fin),
                 "epoch0_loss_mean": statistics.mean(m["loss_first_epoch"] for m in ms),
                 "epochs": ms[0]["epochs_run"], "set_pulses_mean": statistics.mean(m["set_pulses"] for m in ms),
                 "rate_hz_mean": statistics.mean(m["mean_rate_hz"] for m in ms),
                 "runtime_s_mean": statistics.mean(m["runtime_s"] for m in ms),
                 "per_seed": " ".join(f"{v:.4g}" for v in fin),
                 "epochs_run": " ".join(str(m["epochs_run"]) for m in ms),
                 "worst_loss_after_50": " ".join(f"{m['worst_late']:.3g}" for m in ms)})
rows.sort(key=lambda r: r["final_mse_median"])
keys = list(rows[0])
out = Path(__file__).parent
(out / f"{name_out}.csv").write_text(",".join(keys) + "\n" + "\n".join(",".join(str(r[k]) for k in keys) for r in rows) + "\n")
md = ["| method | seeds | final MSE median | final MSE (mean ± std) | per seed | epochs run | worst epoch loss after 50 "
      "| epoch-0 loss | SET pulses | rate (Hz) | run time (s) |",
      "|---|---|---|---|---|---|---|---|---|---|---|"]
md += [f"| {r['method']} | {r['seeds']} | {r['final_mse_median']:.4g} | {r['final_mse_mean']:.4g} ± {r['final_mse_std']:.2g} | {r['per_seed']} | "
       f"{r['epochs_run']} | {r['worst_loss_after_50']} | "
       f"{r['epoch0_loss_mean']:.4g} | {r['set_pulses_mean']:.0f} | {r['rate_hz_mean']:.1f} | {r['runtime_s_mean']:.0f} |"
       for r in rows]
(out / f"{name_out}.md").write_text("\n".join(md) + "\n")
print("\n".join(md))
