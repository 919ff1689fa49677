"""Integrate-and-fire neuron with reset by subtraction (Huang et al. 2022 §3, spec §3).

``V_t = V_{t−1} + I_t − Z_{t−1}·θ``, ``Z_t = [V_t > θ]`` (strict), V_0 = 0. Two implementations:

* :func:`if_reference` — the step-by-step recurrence (reference path for tests and benchmarks);
* :func:`if_count_no_lag` — when no single step's input exceeds θ the neuron never lags, so the count over a
  whole spike train is just f(S_T); with Bernoulli-coded inputs and constant weights S_T = Σ_e W_e·K_e with
  K_e ~ Binomial(T, x_e), which needs 100 draws instead of T·100. :func:`lag_probability_bound` certifies the
  condition: a Chernoff bound on P(I_t > θ), union-bounded over the T steps.
* :func:`if_chunk` — a closed form for non-negative input. With S_t = u_0 + Σ_{τ≤t} I_τ and
  f(S) = #{k ≥ 1 : S > kθ}, the spike count obeys N_t = min(N_{t−1} + 1, f(S_t)), hence
  ``N_t = t + min(0, min_{1≤s≤t} (f(S_s) − s))``: a cumulative sum and a cumulative minimum, no time loop.
  The potential after the last reset, ``u = S_T − θ·N_T``, carries over to the next chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class IFState:
    """Carry between chunks: u = membrane potential after the reset of the last step (shape: batch)."""

    u: torch.Tensor

    @classmethod
    def zeros(cls, batch_shape: tuple[int, ...], dtype: torch.dtype = torch.float64,
              device: torch.device | None = None) -> "IFState":
        """Resting state V_0 = 0."""
        return cls(u=torch.zeros(batch_shape, dtype=dtype, device=device))


def if_reference(inputs: torch.Tensor, threshold: float, state: IFState | None = None) -> tuple[torch.Tensor, IFState]:
    """Step-by-step IF neuron. ``inputs``: (..., T) currents; returns (spikes (..., T), final state)."""
    state = state or IFState.zeros(inputs.shape[:-1], inputs.dtype, inputs.device)
    u = state.u.to(inputs.dtype).clone()
    spikes = torch.zeros_like(inputs)
    for t in range(inputs.shape[-1]):
        v = u + inputs[..., t]
        z = v > threshold
        spikes[..., t] = z.to(inputs.dtype)
        u = v - threshold * z.to(inputs.dtype)
    return spikes, IFState(u=u)


def if_chunk(inputs: torch.Tensor, threshold: float, state: IFState | None = None, *,
             return_spikes: bool = False) -> tuple[torch.Tensor, IFState]:
    """Closed-form IF over a chunk of non-negative inputs (..., T).

    Returns (spike count per neuron, new state), or (spikes (..., T), new state) with return_spikes. Falls back to
    :func:`if_reference` when any input is negative (the closed form needs a non-decreasing S_t).
    """
    if bool((inputs < 0).any()):
        spikes, st = if_reference(inputs.to(torch.float64), threshold, state)
        return (spikes if return_spikes else spikes.sum(-1)), st
    x = inputs.to(torch.float64)
    state = state or IFState.zeros(x.shape[:-1], torch.float64, x.device)
    S = torch.cumsum(x, dim=-1).add_(state.u.to(torch.float64).unsqueeze(-1))
    f = torch.ceil(S / threshold).sub_(1.0).clamp_min_(0.0)
    steps = torch.arange(1, x.shape[-1] + 1, dtype=torch.float64, device=x.device)
    g = torch.cummin(f - steps, dim=-1).values.clamp_max_(0.0)
    N = g + steps  # spikes up to and including each step
    total = N[..., -1]
    new_state = IFState(u=S[..., -1] - threshold * total)
    if return_spikes:
        return torch.diff(N, dim=-1, prepend=torch.zeros_like(N[..., :1])), new_state
    return total, new_state


def if_count_no_lag(S: torch.Tensor, threshold: float) -> torch.Tensor:
    """Spike count f(S) = #{k ≥ 1 : S > kθ} of an IF neuron whose per-step input never exceeded θ."""
    return torch.ceil(S.to(torch.float64) / threshold).sub_(1.0).clamp_min_(0.0)


_LAMBDAS = torch.logspace(-2, 1.5, 24, dtype=torch.float64)


def lag_probability_bound(x: torch.Tensor, W: torch.Tensor, threshold: float, T: int) -> torch.Tensor:
    """Upper bound, per sample, on P(some step t ≤ T has input Σ_e W_e·B_{e,t} ≥ θ), B ~ Bernoulli(x).

    Chernoff: P(I ≥ θ) ≤ min_λ exp(−λθ) Π_e (1 + x_e(e^{λW_e} − 1)) (minimised over a λ grid — any λ is a valid
    bound), times T (union bound). Exactly 0 where Σ_e W_e < θ (no step can reach θ). x: (B, E); W: (E,) or (B, E).
    """
    x64 = x.to(torch.float64).clamp(0.0, 1.0)
    W64 = W.to(torch.float64).clamp_min(0.0).expand_as(x64)
    if bool((W64.sum(-1) < threshold).all()):
        return torch.zeros(x64.shape[:-1], dtype=torch.float64, device=x64.device)
    lam = _LAMBDAS.to(x64.device)
    log_mgf = torch.log1p(x64.unsqueeze(-2) * torch.expm1(lam[:, None] * W64.unsqueeze(-2))).sum(-1)  # (B, L)
    log_p = (log_mgf - lam * threshold).min(dim=-1).values.clamp_max(0.0)
    bound = (log_p + torch.log(torch.tensor(float(T), dtype=torch.float64))).exp().clamp_max(1.0)
    return torch.where(W64.sum(-1) < threshold, torch.zeros_like(bound), bound)
