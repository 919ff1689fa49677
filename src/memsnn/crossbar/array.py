"""A crossbar: an array of resistive device states, a weight map, noisy reads and programming.

The crossbar knows nothing about a particular device's equations: it asks the device model for pulse responses
(:mod:`memsnn.crossbar.programming`) and reads resistance as ``R·(1 + n·(2u − 1))`` (Huang et al. 2022 §2.4).
"""

from __future__ import annotations

import torch

from ..devices.rram import RRAMDevice, RRAMState
from .mapping import LinearConductanceMap
from .programming import ProgramStats, WriteVerifyConfig, write_verify


def noisy_weights(R: torch.Tensor, mapping: LinearConductanceMap, noise: float | torch.Tensor,
                  shape: tuple[int, ...], generator: torch.Generator | None = None,
                  dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Weights (eq. 21) seen through independent noisy reads R·(1 + n(2u − 1)) of the given draw ``shape``.

    Fused and in place on one buffer: ``w = clamp((G/(1 + n(2u − 1)) − 1/R_max)/span, 0, 1)`` with G = 1/R; ``R``
    and ``noise`` broadcast against ``shape`` (e.g. a leading configuration dimension with per-configuration noise).
    """
    G = (1.0 / R).to(dtype) / mapping.g_span
    buf = torch.rand(shape, generator=generator, dtype=dtype, device=R.device)
    buf.mul_(2.0 * noise).add_(1.0 - noise).reciprocal_().mul_(G).sub_(1.0 / (mapping.R_max * mapping.g_span))
    return buf.clamp_(0.0, 1.0)


class Crossbar:
    """Devices holding a weight array W ∈ [0,1]^shape (Huang et al. 2022: W_s reshaped to a 10×10 array)."""

    def __init__(self, device: RRAMDevice, mapping: LinearConductanceMap, shape: tuple[int, ...],
                 generator: torch.Generator | None = None, state: RRAMState | None = None):
        mapping.validate()
        self.device = device
        self.mapping = mapping
        self.shape = tuple(shape)
        self._state = state if state is not None else device.init_state(self.shape, generator)
        self._weights: torch.Tensor | None = None

    @property
    def state(self) -> RRAMState:
        """Device states."""
        return self._state

    @state.setter
    def state(self, value: RRAMState) -> None:
        self._state = value
        self._weights = None

    @property
    def R(self) -> torch.Tensor:
        """True resistances."""
        return self._state.R

    def weights(self) -> torch.Tensor:
        """Noise-free stored weights (clamped to [0,1]); cached until the state changes."""
        if self._weights is None:
            self._weights = self.mapping.resistance_to_weight(self._state.R)
        return self._weights

    def read_weights(self, noise: float | torch.Tensor = 0.0, batch_shape: tuple[int, ...] = (),
                     generator: torch.Generator | None = None, dtype: torch.dtype | None = None) -> torch.Tensor:
        """Weights seen through ``batch_shape`` independent noisy reads of the whole array (:func:`noisy_weights`)."""
        dtype = dtype or self.state.R.dtype
        if isinstance(noise, (int, float)) and noise == 0.0:
            return self.mapping.resistance_to_weight(self.state.R.to(dtype)).expand(batch_shape + self.shape)
        return noisy_weights(self.state.R, self.mapping, noise, batch_shape + self.shape, generator, dtype)

    def program(self, target_weights: torch.Tensor, cfg: WriteVerifyConfig, *, read_noise: float | torch.Tensor = 0.0,
                tolerance: float | torch.Tensor | None = None, generator: torch.Generator | None = None) -> ProgramStats:
        """Write target weights with predict–write–verify; updates the state and returns per-device statistics."""
        target = self.mapping.weight_to_resistance(target_weights.to(self.state.R.dtype).reshape(self.state.R.shape))
        R, stats = write_verify(self.device, self.state.R, target, cfg, read_noise=read_noise, tolerance=tolerance,
                                generator=generator)
        if stats.pulses.any():
            self.state = RRAMState(R=R)
        return stats
