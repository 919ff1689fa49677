"""Speed of the e-prop step and of the PCM figure-5 simulation (SRNN-PCM, Demirag et al. 2021).

Measured in one run on the same machine and thread count:

* per-sample e-prop step (forward + gradients, 100 inputs, 100 LIF, 1 output, T = 1000) with the fast exact
  gradients (recursive filters + matmul) vs the same step with the O(T²) causal-convolution eligibility traces of
  the reference formulation; the online forward recursion is reported too. All three give the same gradients.
* Nandakumar fig. 5: 1000×1000 PCM devices, 20 SET pulses each, read at T0 after every pulse.

Usage: ``PYTHONPATH=src python benchmarks/bench_eprop.py [--threads 1] [--repeats 5] [--out results.json]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from memsnn.data.patterns_sinusoid import sinusoid_patterns
from memsnn.experiments.pcm_figures import FigureConfig, figure5
from memsnn.experiments.srnn_pcm import EpropConfig
from memsnn.learning.eprop import eprop_gradients, eprop_gradients_conv, eprop_gradients_online
from memsnn.learning.srnn import SRNN


def timed(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    res: dict[str, object] = {"threads": args.threads, "torch": torch.__version__}
    for label, kw in (("fp32", {}), ("pcm", {"xbar": True, "method": "mixed-precision", "xbar_scale": 11.8,
                                             "thr": 0.19, "w_init_gain": 0.24})):
        cfg = EpropConfig(**kw)
        xs, ys = sinusoid_patterns(1, cfg.n_t, cfg.inp_dim, generator=g)
        x, y = xs.transpose(0, 1), ys.transpose(0, 1)
        net = SRNN(cfg.spec(), g)
        t_fwd, run = timed(lambda: net.forward(x, 0.0, g), args.repeats)
        err = run.vo - y
        lif, ep = cfg.spec().lif, cfg.spec().eprop
        t_fast, gf = timed(lambda: eprop_gradients(x, run.z, run.v, err, net.fb, lif, ep), args.repeats)
        res[f"{label}_forward_s"] = t_fwd
        res[f"{label}_grad_fast_s"] = t_fast
        res[f"{label}_step_fast_s"] = t_fwd + t_fast
        if label == "fp32":
            t_on, go = timed(lambda: eprop_gradients_online(x, run.z, run.v, err, net.fb, lif, ep), 1)
            t_conv, gc = timed(lambda: eprop_gradients_conv(x, run.z, run.v, err, net.fb, lif, ep), 1)
            res.update(grad_online_s=t_on, grad_conv_s=t_conv, step_conv_s=t_fwd + t_conv,
                       max_abs_diff_fast_vs_conv=max(float((a - b).abs().max()) for a, b in zip(gf, gc)),
                       max_abs_diff_fast_vs_online=max(float((a - b).abs().max()) for a, b in zip(gf, go)),
                       spikes=float(run.z.sum()))
            res["speedup_step_fast_vs_conv"] = res["step_conv_s"] / res["fp32_step_fast_s"]
            res["speedup_grad_fast_vs_conv"] = t_conv / t_fast
            res["speedup_grad_fast_vs_online"] = t_on / t_fast
    t0 = time.perf_counter()
    figure5(FigureConfig(figure="5"), torch.Generator().manual_seed(0))
    res["fig5_1000x1000_20_pulses_s"] = time.perf_counter() - t0
    text = json.dumps(res, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
