"""Speed of the Memristor-Spikelearn reproductions: fast paths vs per-sample, per-time-step reference loops,
measured in one run (interleaved repetitions, so machine load affects both alike).

Fast = the default compiled (numba) per-sample loops (``learning/stdp_jit.py``, ``learning/approx_bp_jit.py``:
currents from the spiking inputs only, event-driven device pulses, closed-form VTEAM pulse trains); reference = the
step-by-step torch loops (``reference = True``: dense matrix-vector products every step, device pulses through the
vectorised torch models, approximate BP pulse-by-pulse on every row of a pulsed column). Both use the same random
draws and give the same spikes and weights (tests).

* STDP MNIST, learning on and off (label assignment / test), one sample at a time in both paths.
* Approximate BP training (one sample at a time) and validation (``--eval-batch`` samples vs one at a time).
* Whole approximate-BP protocol of the original (1000 training samples then 1000 validation samples per block).

Usage: ``PYTHONPATH=src python benchmarks/bench_spikelearn.py [--out results/spikelearn/bench.json]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from memsnn.data.mnist import load_mnist
from memsnn.learning.approx_bp import ApproxBpNetwork, BpNetConfig
from memsnn.learning.stdp import StdpNetConfig, StdpNetwork
from memsnn.learning.synapse_factory import SynapseConfig, bp_synapses, stdp_synapses
from memsnn.results import atomic_write_json, environment_info


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def interleaved(cases: dict[str, tuple], reps: int) -> dict[str, float]:
    """Samples/s of every case ``name: (fn, n_samples)``, measured in interleaved repetitions."""
    total = {k: 0.0 for k in cases}
    for _ in range(reps):
        for name, (fn, _) in cases.items():
            total[name] += timed(fn)
    return {f"{name}_samples_per_s": reps * n / total[name] for name, (_, n) in cases.items()}


def speedups(res: dict[str, float], phases: tuple[str, ...]) -> dict[str, float]:
    """Add ``<phase>_speedup`` = fast / reference samples per second."""
    for p in phases:
        res[f"{p}_speedup"] = res[f"{p}_fast_samples_per_s"] / res[f"{p}_ref_samples_per_s"]
    return res


def bench_stdp(kind: str, x: torch.Tensor, n_exc: int, n_fast: int, n_ref: int, reps: int) -> dict:
    nets = {}
    for ref in (False, True):
        net = StdpNetwork(StdpNetConfig(n_exc=n_exc), stdp_synapses(SynapseConfig(kind=kind), (1, n_exc, 784)),
                          torch.Generator().manual_seed(0))
        net.reference = ref
        nets[ref] = net
    nets[False].present(x[:1], learn=True)  # compile / load the cached kernels
    nets[False].present(x[:1], learn=False)

    def train(net: StdpNetwork, n: int) -> None:
        net.pop.freeze_theta = False
        for i in range(n):
            net.present(x[i:i + 1], learn=True)

    res = interleaved({"train_fast": (lambda: train(nets[False], n_fast), n_fast),
                       "train_ref": (lambda: train(nets[True], n_ref), n_ref)}, reps)
    res |= interleaved({"test_fast": (lambda: nets[False].present(x[:10 * n_fast], learn=False), 10 * n_fast),
                        "test_ref": (lambda: nets[True].present(x[:n_ref], learn=False), n_ref)}, reps)
    return speedups(res, ("train", "test"))


def bench_bp(kind: str, x: torch.Tensor, y: torch.Tensor, n_fast: int, n_ref: int, eval_batch: int,
             reps: int) -> dict:
    sc = SynapseConfig(kind=kind, lr=0.08, v1_n=1.47)
    nets = {}
    for ref in (False, True):
        s1, s2 = bp_synapses(sc, (1500, 784)), bp_synapses(sc, (10, 1500))
        for s in (s1, s2):
            s.reference = ref
        nets[ref] = ApproxBpNetwork(BpNetConfig(), s1, s2, torch.Generator().manual_seed(0))
        nets[ref].reference = ref
    nets[False].train_batch(x[:1], y[:1])  # compile / load the cached kernels
    nets[False].predict(x[:2])

    def train(net: ApproxBpNetwork, n: int) -> None:
        for i in range(n):
            net.train_batch(x[i:i + 1], y[i:i + 1])

    res = interleaved({"train_fast": (lambda: train(nets[False], n_fast), n_fast),
                       "train_ref": (lambda: train(nets[True], n_ref), n_ref),
                       "eval_fast": (lambda: nets[False].predict(x[:eval_batch]), eval_batch),
                       "eval_ref": (lambda: [nets[True].predict(x[i:i + 1]) for i in range(n_ref)], n_ref)},
                      reps)
    speedups(res, ("train", "eval"))
    # original protocol: per block, 1000 training samples + 1000 validation samples
    fast = 1 / res["train_fast_samples_per_s"] + 1 / res["eval_fast_samples_per_s"]
    ref = 1 / res["train_ref_samples_per_s"] + 1 / res["eval_ref_samples_per_s"]
    res["protocol_train_samples_per_s_fast"] = 1 / fast
    res["protocol_train_samples_per_s_ref"] = 1 / ref
    res["protocol_speedup"] = ref / fast
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="results/spikelearn/bench.json")
    ap.add_argument("--stdp-kinds", default="ideal,vteam,chen_yu,lut")
    ap.add_argument("--bp-kinds", default="ideal,vteam,chen_yu,lut")
    ap.add_argument("--n-exc", type=int, default=100)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--n-fast", type=int, default=20, help="STDP samples per repetition on the fast path (BP: 5×)")
    ap.add_argument("--n-ref", type=int, default=3, help="STDP samples per repetition on the reference path (BP: 2×)")
    ap.add_argument("--eval-batch", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    x, y = load_mnist("train")
    out = {"environment": environment_info(), "args": vars(args), "stdp": {}, "approx_bp": {}}
    for kind in filter(None, args.stdp_kinds.split(",")):
        out["stdp"][kind] = bench_stdp(kind, x, args.n_exc, args.n_fast, args.n_ref, args.reps)
        print("stdp", kind, json.dumps(out["stdp"][kind]), flush=True)
    for kind in filter(None, args.bp_kinds.split(",")):
        out["approx_bp"][kind] = bench_bp(kind, x, y, 5 * args.n_fast, 2 * args.n_ref, args.eval_batch, args.reps)
        print("approx_bp", kind, json.dumps(out["approx_bp"][kind]), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.out, out)


if __name__ == "__main__":
    main()
