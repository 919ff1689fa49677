"""Pattern-generation task of Demirag et al. (arXiv:2108.01804): frozen Poisson input → sum of four sinusoids.

Input: Bernoulli spikes ``x = (U < rate·dt)`` of shape ``[n_samples, seq_len, n_inputs]`` (rate 50 Hz, dt 1 ms).
Target: ``y(t) = Σ_{f ∈ {1,2,3,5} Hz} A_f·sin(2πft + φ_f)``, ``A_f ~ U(0.5, 2)``, ``φ_f ~ U(0, 2π)``, divided by
``max|y|`` so that ``max|y| = 1``; ``t = 0, dt, …, (seq_len−1)·dt``. Generated, not downloaded.
"""

from __future__ import annotations

import math

import torch

from ..config import check_positive
from ..errors import ConfigError

FREQS_HZ = (1.0, 2.0, 3.0, 5.0)


def sinusoid_patterns(n_samples: int = 6, seq_len: int = 1000, n_inputs: int = 100, *, rate_hz: float = 50.0,
                      dt: float = 1e-3, freqs: tuple[float, ...] = FREQS_HZ,
                      generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs ``[n, T, n_inputs]`` (0/1 float32) and targets ``[n, T, 1]``."""
    for name, v in (("n_samples", n_samples), ("seq_len", seq_len), ("n_inputs", n_inputs)):
        if int(v) != v or v < 1:
            raise ConfigError(f"{name} must be an integer >= 1, got {v!r}")
    check_positive("rate_hz", rate_hz, allow_zero=True)
    check_positive("dt", dt)
    if rate_hz * dt > 1:
        raise ConfigError(f"rate_hz·dt must be <= 1 (a probability per step), got {rate_hz * dt!r}")
    x = (torch.rand(n_samples, n_inputs, seq_len, generator=generator) < rate_hz * dt).float().transpose(1, 2)
    t = torch.arange(seq_len, dtype=torch.float64) * dt
    amp = 0.5 + 1.5 * torch.rand(n_samples, len(freqs), generator=generator, dtype=torch.float64)
    phase = 2 * math.pi * torch.rand(n_samples, len(freqs), generator=generator, dtype=torch.float64)
    f = torch.tensor(freqs, dtype=torch.float64)
    y = (amp[:, :, None] * torch.sin(2 * math.pi * f[None, :, None] * t[None, None, :] + phase[:, :, None])).sum(1)
    y = y / y.abs().amax(dim=1, keepdim=True)
    return x.contiguous(), y.to(torch.float32).unsqueeze(-1)
