"""Speed of the IMDB (Huang et al. 2022) paths: fast vs step-by-step reference, measured in one run.

    python benchmarks/bench_imdb.py [--data-dir DIR] [--out results/bench_imdb.json] [--table1]

* approach-1 SNN inference over the test reviews at T = 1000 with per-step crossbar reads (batched, chunked) vs the
  reference path (batch 1, Python time loop, array re-read every step);
* approach-2 training steps with the crossbar (online, closed-form IF, snapshot-Euler write–verify with early exit)
  vs the reference path (Python time loop, every candidate pulse integrated separately, all MaxN rounds);
* optionally the whole Table 1 (one seed, five columns, xbar on, T = 1000, 5 epochs, full test set).
Prints JSON and writes it to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from memsnn.crossbar.array import Crossbar  # noqa: E402
from memsnn.experiments.imdb import ImdbConfig, load_data, make_crossbar, train_ann  # noqa: E402
from memsnn.learning.conversion import TextModel, mean_inputs, snn_evaluate  # noqa: E402
from memsnn.learning.optim import Adagrad  # noqa: E402
from memsnn.learning.rate_gradient import direct_epoch  # noqa: E402
from memsnn.reference import direct_step_reference, snn_rate_reference  # noqa: E402
from memsnn.results import atomic_write_json, environment_info  # noqa: E402
from memsnn.snn.layers import SpikingLinear  # noqa: E402


def bench_inference(cfg: ImdbConfig, data, model, read_noise: float, n_ref: int, sampling: str) -> dict:
    """The converted network of a trained ANN on the crossbar, all test reviews, per-step reads."""
    g = torch.Generator().manual_seed(0)
    xbar = make_crossbar(cfg, g)
    xbar.program(model.W.double(), cfg.write_config("convert"), generator=g)
    x = mean_inputs(model.emb, data.test)
    layer = SpikingLinear(crossbar=xbar, read_noise=read_noise, read_mode="per_step", sampling=sampling)
    t0 = time.perf_counter()
    m, _ = snn_evaluate(layer, x, data.test_labels, cfg.T, cfg.threshold_convert, g, cfg.eval_batch)
    fast_total = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(n_ref):
        snn_rate_reference(x[i], xbar.R.reshape(-1), None, cfg.T, cfg.threshold_convert, cfg.mapping(), read_noise, g)
    ref_per = (time.perf_counter() - t0) / n_ref
    fast_per = fast_total / x.shape[0]
    return {"reviews": x.shape[0], "T": cfg.T, "read_noise": read_noise, "sampling": sampling,
            "test_acc": round(100 * m.accuracy, 2), "fast_total_s": round(fast_total, 2),
            "fast_per_review_ms": fast_per * 1e3, "reference_per_review_ms": ref_per * 1e3,
            "reference_reviews_timed": n_ref, "speedup": ref_per / fast_per}


def bench_direct(cfg: ImdbConfig, data, n_fast: int, n_ref: int) -> dict:
    g = torch.Generator().manual_seed(0)
    model = TextModel(emb=data.emb.clone(), W=torch.zeros(cfg.embedding_dim))
    xbar: Crossbar = make_crossbar(cfg, g)
    opt_e, opt_w = Adagrad(model.emb), Adagrad(model.W)
    layer = SpikingLinear(crossbar=xbar, read_noise=cfg.read_noise, read_mode=cfg.read_mode)
    order = torch.arange(n_fast)
    R0 = xbar.R.clone()
    t0 = time.perf_counter()
    st = direct_epoch(model, layer, data.train, data.train_labels, order, opt_e, opt_w, T=cfg.T,
                      threshold=cfg.threshold_direct, scale=cfg.embedding_dim / 2, write_cfg=cfg.write_config("direct"),
                      generator=g)
    fast_per = (time.perf_counter() - t0) / n_fast
    # reference: same first reviews from the same initial devices and embedding
    emb = data.emb.clone()
    R = R0.reshape(-1).clone()
    sum_w = torch.zeros(cfg.embedding_dim)
    sum_e = torch.zeros_like(emb)
    t0 = time.perf_counter()
    for b in range(n_ref):
        ids, w = data.train.bag(b)
        rows, R = direct_step_reference(emb[ids], w, float(data.train_labels[b]), R, sum_w, sum_e[ids],
                                        T=cfg.T, threshold=cfg.threshold_direct, lr=cfg.lr, eps=cfg.eps,
                                        p=cfg.device_params(), mapping=cfg.mapping(), cfg=cfg.write_config("direct"),
                                        read_noise=cfg.read_noise, generator=g)
        emb[ids] = rows
    ref_per = (time.perf_counter() - t0) / n_ref
    return {"steps_timed_fast": n_fast, "steps_timed_reference": n_ref, "T": cfg.T,
            "fast_per_step_ms": fast_per * 1e3, "reference_per_step_ms": ref_per * 1e3, "speedup": ref_per / fast_per,
            "pulses_in_fast_run": st.pulses}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--out", default="results/bench_imdb/bench_imdb.json")
    ap.add_argument("--n-ref", type=int, default=20, help="reviews/steps timed on the reference paths")
    ap.add_argument("--n-fast-steps", type=int, default=2000, help="approach-2 steps timed on the fast path")
    ap.add_argument("--table1", action="store_true", help="also time the whole Table 1 (one seed)")
    args = ap.parse_args()
    cfg = ImdbConfig(data_dir=args.data_dir)
    t0 = time.perf_counter()
    data = load_data(cfg)
    result = {"data_load_s": round(time.perf_counter() - t0, 2), "environment": environment_info(),
              "load_average_start": os.getloadavg()}
    t0 = time.perf_counter()
    model, _ = train_ann(cfg, data, torch.Generator().manual_seed(0))
    result["ann_training_5_epochs_s"] = round(time.perf_counter() - t0, 2)
    result["a1_inference_noise0_auto"] = bench_inference(cfg, data, model, 0.0, args.n_ref, "auto")
    result["a1_inference_noise0_steps"] = bench_inference(cfg, data, model, 0.0, args.n_ref, "steps")
    result["a1_inference_noise5pct"] = bench_inference(cfg, data, model, 0.05, args.n_ref, "steps")
    result["a2_training_step_xbar"] = bench_direct(cfg, data, args.n_fast_steps, args.n_ref)
    if args.table1:
        from memsnn.experiments.table1 import run_table1

        out = Path("runs") / f"bench-table1-{time.strftime('%Y%m%d-%H%M%S')}"
        t0 = time.perf_counter()
        summary = run_table1(cfg, [0], out)
        result["table1_one_seed"] = {"wall_s": round(time.perf_counter() - t0, 1),
                                     "columns": {k: round(v["mean"], 2) for k, v in summary["columns"].items()}}
    result["load_average_end"] = os.getloadavg()
    text = json.dumps(result, indent=2)
    print(text)
    atomic_write_json(args.out, result)


if __name__ == "__main__":
    main()
