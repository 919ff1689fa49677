"""Where the time of the compiled approximate-BP path goes (ideal weights): microseconds per sample of online training
(fresh network, the first ``--n`` MNIST samples) and of validation, for several hidden-layer sizes. Each size's
times are fitted as a + b·n_hidden: ``a`` is the cost per sample that does not grow with the layer (input spike
draws, the changes between steps, calls of the parallel hidden-window kernel, per-block overheads) and ``b`` the
cost per hidden neuron (synaptic currents from the changing inputs, weight updates, neurons). The input draws
(``ApproxBpNetwork._draws``, the same on the reference path) are timed on their own.

Usage: ``python benchmarks/bench_approx_bp_cost.py [--threads 1] [--sizes 8,200,400,800,1500] [--out cost.json]``
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
import torch
from bench_spikelearn import timed  # (benchmarks/ is on the path when this script runs)

from memsnn.data.mnist import load_mnist
from memsnn.learning.approx_bp import ApproxBpNetwork, BpNetConfig
from memsnn.learning.synapse_factory import SynapseConfig, bp_synapses
from memsnn.results import atomic_write_json, environment_info
from memsnn.runtime import set_threads


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="8,200,400,800,1500", help="hidden-layer sizes (comma-separated)")
    ap.add_argument("--n", type=int, default=400, help="training and validation samples per timing")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--out", default="", help="JSON file for the results (optional)")
    args = ap.parse_args()
    set_threads(args.threads)
    x, y = load_mnist("train")
    xt, xv, yt = x[:args.n], x[-args.n:], y[:args.n]
    sc = SynapseConfig(kind="ideal")

    def make(nh: int) -> ApproxBpNetwork:
        return ApproxBpNetwork(BpNetConfig(n_hidden=nh), bp_synapses(sc, (nh, 784)), bp_synapses(sc, (10, nh)),
                               torch.Generator().manual_seed(0))

    rows = []
    for nh in (int(s) for s in args.sizes.split(",")):
        warm = make(nh)
        warm.train_online(xt[:1], yt[:1])  # compile / load the kernels
        warm.predict(xv[:2])

        def train(nh: int = nh) -> float:
            net = make(nh)
            return timed(lambda: net.train_online(xt, yt))

        def validate(nh: int = nh) -> float:
            net = make(nh)
            return timed(lambda: net.predict(xv))

        rows.append({"n_hidden": nh, "train_us": min(train() for _ in range(args.reps)) / args.n * 1e6,
                     "validate_us": min(validate() for _ in range(args.reps)) / args.n * 1e6})
        print(json.dumps(rows[-1]), flush=True)
    draws = min(timed(lambda: make(8)._draws(xt)) for _ in range(args.reps)) / args.n * 1e6
    nhs = np.array([r["n_hidden"] for r in rows], dtype=float)
    fit = {}
    for key in ("train_us", "validate_us"):
        b, a = np.polyfit(nhs, [r[key] for r in rows], 1) if len(rows) > 1 else (np.nan, np.nan)
        fit[key] = {"per_sample_us": float(a), "per_neuron_us": float(b)}
    print(f"input draws: {draws:.1f} µs/sample")
    for key, f in fit.items():
        print(f"{key[:-3]}: {f['per_sample_us']:.0f} µs/sample + {f['per_neuron_us'] * 1e3:.0f} ns per hidden neuron")
    if args.out:
        atomic_write_json(args.out, {"environment": environment_info(), "args": vars(args), "rows": rows,
                                     "draws_us": draws, "fit": fit})


if __name__ == "__main__":
    main()
