"""Weight ↔ resistance maps.

Huang et al. 2022 eq. (21): a weight w ∈ [0, 1] is stored as a conductance linear in w between 1/R_max (w = 0) and
1/R_min (w = 1): ``R = 1 / (w·(1/R_min − 1/R_max) + 1/R_max)``; the inverse is clamped to [0, 1] when read back.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..config import Config, check_positive
from ..errors import ConfigError


@dataclass
class LinearConductanceMap(Config):
    """w ∈ [0,1] ↔ R with G = 1/R linear in w (eq. 21). Defaults: R_min = 2.2 kΩ, R_max = 18.9 kΩ."""

    R_min: float = 2200.0
    R_max: float = 18900.0

    def validate(self) -> None:
        """R_min and R_max positive, R_min < R_max."""
        check_positive("R_min", self.R_min)
        check_positive("R_max", self.R_max)
        if self.R_min >= self.R_max:
            raise ConfigError(f"R_min must be < R_max, got R_min={self.R_min} >= R_max={self.R_max}")

    @property
    def g_span(self) -> float:
        """1/R_min − 1/R_max (S)."""
        return 1.0 / self.R_min - 1.0 / self.R_max

    def weight_to_resistance(self, w: torch.Tensor) -> torch.Tensor:
        """Target resistance of weight w (eq. 21)."""
        return 1.0 / (w * self.g_span + 1.0 / self.R_max)

    def resistance_to_weight(self, R: torch.Tensor, clamp: bool = True) -> torch.Tensor:
        """Weight stored by resistance R, clamped to [0, 1] unless clamp=False."""
        w = (1.0 / R - 1.0 / self.R_max) / self.g_span
        return w.clamp(0.0, 1.0) if clamp else w
