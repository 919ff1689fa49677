"""The common device interface.

Every device model acts on a whole tensor of device states at once (any shape; a leading "configuration"
dimension lets sweeps run as one batch). A model knows nothing about networks; a crossbar knows nothing about a
particular model's equations.

* ``init_state(shape, generator)`` → state (a small dataclass of tensors)
* ``apply_pulse(state, v, width, mask=None, generator=None)`` → new state
* ``conductance(state, t=None)`` → noise-free conductance G (S)
* ``read(state, noise, t=None, generator=None)`` → measured G (S)
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Generic, Protocol, TypeVar, runtime_checkable

import torch

from ..errors import ConfigError

S = TypeVar("S")
P = TypeVar("P")


@runtime_checkable
class DeviceModel(Protocol[S]):
    """Protocol every device model implements (see module docstring)."""

    def init_state(self, shape: tuple[int, ...], generator: torch.Generator | None = None) -> S: ...

    def apply_pulse(
        self,
        state: S,
        v: torch.Tensor | float,
        width: torch.Tensor | float,
        mask: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> S: ...

    def conductance(self, state: S, t: torch.Tensor | float | None = None) -> torch.Tensor: ...

    def read(
        self,
        state: S,
        noise: float | torch.Tensor = 0.0,
        t: torch.Tensor | float | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor: ...


class PresetRegistry(Generic[P]):
    """Named parameter presets of one device family, e.g. ``RRAM_PRESETS.get("huang2022")``."""

    def __init__(self, family: str):
        self.family = family
        self._items: dict[str, Callable[[], P]] = {}

    def register(self, name: str, factory: Callable[[], P]) -> None:
        """Add a preset (a zero-argument factory returning the frozen parameter dataclass)."""
        self._items[name] = factory

    def get(self, name: str, **overrides: Any) -> P:
        """The preset's parameters, with fields optionally overridden."""
        if name not in self._items:
            raise ConfigError(f"unknown {self.family} preset {name!r} (known: {', '.join(sorted(self._items))})")
        params = self._items[name]()
        return dataclasses.replace(params, **overrides) if overrides else params  # type: ignore[type-var]

    def names(self) -> list[str]:
        """All preset names."""
        return sorted(self._items)


def masked(new: torch.Tensor, old: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """``new`` where mask is true (or everywhere if mask is None), else ``old``."""
    return new if mask is None else torch.where(mask, new, old)


def uniform(shape: tuple[int, ...] | torch.Size, generator: torch.Generator | None, *, like: torch.Tensor | None = None,
            dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """U[0,1) samples of the given shape on ``like``'s device (float64 by default)."""
    device = like.device if like is not None else None
    dtype = like.dtype if like is not None else dtype
    return torch.rand(tuple(shape), generator=generator, device=device, dtype=dtype)


def noisy_read(x: torch.Tensor, noise: float | torch.Tensor, batch_shape: tuple[int, ...] = (),
               generator: torch.Generator | None = None, dtype: torch.dtype | None = None) -> torch.Tensor:
    """``batch_shape + x.shape`` independent reads ``x·(1 + n·(2u − 1))``, u ~ U[0,1): a uniform relative read error
    of at most ±n (Huang et al. 2022 §2.4). ``noise`` broadcasts against the read shape."""
    dtype = dtype or x.dtype
    xd = x.to(dtype)
    if isinstance(noise, (int, float)) and noise == 0.0:
        return xd.expand(tuple(batch_shape) + tuple(x.shape))
    u = torch.rand(tuple(batch_shape) + tuple(x.shape), generator=generator, dtype=dtype, device=x.device)
    return xd * u.mul_(2.0).sub_(1.0).mul_(noise).add_(1.0)
