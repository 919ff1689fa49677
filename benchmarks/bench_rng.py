"""Compiled float32 uniform draws (``memsnn.rng.rand_float32``) against ``torch.rand`` on the same generator: µs per
call and ns per draw, best of ``--reps`` calls, 1 thread.

Usage: ``python benchmarks/bench_rng.py [--sizes 7500,150000] [--reps 200]``
"""

from __future__ import annotations

import argparse

import torch
from bench_spikelearn import timed  # (benchmarks/ is on the path when this script runs)

from memsnn.rng import rand_float32


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="7500,150000", help="draws per call (comma-separated)")
    ap.add_argument("--reps", type=int, default=200)
    args = ap.parse_args()
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(1)
    rand_float32(10, gen)  # compile / load the cached kernel, self-check
    for n in (int(v) for v in args.sizes.split(",")):
        fast = min(timed(lambda n=n: rand_float32(n, gen)) for _ in range(args.reps))
        draw = lambda n=n: torch.rand(n, generator=gen, dtype=torch.float32).numpy()  # noqa: E731
        ref = min(timed(draw) for _ in range(args.reps))
        print(f"n={n}: compiled {fast * 1e6:.1f} µs ({fast / n * 1e9:.2f} ns/draw), torch.rand {ref * 1e6:.1f} µs "
              f"({ref / n * 1e9:.2f} ns/draw), ratio {ref / fast:.1f}×")


if __name__ == "__main__":
    main()
