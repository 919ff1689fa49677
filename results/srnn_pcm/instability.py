"""Trace the late instability of PCM mixed-precision (xbar_scale 30, seed 42) to the update that triggers it.

Trains the configuration of the 100-epoch table for ``--epochs`` epochs (136 = the last stable epoch of the
250-epoch run), then replays the first update of the next epoch and compares the network before and after it:
forward passes on the three training patterns (fixed read-noise seeds), neurons firing at every step, the devices
that the update changed, and the same forward passes with each changed recurrent/input device reverted.

Usage (repository root): PYTHONPATH=src python results/srnn_pcm/instability.py > results/srnn_pcm/instability.md
"""

from __future__ import annotations

import argparse
import copy
import tempfile
from pathlib import Path

import torch

from memsnn.data.patterns_sinusoid import sinusoid_patterns
from memsnn.experiments.srnn_pcm import EpropConfig, train
from memsnn.learning.srnn import LAYERS, SRNN
from memsnn.results import RunDir

CFG = dict(method="mixed-precision", xbar=True, xbar_scale=30.0, lr_inp=1e-4, lr_rec=2.5e-4, lr_out=1e-4,
           acc_eps=0.025, refresh="always", seed=42)


def probe(net: SRNN, xs: torch.Tensor, ys: torch.Tensor, idx: list[int], tp: float, seeds: int = 3) -> str:
    """Mean MSE and neurons firing at > 500 Hz over patterns × read-noise seeds (device state left unchanged)."""
    losses, sat = [], []
    for i in idx:
        x, y = xs[i:i + 1].transpose(0, 1), ys[i:i + 1].transpose(0, 1)
        for s in range(seeds):
            keep = copy.deepcopy(net.arrays["w_rec"].state_dict())  # forward RESETs the diagonal
            out = net.forward(x, tp, torch.Generator().manual_seed(1000 + s))
            net.arrays["w_rec"].load_state_dict(keep)
            losses.append(float(((out.vo - y) ** 2).mean()))
            sat.append(int((out.z.mean(dim=(0, 1)) > 0.5).sum()))
    return f"MSE {sum(losses) / len(losses):.4g} (max {max(losses):.4g}), saturated neurons {max(sat)}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=136)
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = EpropConfig(epochs=args.epochs, **CFG)
    with tempfile.TemporaryDirectory() as tmp, RunDir(Path(tmp) / "run", cfg) as run:
        m = train(cfg, run, progress=False)
        ck = torch.load(run.file("checkpoint.pt"), weights_only=False)
    g = torch.Generator().manual_seed(cfg.seed)  # same data and split as train()
    xs, ys = sinusoid_patterns(cfg.n_samples, cfg.n_t, cfg.inp_dim, rate_hz=cfg.input_rate, dt=cfg.dt, generator=g)
    train_idx = torch.randperm(cfg.n_samples, generator=g)[:cfg.n_train]
    net = SRNN(cfg.spec(), g)
    net.load_state_dict(ck["net"])
    g.set_state(ck["generator"])
    tp = ck["tp"]
    before = copy.deepcopy(net.state_dict())
    # the first update of the next epoch, exactly as train() does it
    order = train_idx[torch.randperm(cfg.n_train, generator=g)]
    i = int(order[0])
    x, y = xs[i:i + 1].transpose(0, 1), ys[i:i + 1].transpose(0, 1)
    out = net.forward(x, tp, g)
    grads = net.gradients(x, out, y)
    tp_next = tp + cfg.write_interval
    pulses = net.update(grads, tp_next, g, refresh=True)
    after = copy.deepcopy(net.state_dict())
    idx = train_idx.tolist()
    print(f"# PCM mixed-precision instability, seed {cfg.seed}\n")
    print(f"Config: {CFG}; trained {args.epochs} epochs (last epoch-mean loss "
          f"{m['history'][-1]['loss_mean']:.4g}), then one more update (pattern {i}, {pulses} SET pulses).\n")
    print(f"* before the update: {probe(net_from(cfg, before), xs, ys, idx, tp_next)}")
    print(f"* after the update:  {probe(net, xs, ys, idx, tp_next)}\n")
    print("Devices changed by the update (off-diagonal; side 0 = G+, 1 = G-), conductance before -> after (µS), "
          "drift factor of the old value at the next read -> of the new value:\n")
    print("| layer | device (side, post, pre) | G before | G after | drift before | drift after | "
          "read weight change at the next read (planned: one quantum) | MSE with this device reverted |")
    print("|---|---|---|---|---|---|---|---|")
    changed_all, biggest = [], (0.0, None)
    for name in LAYERS:
        sb, sa = before["arrays"][name]["state"], after["arrays"][name]["state"]
        changed = (sb["count"] != sa["count"]).nonzero().tolist()
        for dev in changed:
            d = tuple(dev)
            if name == "w_rec" and d[2] == d[3]:
                continue  # diagonal, RESET at every forward
            changed_all.append((name, d))
            t_read = tp_next + 5e-4
            f_old = float(((t_read - sb["t_w"][d]) / 38.6) ** -0.04)
            f_new = float(((t_read - sa["t_w"][d]) / 38.6) ** -0.04)
            dw = (float(sa["G"][d]) * f_new - float(sb["G"][d]) * f_old) / cfg.xbar_scale * (1 if d[0] == 0 else -1)
            if name != "w_out" and abs(dw) > biggest[0]:
                biggest = (abs(dw), (name, d))
            res = probe(revert(cfg, before, after, [(name, d)]), xs, ys, idx, tp_next) if name != "w_out" else "-"
            print(f"| {name} | {(d[0],) + d[2:]} | {float(sb['G'][d]):.2f} | {float(sa['G'][d]):.2f} | "
                  f"{f_old:.3f} | {f_new:.3f} | {dw:+.3f} | {res} |")
    outs = [c for c in changed_all if c[0] == "w_out"]
    print(f"\n* all changed w_out devices reverted: {probe(revert(cfg, before, after, outs), xs, ys, idx, tp_next)}")
    if biggest[1] is not None:
        print(f"* these and {biggest[1][0]} {(biggest[1][1][0],) + biggest[1][1][2:]} reverted: "
              f"{probe(revert(cfg, before, after, outs + [biggest[1]]), xs, ys, idx, tp_next)}")


def revert(cfg: EpropConfig, before: dict, after: dict, devices: list) -> SRNN:
    """The network after the update with the listed ``(layer, device index)`` restored to their state before it."""
    state = copy.deepcopy(after)
    for name, d in devices:
        for k, v in before["arrays"][name]["state"].items():
            state["arrays"][name]["state"][k][d] = v[d]
    return net_from(cfg, state)


def net_from(cfg: EpropConfig, state: dict) -> SRNN:
    net = SRNN(cfg.spec(), torch.Generator().manual_seed(0))
    net.load_state_dict(copy.deepcopy(state))
    return net


if __name__ == "__main__":
    main()
