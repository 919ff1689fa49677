"""Speed of the Memristor-Spikelearn reproductions: fast paths vs per-sample, per-time-step reference loops,
measured in one run (interleaved repetitions, so machine load affects both alike).

* STDP MNIST, learning on (one sample at a time, as the rule requires): sparse input currents vs dense
  matrix-vector products per step.
* STDP MNIST, learning off (label assignment and test): ``--test-batch`` samples in parallel with currents of whole
  chunks of steps computed from the active inputs only, vs one sample at a time with per-step products.
* Approximate BP training (one sample at a time): only pulsed rows/columns, closed-form VTEAM pulse trains, vs
  pulse-by-pulse updates of every row of a pulsed column.
* Approximate BP validation: ``--eval-batch`` samples in parallel vs one at a time.
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


def bench_stdp(kind: str, x: torch.Tensor, n_exc: int, n_train: int, n_ref_test: int, test_batch: int,
               reps: int) -> dict:
    nets = {}
    for ref in (False, True):
        net = StdpNetwork(StdpNetConfig(n_exc=n_exc), stdp_synapses(SynapseConfig(kind=kind), (1, n_exc, 784)),
                          torch.Generator().manual_seed(0))
        net.reference = ref
        nets[ref] = net

    def train(net: StdpNetwork) -> None:
        net.pop.freeze_theta = False
        for i in range(n_train):
            net.present(x[i:i + 1], learn=True)

    res = interleaved({"train_fast": (lambda: train(nets[False]), n_train),
                       "train_ref": (lambda: train(nets[True]), n_train)}, reps)
    res |= interleaved({"test_fast": (lambda: nets[False].present(x[:test_batch], learn=False), test_batch),
                        "test_ref": (lambda: [nets[True].present(x[i:i + 1], learn=False)
                                              for i in range(n_ref_test)], n_ref_test)}, reps)
    return speedups(res, ("train", "test"))


def bench_bp(kind: str, x: torch.Tensor, y: torch.Tensor, n_train: int, n_ref_eval: int, eval_batch: int,
             reps: int) -> dict:
    sc = SynapseConfig(kind=kind, lr=0.08, v1_n=1.47)
    nets = {}
    for ref in (False, True):
        s1, s2 = bp_synapses(sc, (1500, 784)), bp_synapses(sc, (10, 1500))
        for s in (s1, s2):
            s.reference = ref
        nets[ref] = ApproxBpNetwork(BpNetConfig(), s1, s2, torch.Generator().manual_seed(0))

    def train(net: ApproxBpNetwork) -> None:
        for i in range(n_train):
            net.train_batch(x[i:i + 1], y[i:i + 1])

    res = interleaved({"train_fast": (lambda: train(nets[False]), n_train),
                       "train_ref": (lambda: train(nets[True]), n_train),
                       "eval_fast": (lambda: nets[False].predict(x[:eval_batch]), eval_batch),
                       "eval_ref": (lambda: [nets[True].predict(x[i:i + 1]) for i in range(n_ref_eval)], n_ref_eval)},
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
    ap.add_argument("--stdp-kinds", default="ideal,chen_yu")
    ap.add_argument("--bp-kinds", default="ideal,vteam,chen_yu")
    ap.add_argument("--n-exc", type=int, default=100)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--test-batch", type=int, default=250)
    ap.add_argument("--eval-batch", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    x, y = load_mnist("train")
    out = {"environment": environment_info(), "args": vars(args), "stdp": {}, "approx_bp": {}}
    for kind in filter(None, args.stdp_kinds.split(",")):
        out["stdp"][kind] = bench_stdp(kind, x, args.n_exc, 3, 4, args.test_batch, args.reps)
        print("stdp", kind, json.dumps(out["stdp"][kind]), flush=True)
    for kind in filter(None, args.bp_kinds.split(",")):
        out["approx_bp"][kind] = bench_bp(kind, x, y, 8, 20, args.eval_batch, args.reps)
        print("approx_bp", kind, json.dumps(out["approx_bp"][kind]), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.out, out)


if __name__ == "__main__":
    main()
