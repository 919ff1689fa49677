"""Speed of the Memristor-Spikelearn reproductions: fast paths vs per-sample, per-time-step reference loops,
measured in one run (interleaved repetitions, so machine load affects both alike).

Fast = the default compiled (numba) loops (``learning/stdp_jit.py``, ``learning/approx_bp_jit.py``:
currents from the spiking inputs only, event-driven device pulses, closed-form VTEAM pulse trains); reference = the
step-by-step torch loops (``reference = True``: dense matrix-vector products every step, device pulses through the
vectorised torch models, approximate BP pulse-by-pulse on every row of a pulsed column). Both use the same random
draws and give the same spikes and weights (tests).

Speed-ups compare the two paths on the same work: every repetition builds both networks afresh with equal seeds
and runs the same samples on each (so both make the same spikes and the same device pulses).

* STDP MNIST, learning on (training) then off (test), one sample at a time in both paths.
* Approximate BP training (the original online rule, sample after sample: ``train_online``, one compiled call on
  the fast path, one step-by-step torch loop per sample on the reference path) and validation (one batched call vs
  one sample at a time).
* Approximate BP training again from a network trained on ``--bp-warm`` other samples (``train_warm``: copied into
  both paths, weights, device states and random generator): most updates then leave W1 unchanged, which the fast
  path exploits, so this is the regime of most of a full run.
* Whole approximate-BP protocol of the original (1000 training samples then 1000 validation samples per block),
  from the fresh and from the trained network.
* For information, fast-path throughput over a longer run (``*_fast_longer_samples_per_s``: ``--n-fast`` training
  samples from a fresh network, 10× as many test samples; ``--eval-batch`` validation samples).

Usage: ``PYTHONPATH=src python benchmarks/bench_spikelearn.py [--out results/spikelearn/bench.json]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path

import torch

from memsnn.data.mnist import load_mnist
from memsnn.learning.approx_bp import ApproxBpNetwork, BpNetConfig
from memsnn.learning.stdp import StdpNetConfig, StdpNetwork
from memsnn.learning.synapse_factory import SynapseConfig, bp_synapses, stdp_synapses
from memsnn.results import atomic_write_json, environment_info
from memsnn.runtime import set_threads


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def matched(make, work: dict[str, tuple], reps: int) -> dict[str, float]:
    """Samples/s of every phase ``name: (fn(net), n_samples)`` on the fast and the reference path, on the same
    samples from the same start: each repetition builds both networks afresh (``make(reference)``, equal seeds) and
    runs the phases in order on each, fast and reference interleaved. Adds ``<phase>_speedup``."""
    total = {f"{k}_{path}": 0.0 for k in work for path in ("fast", "ref")}
    for _ in range(reps):
        nets = {"fast": make(False), "ref": make(True)}
        for name, (fn, _) in work.items():
            for path, net in nets.items():
                total[f"{name}_{path}"] += timed(lambda: fn(net))
    res = {}
    for name, (_, n) in work.items():
        for path in ("fast", "ref"):
            res[f"{name}_{path}_samples_per_s"] = reps * n / total[f"{name}_{path}"]
        res[f"{name}_speedup"] = total[f"{name}_ref"] / total[f"{name}_fast"]
    return res


def throughput(fn, n: int, reps: int) -> float:
    """Samples/s of ``fn`` (n samples), best of ``reps``."""
    return n / min(timed(fn) for _ in range(reps))


def bench_stdp(kind: str, x: torch.Tensor, n_exc: int, n_fast: int, n_ref: int, reps: int) -> dict:
    def make(ref: bool) -> StdpNetwork:
        net = StdpNetwork(StdpNetConfig(n_exc=n_exc), stdp_synapses(SynapseConfig(kind=kind), (1, n_exc, 784)),
                          torch.Generator().manual_seed(0))
        net.reference = ref
        return net

    def train(net: StdpNetwork, n: int) -> None:
        for i in range(n):
            net.present(x[i:i + 1], learn=True)

    warm = make(False)
    train(warm, 1)  # compile / load the cached kernels
    warm.present(x[:1], learn=False)
    res = matched(make, {"train": (lambda net: train(net, n_ref), n_ref),
                         "test": (lambda net: net.present(x[n_ref:2 * n_ref], learn=False), n_ref)}, reps)
    fresh = make(False)
    res["train_fast_longer_samples_per_s"] = throughput(lambda: train(fresh, n_fast), n_fast, 1)
    res["test_fast_longer_samples_per_s"] = throughput(lambda: fresh.present(x[:10 * n_fast], learn=False),
                                                       10 * n_fast, 1)
    return res


def bench_bp(kind: str, x: torch.Tensor, y: torch.Tensor, n_fast: int, n_ref: int, n_eval: int, eval_batch: int,
             n_warm: int, reps: int) -> dict:
    sc = SynapseConfig(kind=kind, lr=0.08, v1_n=1.47)

    def make(ref: bool) -> ApproxBpNetwork:
        s1, s2 = bp_synapses(sc, (1500, 784)), bp_synapses(sc, (10, 1500))
        for s in (s1, s2):
            s.reference = ref
        net = ApproxBpNetwork(BpNetConfig(), s1, s2, torch.Generator().manual_seed(0))
        net.reference = ref
        return net

    def train(net: ApproxBpNetwork, n: int) -> None:  # online rule; fast: one compiled call, reference: per sample
        net.train_online(x[:n], y[:n])

    def evaluate(net: ApproxBpNetwork) -> None:  # reference: one sample at a time; fast: one batched call
        xe = x[n_ref:n_ref + n_eval]
        if net.reference:
            for i in range(n_eval):
                net.predict(xe[i:i + 1])
        else:
            net.predict(xe)

    warm = make(False)
    train(warm, 1)  # compile / load the cached kernels
    warm.predict(x[:2])
    res = matched(make, {"train": (lambda net: train(net, n_ref), n_ref), "eval": (evaluate, n_eval)}, reps)
    fresh = make(False)
    res["train_fast_longer_samples_per_s"] = throughput(lambda: train(fresh, n_fast), n_fast, 1)
    res["eval_fast_longer_samples_per_s"] = throughput(lambda: fresh.predict(x[:eval_batch]), eval_batch, 1)
    # training later on: both paths start from a network trained (fast path) on n_warm other samples
    base = make(False)
    s0 = n_ref + n_eval
    base.train_online(x[s0:s0 + n_warm], y[s0:s0 + n_warm])
    s1 = s0 + n_warm

    def trained(ref: bool) -> ApproxBpNetwork:
        net = make(ref)
        for dst, src in ((net.syn1, base.syn1), (net.syn2, base.syn2)):
            dst.w.copy_(src.w)
            for f in dataclasses.fields(src.state) if hasattr(src, "state") else ():
                getattr(dst.state, f.name).copy_(getattr(src.state, f.name))
        net.gen.set_state(base.gen.get_state())
        return net

    later = matched(trained, {"train": (lambda net: net.train_online(x[s1:s1 + n_ref], y[s1:s1 + n_ref]), n_ref)},
                    reps)
    res.update({k.replace("train", "train_warm", 1): v for k, v in later.items()})
    # original protocol: per block, 1000 training samples + 1000 validation samples
    for key, train_key in (("protocol", "train"), ("protocol_warm", "train_warm")):
        fast = 1 / res[f"{train_key}_fast_samples_per_s"] + 1 / res["eval_fast_samples_per_s"]
        ref = 1 / res[f"{train_key}_ref_samples_per_s"] + 1 / res["eval_ref_samples_per_s"]
        res[f"{key}_speedup"] = ref / fast
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="results/spikelearn/bench.json")
    ap.add_argument("--stdp-kinds", default="ideal,vteam,chen_yu,lut")
    ap.add_argument("--bp-kinds", default="ideal,vteam,chen_yu,lut")
    ap.add_argument("--n-exc", type=int, default=100)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--n-fast", type=int, default=20,
                    help="STDP samples of the longer fast-path throughput run (BP: 5×)")
    ap.add_argument("--n-ref", type=int, default=3,
                    help="STDP training and test samples per repetition timed on both paths")
    ap.add_argument("--n-bp", type=int, default=20,
                    help="approximate-BP training samples per repetition timed on both paths")
    ap.add_argument("--n-eval", type=int, default=100,
                    help="BP validation samples per repetition timed on both paths")
    ap.add_argument("--eval-batch", type=int, default=1000)
    ap.add_argument("--bp-warm", type=int, default=2000,
                    help="approximate-BP training samples before the second training measurement (train_warm)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="threads of both paths (torch and numba); default: all cores")
    args = ap.parse_args()
    set_threads(args.threads)  # numba first, then torch (runtime.set_threads)
    x, y = load_mnist("train")
    out = {"environment": environment_info(), "args": vars(args), "stdp": {}, "approx_bp": {}}
    for kind in filter(None, args.stdp_kinds.split(",")):
        out["stdp"][kind] = bench_stdp(kind, x, args.n_exc, args.n_fast, args.n_ref, args.reps)
        print("stdp", kind, json.dumps(out["stdp"][kind]), flush=True)
    for kind in filter(None, args.bp_kinds.split(",")):
        out["approx_bp"][kind] = bench_bp(kind, x, y, 5 * args.n_fast, args.n_bp, args.n_eval, args.eval_batch,
                                            args.bp_warm, args.reps)
        print("approx_bp", kind, json.dumps(out["approx_bp"][kind]), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.out, out)


if __name__ == "__main__":
    main()
