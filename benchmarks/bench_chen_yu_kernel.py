"""Chen–Yu pulse kernel alone: ns per device and Euler sub-step of ``devices.jit.chen_yu_pulse_many``, carried
exponentials vs fresh ones every sub-step, on approximate-BP-like pulses (gaps 0.93–1.2 nm, ±1.45–1.52 V, 1 ns),
measured in one run. Same device states before every call.

Usage: ``NUMBA_NUM_THREADS=1 python benchmarks/bench_chen_yu_kernel.py [--n 2000] [--counts 1,4] [--v-scale 0.97]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from memsnn.devices.chen_yu import ChenYuDevice
from memsnn.devices.jit import CHEN_YU_CARRY_LIMIT, chen_yu_pulse_many, pack_device, voltage_terms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="devices per call")
    ap.add_argument("--counts", default="1,4", help="pulses per call (comma-separated)")
    ap.add_argument("--v-scale", type=float, default=0.97, help="factor on the ±1.45–1.52 V pulse voltages")
    ap.add_argument("--calls", type=int, default=50)
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args()
    dev = pack_device(ChenYuDevice()).args()
    prm, n = dev[1], args.n
    rng = np.random.default_rng(0)
    g0 = rng.uniform(0.93e-9, 1.2e-9, n)
    v = rng.uniform(1.45, 1.52, n) * rng.choice([-1.0, 1.0], n) * args.v_scale
    width = 1e-9
    terms = [voltage_terms(*dev, float(vq), width) for vq in v]
    h, field, v2w = np.array([t[1] for t in terms]), np.array([t[2] for t in terms]), v * v * width
    energy, cond, work, g = np.empty(n), np.empty(n), np.empty((8, n)), g0.copy()
    for count in (int(c) for c in args.counts.split(",")):
        res = {}
        for exact in (False, True):
            chen_yu_pulse_many(prm, g, n, h, field, v2w, count, energy, cond, work, exact)  # compile / load
            best = np.inf
            for _ in range(args.reps):
                t0 = time.perf_counter()
                for _ in range(args.calls):
                    g[:] = g0
                    chen_yu_pulse_many(prm, g, n, h, field, v2w, count, energy, cond, work, exact)
                best = min(best, (time.perf_counter() - t0) / args.calls)
            res[exact] = best / (n * prm[6] * count) * 1e9
        g[:] = g0
        chen_yu_pulse_many(prm, g, n, h, field, v2w, count, energy, cond, work, False)
        redone = int(np.sum(~(work[2] <= CHEN_YU_CARRY_LIMIT)))
        print(f"{count} pulse(s) per call: carried {res[False]:.2f} ns, fresh {res[True]:.2f} ns per device and "
              f"sub-step ({res[True] / res[False]:.2f}×; {redone} of {n} devices redone)")


if __name__ == "__main__":
    main()
