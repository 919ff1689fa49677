"""Benchmark of the in-situ emulator network: behavioural model vs ngspice, and fast vs step-by-step paths.

All ratios are measured in one run of this script on the same machine:

* behavioural (batched imprinting + closed-form first crossings) vs the ngspice transient of the same network
  (training + inference netlists), for XPUE and 012345, and optionally MNIST (``--mnist N`` test images);
* batched imprinting vs presenting the classes one after another (the circuit's order);
* closed-form inference vs the step-by-step reference (emulator transient + neuron steps at 1 µs).

Usage: ``PYTHONPATH=src python benchmarks/bench_insitu.py [--repeats 5] [--mnist 3] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch

from memsnn.experiments.insitu import InSituConfig, evaluate, load_task, train_network
from memsnn.learning.imprint import imprint, imprint_sequential
from memsnn.spice.cosim import spice_infer, spice_train
from memsnn.devices.emulator import EMULATOR_PRESETS
from memsnn.spice.ngspice import ngspice_version


def timed(fn, repeats: int) -> tuple[float, object]:
    """Median wall time of ``repeats`` calls (after one warm-up call) and the last result."""
    out = fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), out


def bench_dataset(name: str, repeats: int, n_test: int | None = None) -> dict:
    cfg = InSituConfig(dataset=name, n_test=n_test or 101, edge="ramp").resolved()  # PULSE inputs as in SPICE
    task = load_task(cfg)
    window = cfg.t_pw
    p = EMULATOR_PRESETS.get(cfg.preset)

    def behavioural():
        net = train_network(cfg, task)
        return evaluate(cfg, task, net)

    t_beh, ev = timed(behavioural, repeats)
    t0 = time.perf_counter()
    gates, tr = spice_train(task.train, cfg.t_pw, cfg.period, cfg.tstep, p, cfg.neuron, cfg.phi_v)
    times, inf = spice_infer(gates, task.test, cfg.t_pw, cfg.period, cfg.tstep, p, cfg.neuron, window)
    t_spice = time.perf_counter() - t0
    fin = torch.isfinite(times) & torch.isfinite(ev["times_us"])
    net = train_network(cfg, task)
    t_seq, _ = timed(lambda: imprint_sequential(net.emulator, net.emulator.init_state(task.train.shape), task.train,
                                                cfg.t_pw), max(1, repeats // 2))
    t_bat, _ = timed(lambda: imprint(net.emulator, net.emulator.init_state(task.train.shape), task.train, cfg.t_pw),
                     repeats)
    x = task.test[: min(len(task.test), 6)]
    t_ref, _ = timed(lambda: net.infer_reference(x, 1e-6, 0.4e-3, cfg.tstep), 1)
    t_cf, _ = timed(lambda: net.infer(x, input_rise=cfg.tstep), repeats)
    return {
        "dataset": name, "emulators": int(task.train.numel()), "test_images": len(task.test),
        "spice_s": t_spice, "spice_time_points": [len(tr.time), len(inf.time)], "behavioural_s": t_beh,
        "speedup_vs_spice": t_spice / t_beh,
        "winners_agree": bool((torch.argmin(times, 1) == ev["predictions"]).all()),
        "max_abs_dt_us": float((times * 1e6 - ev["times_us"])[fin].abs().max()),
        "imprint_sequential_s": t_seq, "imprint_batched_s": t_bat, "speedup_imprint": t_seq / t_bat,
        "infer_reference_s": t_ref, "infer_closed_form_s": t_cf, "speedup_infer": t_ref / t_cf,
        "reference_images": len(x),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--mnist", type=int, default=0, help="also MNIST with this many test images in SPICE")
    ap.add_argument("--json", help="write the results here as JSON")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    rows = [bench_dataset(n, args.repeats) for n in ("xpue", "012345")]
    if args.mnist:
        rows.append(bench_dataset("mnist", max(1, args.repeats // 2), args.mnist))
    print(f"ngspice: {ngspice_version()}, torch threads: 1")
    print("| dataset | emulators | test images | ngspice (s) | behavioural (s) | speed-up | winners agree | max abs dt (us) "
          "| imprint seq/batched (s) | speed-up | infer reference/closed form (s) | speed-up |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['dataset']} | {r['emulators']} | {r['test_images']} | {r['spice_s']:.2f} | {r['behavioural_s']:.4f} | "
              f"{r['speedup_vs_spice']:.0f}x | {r['winners_agree']} | {r['max_abs_dt_us']:.1f} | "
              f"{r['imprint_sequential_s']:.3f} / {r['imprint_batched_s']:.3f} | {r['speedup_imprint']:.1f}x | "
              f"{r['infer_reference_s']:.2f} / {r['infer_closed_form_s']:.4f} | {r['speedup_infer']:.0f}x |")
    if args.json:
        from memsnn.results import atomic_write_json, environment_info

        atomic_write_json(args.json, {"rows": rows, "ngspice": ngspice_version(), "environment": environment_info()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
