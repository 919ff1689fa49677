"""Read-out helper shared by device models."""

from __future__ import annotations

import torch


def with_read_noise(g: torch.Tensor, noise: float | torch.Tensor = 0.0,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Conductance read with relative Gaussian noise ``noise`` (σ/G; 0 gives g unchanged)."""
    if isinstance(noise, torch.Tensor) or noise:
        return g * (1 + noise * torch.randn(g.shape, generator=generator, dtype=g.dtype, device=g.device))
    return g
