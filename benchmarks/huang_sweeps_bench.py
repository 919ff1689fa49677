"""Batched sweep paths vs running the configurations one by one, measured in one run on the real IMDB data.

* Fig. 5f shmoo (approach 2): ``--n-train`` online training steps of every (read noise, R tolerance) cell —
  batched (one :func:`direct_epoch_multi` over all C cells) vs one :func:`direct_epoch` per cell (reference path).
* Fig. 4 groups (approach 1) on ``--n-test`` test reviews: T sweep (one checkpointed run vs one run per T),
  R-tolerance sweep (shared spike trains, one batched write–verify) and read-noise sweep (per-step noisy reads) —
  batched vs one ``SpikingLinear`` + ``Crossbar.program`` per point.

Reports wall and CPU (process) seconds; the machine may be shared, so ratios measured in the same run are the
meaningful numbers. Usage: ``PYTHONPATH=src python benchmarks/huang_sweeps_bench.py --out bench.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, Callable

import torch

from memsnn.devices.rram import RRAMDevice
from memsnn.experiments.huang_figures import FIG4_NOISE, FIG4_T, FIG4_TOL, _snn_rates, program_many
from memsnn.experiments.imdb import ImdbConfig, load_data, make_crossbar
from memsnn.learning.conversion import TextModel, mean_inputs, snn_evaluate
from memsnn.learning.direct_batched import MultiDirectState, direct_epoch_multi
from memsnn.learning.optim import Adagrad
from memsnn.learning.rate_gradient import direct_epoch
from memsnn.snn.layers import SpikingLinear


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall s, CPU s) of one call."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def bench_shmoo(cfg: ImdbConfig, data: Any, noises: list[float], tols: list[float], n: int) -> dict[str, Any]:
    """Approach-2 training steps of every shmoo cell, batched vs one by one."""
    cells = [(a, b) for a in noises for b in tols]
    order = torch.randperm(len(data.train), generator=torch.Generator().manual_seed(0))[:n]
    dev = RRAMDevice(cfg.device_params(), method=cfg.device_method)
    wcfg = cfg.write_config("direct")
    kw = dict(T=cfg.T, threshold=cfg.threshold_direct, scale=cfg.embedding_dim / 2)

    def batched() -> None:
        g = torch.Generator().manual_seed(1)
        st = MultiDirectState.create(data.emb, dev, cfg.array_shape, torch.tensor([c[1] for c in cells]),
                                     torch.tensor([c[0] for c in cells]), g)
        direct_epoch_multi(st, dev, cfg.mapping(), data.train, data.train_labels, order, lr=cfg.lr, eps=cfg.eps,
                           write_cfg=wcfg, generator=g, **kw)

    def one_by_one() -> None:
        for noise, tol in cells:
            c = cfg.replace(read_noise=noise, r_tolerance=tol)
            g = torch.Generator().manual_seed(1)
            model = TextModel(emb=data.emb.clone(), W=torch.zeros(cfg.embedding_dim))
            xb = make_crossbar(c, g)
            layer = SpikingLinear(crossbar=xb, read_noise=noise, read_mode=c.read_mode)
            direct_epoch(model, layer, data.train, data.train_labels, order, Adagrad(model.emb, c.lr, c.eps),
                         Adagrad(model.W, c.lr, c.eps), write_cfg=c.write_config("direct"), generator=g, **kw)

    wb, cb = timed(batched)
    ws, cs = timed(one_by_one)
    C = len(cells)
    return {"cells": C, "grid": f"{len(noises)}x{len(tols)}", "train_steps": n,
            "batched_wall_s": wb, "batched_cpu_s": cb, "one_by_one_wall_s": ws, "one_by_one_cpu_s": cs,
            "batched_ms_per_cell_step": 1e3 * wb / (C * n), "one_by_one_ms_per_cell_step": 1e3 * ws / (C * n),
            "speedup_wall": ws / wb, "speedup_cpu": cs / cb}


def bench_fig4(cfg: ImdbConfig, data: Any, n_test: int) -> dict[str, Any]:
    """The three Fig.-4 groups on n_test reviews: batched vs one configuration at a time."""
    g = torch.Generator().manual_seed(0)
    W = torch.rand(cfg.embedding_dim, generator=g) * 0.9
    emb = data.emb
    x = mean_inputs(emb, data.test)[:n_test]
    labels = data.test_labels[:n_test]
    m = cfg.mapping()
    out: dict[str, Any] = {"n_test": n_test}

    def single_eval(layer: SpikingLinear, T: int) -> None:
        snn_evaluate(layer, x, labels, T, cfg.threshold_convert, g, cfg.eval_batch)

    # T sweep
    out["T"] = {"batched": timed(lambda: _snn_rates(cfg, x, max(FIG4_T), g, FIG4_T, weights=W.unsqueeze(0))),
                "one_by_one": timed(lambda: [single_eval(SpikingLinear(weights=W), T) for T in FIG4_T])}

    # R tolerance sweep: one batched programming call + shared spikes vs per tolerance
    def tol_batched() -> None:
        R, _ = program_many(cfg, W, list(FIG4_TOL), [0.0] * len(FIG4_TOL), g)
        _snn_rates(cfg, x, cfg.T, g, R=R, mapping=m, read_noise=torch.zeros(len(FIG4_TOL)))

    def tol_single() -> None:
        for tol in FIG4_TOL:
            c = cfg.replace(r_tolerance=tol)
            xb = make_crossbar(c, g)
            xb.program(W.double(), c.write_config("convert"), generator=g)
            single_eval(SpikingLinear(crossbar=xb), cfg.T)

    out["r_tolerance"] = {"batched": timed(tol_batched), "one_by_one": timed(tol_single)}

    def noise_batched() -> None:
        R, _ = program_many(cfg, W, [cfg.r_tolerance] * len(FIG4_NOISE), list(FIG4_NOISE), g)
        _snn_rates(cfg, x, cfg.T, g, R=R, mapping=m, read_noise=torch.tensor(FIG4_NOISE, dtype=torch.float32))

    def noise_single() -> None:
        for noise in FIG4_NOISE:
            xb = make_crossbar(cfg, g)
            xb.program(W.double(), cfg.write_config("convert"), read_noise=noise, generator=g)
            single_eval(SpikingLinear(crossbar=xb, read_noise=noise, read_mode="per_step"), cfg.T)

    out["read_noise"] = {"batched": timed(noise_batched), "one_by_one": timed(noise_single)}
    for k in ("T", "r_tolerance", "read_noise"):
        (wb, cb), (ws, cs) = out[k]["batched"], out[k]["one_by_one"]
        out[k] = {"batched_wall_s": wb, "batched_cpu_s": cb, "one_by_one_wall_s": ws, "one_by_one_cpu_s": cs,
                  "speedup_wall": ws / wb, "speedup_cpu": cs / cb}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n-train", type=int, default=100, help="training steps per shmoo cell")
    ap.add_argument("--n-test", type=int, default=2000, help="test reviews for the Fig.-4 groups")
    ap.add_argument("--noises", default="0,0.001,0.005,0.01,0.02")
    ap.add_argument("--tolerances", default="0.005,0.01,0.02,0.03,0.05")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: shmoo, fig4")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = ImdbConfig()
    data = load_data(cfg)
    res: dict[str, Any] = {"threads": args.threads}
    if "shmoo" not in args.skip:
        res["shmoo"] = bench_shmoo(cfg, data, [float(v) for v in args.noises.split(",")],
                                   [float(v) for v in args.tolerances.split(",")], args.n_train)
        print(json.dumps(res["shmoo"], indent=1))
    if "fig4" not in args.skip:
        res["fig4"] = bench_fig4(cfg, data, args.n_test)
        print(json.dumps(res["fig4"], indent=1))
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
