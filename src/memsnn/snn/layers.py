"""Spiking layers: a single-output spiking linear layer whose weights are plain tensors or read from a crossbar.

Crossbar read modes (Huang et al. 2022; spec §3, §8):

* ``per_step`` — the whole array is re-read with fresh read noise at every time step of every sample (the
  reference's behaviour; default for reproductions);
* ``per_sample`` — one noisy read per sample, held for all T steps;
* ``ideal`` — noise-free weights (same as read noise 0).

Spike sampling (``sampling``): ``steps`` simulates every time step (Bernoulli spikes, closed-form IF per chunk);
``auto`` (default) draws only the spike counts K_e ~ Binomial(T, x_e) for samples whose weights are constant over
the T steps and for which :func:`~memsnn.snn.neurons.lag_probability_bound` certifies that no step's input can
exceed θ except with probability ≤ ``lag_tolerance`` (then the count is f(Σ_e W_e·K_e), the same distribution as
the step simulation); the other samples are simulated step by step.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..crossbar.array import Crossbar
from ..errors import ConfigError
from .encoders import bernoulli_spikes, chunk_sizes
from .neurons import IFState, if_chunk, if_count_no_lag, lag_probability_bound

READ_MODES = ("per_step", "per_sample", "ideal")
SAMPLING = ("auto", "steps")


@dataclass
class RateResult:
    """Firing rate per sample and the weights of the last read (what an online update starts from)."""

    rate: torch.Tensor  # (B,)
    last_weights: torch.Tensor  # (B, E) or (E,)


class SpikingLinear:
    """One IF output neuron over E Bernoulli-coded inputs: weights from a tensor or from a crossbar's reads."""

    def __init__(self, weights: torch.Tensor | None = None, crossbar: Crossbar | None = None, *,
                 read_noise: float = 0.0, read_mode: str = "per_step", sampling: str = "auto",
                 lag_tolerance: float = 1e-9):
        if (weights is None) == (crossbar is None):
            raise ConfigError("SpikingLinear needs exactly one of weights or crossbar")
        if read_mode not in READ_MODES:
            raise ConfigError(f"read_mode must be one of {READ_MODES}, got {read_mode!r}")
        if not 0.0 <= read_noise < 1.0:
            raise ConfigError(f"read noise must lie in [0, 1), got {read_noise}")
        if sampling not in SAMPLING:
            raise ConfigError(f"spike sampling must be one of {SAMPLING}, got {sampling!r}")
        self.sampling = sampling
        self.lag_tolerance = lag_tolerance
        self.weights = weights
        self.crossbar = crossbar
        self.read_noise = float(read_noise)
        self.read_mode = read_mode if read_noise > 0 else "ideal"

    def _read(self, batch_shape: tuple[int, ...], generator: torch.Generator | None) -> torch.Tensor:
        assert self.crossbar is not None
        W = self.crossbar.read_weights(self.read_noise, batch_shape, generator, torch.float32)
        return W.reshape(batch_shape + (-1,))

    def static_weights(self) -> torch.Tensor:
        """Noise-free weights (E,)."""
        if self.crossbar is not None:
            return self.crossbar.weights().reshape(-1).to(torch.float32)
        assert self.weights is not None
        return self.weights.to(torch.float32)

    def rate(self, x: torch.Tensor, T: int, threshold: float, generator: torch.Generator | None = None,
             max_chunk_elems: int = 1 << 23) -> RateResult:
        """Firing rate of the neuron for inputs x (B, E) ∈ [0,1] over T steps (see module docstring)."""
        x = x.to(torch.float32)
        if self.crossbar is not None and self.read_mode == "per_sample":
            W = self._read((x.shape[0],), generator)
        elif self.crossbar is not None and self.read_mode == "per_step":
            return self._rate_steps(x, T, threshold, None, generator, max_chunk_elems)
        else:
            W = self.static_weights()
        if self.sampling == "steps":
            return self._rate_steps(x, T, threshold, W, generator, max_chunk_elems)
        ok = lag_probability_bound(x, W, threshold, T) <= self.lag_tolerance
        if bool(ok.all()):
            return self._rate_counts(x, T, threshold, W, generator)
        rate = torch.empty(x.shape[0], dtype=torch.float32, device=x.device)
        W_b = W.expand_as(x)
        if bool(ok.any()):
            rate[ok] = self._rate_counts(x[ok], T, threshold, W_b[ok], generator).rate
        rate[~ok] = self._rate_steps(x[~ok], T, threshold, W_b[~ok], generator, max_chunk_elems).rate
        return RateResult(rate=rate, last_weights=W)

    @staticmethod
    def _rate_counts(x: torch.Tensor, T: int, threshold: float, W: torch.Tensor,
                     generator: torch.Generator | None) -> RateResult:
        counts = torch.binomial(torch.full_like(x, float(T)), x.clamp(0.0, 1.0), generator=generator)
        S = (counts.to(torch.float64) * W.to(torch.float64)).sum(-1)
        return RateResult(rate=(if_count_no_lag(S, threshold) / T).to(torch.float32), last_weights=W)

    def _rate_steps(self, x: torch.Tensor, T: int, threshold: float, W: torch.Tensor | None,
                    generator: torch.Generator | None, max_chunk_elems: int) -> RateResult:
        """Step simulation in time chunks; W None means a fresh crossbar read per step."""
        B, E = x.shape
        chunk = max(1, min(T, max_chunk_elems // max(1, B * E)))
        state = IFState.zeros((B,), device=x.device)
        count = torch.zeros(B, dtype=torch.float64, device=x.device)
        last = W
        for n in chunk_sizes(T, chunk):
            spikes = bernoulli_spikes(x, n, generator)  # (B, n, E)
            if W is None:
                Wt = self._read((B, n), generator)
                current = torch.einsum("bte,bte->bt", spikes, Wt)
                last = Wt[:, -1, :]
            elif W.dim() == 1:
                current = spikes @ W
            else:
                current = torch.einsum("bte,be->bt", spikes, W)
            c, state = if_chunk(current, threshold, state)
            count += c
        assert last is not None
        return RateResult(rate=(count / T).to(torch.float32), last_weights=last)
