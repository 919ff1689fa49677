"""Step-by-step reference paths of Huang et al. 2022, written the direct way (batch size 1, Python time loop,
forward-Euler pulses per option, the array re-read at every time step).

They compute the same equations as the fast paths and are kept to test against and to measure speed-ups
(``benchmarks/bench_imdb.py``). They are not used by experiments.
"""

from __future__ import annotations

import math

import torch

from .crossbar.mapping import LinearConductanceMap
from .crossbar.programming import WriteVerifyConfig
from .devices.rram import RRAMParams, pulse_euler


def snn_rate_reference(x: torch.Tensor, R: torch.Tensor | None, W: torch.Tensor | None, T: int, threshold: float,
                       mapping: LinearConductanceMap, read_noise: float,
                       generator: torch.Generator | None) -> tuple[float, torch.Tensor]:
    """Firing rate of one sample x (E,): per time step draw spikes, re-read the array (if R given), integrate, fire.

    Returns (rate, weights of the last read).
    """
    v = 0.0
    z = 0
    count = 0
    w = W
    for _ in range(T):
        spikes = (x > torch.rand(x.shape, generator=generator)).to(torch.float32)
        if R is not None:
            u = torch.rand(R.shape, generator=generator, dtype=R.dtype)
            w = mapping.resistance_to_weight(R * (1.0 + read_noise * (2.0 * u - 1.0))).to(torch.float32)
        assert w is not None
        v = v + float(spikes @ w) - z * threshold
        z = int(v > threshold)
        count += z
    assert w is not None
    return count / T, w


def write_verify_reference(p: RRAMParams, R: torch.Tensor, target: torch.Tensor, cfg: WriteVerifyConfig,
                           read_noise: float, generator: torch.Generator | None) -> torch.Tensor:
    """Predict–write–verify with every candidate pulse integrated separately by Euler, all MaxN rounds."""
    R = R.clone()
    options = [(cfg.positive_v, w) for w in cfg.positive_widths] + [(cfg.negative_v, w) for w in cfg.negative_widths]
    for _ in range(cfg.max_rounds):
        u = torch.rand(R.shape, generator=generator, dtype=R.dtype)
        R_m = R * (1.0 + read_noise * (2.0 * u - 1.0))
        best = (target - R_m).abs()
        choice_v = torch.zeros_like(R)
        choice_w = torch.zeros_like(R)
        for v, w in options:
            pred = pulse_euler(p, R_m, v, w)
            allowed = (target > R_m) if v > 0 else (target <= R_m)
            d = (target - pred).abs()
            take = allowed & (d <= best)
            best = torch.where(take, d, best)
            choice_v = torch.where(take, torch.full_like(R, v), choice_v)
            choice_w = torch.where(take, torch.full_like(R, w), choice_w)
        need = (target - R_m).abs() / target > cfg.r_tolerance
        for i in torch.nonzero(need & (choice_w > 0)).flatten().tolist():
            R[i] = pulse_euler(p, R[i:i + 1], float(choice_v[i]), float(choice_w[i]))[0]
    return R


def direct_step_reference(emb_rows: torch.Tensor, counts: torch.Tensor, label: float, R: torch.Tensor,
                          sum_w: torch.Tensor, sum_rows: torch.Tensor, *, T: int, threshold: float, lr: float,
                          eps: float, p: RRAMParams, mapping: LinearConductanceMap, cfg: WriteVerifyConfig,
                          read_noise: float, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """One approach-2 training step on one review (spec §6), step by step; returns (new rows, new R)."""
    w_tok = counts / counts.sum()
    x = w_tok @ emb_rows
    r, W_last = snn_rate_reference(x, R, None, T, threshold, mapping, read_noise, generator)
    y = 1.0 / (1.0 + math.exp(-(x.numel() / 2) * (r - 0.5)))
    g = y - label
    gw = g * x
    sum_w += gw * gw
    expected = (W_last - lr * gw / (sum_w.sqrt() + eps)).clamp(0.0, 1.0)
    ge = torch.outer(w_tok * g, W_last)
    sum_rows += ge * ge
    rows = (emb_rows - lr * ge / (sum_rows.sqrt() + eps)).clamp(0.0, 1.0)
    target = mapping.weight_to_resistance(expected.to(torch.float64))
    return rows, write_verify_reference(p, R, target, cfg, read_noise, generator)
