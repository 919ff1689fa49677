"""First-order (leaky) recursive filters along time.

``y[t] = decay·y[t−1] + x[t]`` (causal) or, with ``reverse=True``, ``y[t] = decay·y[t+1] + x[t]`` (anti-causal).
Evaluated blockwise: inside a block of B steps the filter is one ``[B, B]`` lower-triangular matmul, blocks are
chained by the carried last value, so the cost is O(T·B) per channel instead of the O(T²) of a full-length
convolution kernel, with T/B Python iterations instead of T.
"""

from __future__ import annotations

import torch


def _kernel(decay: float, n: int, dtype: torch.dtype, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    k = torch.arange(n, dtype=torch.float64)
    diff = k[:, None] - k[None, :]
    K = torch.where(diff >= 0, torch.tensor(decay, dtype=torch.float64) ** diff.clamp(min=0), torch.zeros(()))
    carry = torch.tensor(decay, dtype=torch.float64) ** (k + 1)
    return K.to(dtype=dtype, device=device), carry.to(dtype=dtype, device=device)


def leaky_filter(x: torch.Tensor, decay: float, *, reverse: bool = False, block: int = 64) -> torch.Tensor:
    """Filter ``x`` (time on dim 0, any trailing shape) with ``y[t] = decay·y[t∓1] + x[t]``, ``y`` starting at 0."""
    T = x.shape[0]
    if T == 0:
        return x.clone()
    flat = x.reshape(T, -1)
    if reverse:
        flat = flat.flip(0)
    K, carry_pow = _kernel(float(decay), min(block, T), flat.dtype, flat.device)
    out = torch.empty_like(flat)
    carry = torch.zeros(flat.shape[1], dtype=flat.dtype, device=flat.device)
    for s in range(0, T, block):
        xb = flat[s:s + block]
        n = xb.shape[0]
        yb = K[:n, :n] @ xb + carry_pow[:n, None] * carry
        out[s:s + n] = yb
        carry = yb[-1]
    if reverse:
        out = out.flip(0)
    return out.reshape(x.shape)


def leaky_filter_stepwise(x: torch.Tensor, decay: float, *, reverse: bool = False) -> torch.Tensor:
    """Reference path: the same filter one time step at a time."""
    out = torch.empty_like(x)
    y = torch.zeros_like(x[0])
    steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    for t in steps:
        y = decay * y + x[t]
        out[t] = y
    return out
