"""Where does approach 1 lose accuracy on the crossbar? Test the converted SNN with (a) the trained weights,
(b) the trained weights capped at the largest weight the write procedure reaches (w ≤ 0.9645: R ≥ 2271 Ω after
five −1.2 V rounds), (c) the weights actually written to the crossbar. Same seed, same trained ANN.

    python scripts/a1_weight_cap.py [--seed 0] [--out results/table1/a1_weight_cap.json]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from memsnn.experiments.imdb import ImdbConfig, load_data, make_crossbar, make_layer, train_ann  # noqa: E402
from memsnn.learning.conversion import mean_inputs, snn_evaluate  # noqa: E402
from memsnn.results import atomic_write_json  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="results/table1/a1_weight_cap.json")
    args = ap.parse_args()
    cfg = ImdbConfig(seed=args.seed)
    data = load_data(cfg)
    g = torch.Generator().manual_seed(cfg.seed)
    model, _ = train_ann(cfg, data, g)
    W, emb = model.W, model.emb
    x = mean_inputs(emb, data.test)
    xbar = make_crossbar(cfg, g)
    xbar.program(W.double(), cfg.write_config("convert"), generator=g)
    stored = xbar.weights().reshape(-1).float()
    variants = {"trained": W, "capped_0.9645": W.clamp(max=0.9645), "written": stored}
    out = {"seed": cfg.seed, "n_weights_above_0.984": int((W >= 0.984).sum()),
           "sum_trained_minus_written": float((W - stored).sum())}
    for name, w in variants.items():
        accs = []
        for rep in range(3):
            m, _ = snn_evaluate(make_layer(cfg, weights=w), x, data.test_labels, cfg.T, cfg.threshold_convert,
                                torch.Generator().manual_seed(100 + rep), cfg.eval_batch)
            accs.append(100 * m.accuracy)
        out[name] = {"test_acc_runs": accs, "mean": sum(accs) / len(accs)}
        print(name, out[name])
    atomic_write_json(args.out, out)


if __name__ == "__main__":
    main()
