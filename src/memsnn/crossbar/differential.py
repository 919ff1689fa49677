"""Differential synapses with N devices per side, generic over device models.

A weight ``W[post, pre]`` is held by two groups of N devices, ``G⁺`` (side 0) and ``G⁻`` (side 1), stored as one
device-state tensor of shape ``[2, N, *shape]``. Conductance only goes up by potentiating (SET) pulses; a weight
decrease is a potentiation of the opposite side; saturated pairs are refreshed (both sides RESET, the difference
re-written). Demirag et al., arXiv:2108.01804 (2021), §Methods; multi-memristor round-robin after Boybat et al.,
Nat. Commun. 9, 2514 (2018).

Any device model implementing :class:`memsnn.devices.base.DeviceModel` works: a SET is
``apply_pulse(state, set_v, set_width, mask, generator[, t])`` and a RESET is the model's ``reset`` method if it has
one, else ``apply_pulse`` with ``reset_v``. Models whose ``apply_pulse``/``read`` accept a time ``t`` (e.g. PCM drift)
receive the array's time.

Pulse-count rounding (the number of pulses realising a real-valued request ``n``):

* ``"round"`` (default): ``floor(n + 1/2)`` per device.
* ``"floor"``: ``floor(n)``.
* ``"faithful"``: the original implementation's loop ``for _ in range(int(max n)): pulse where n > 0; n −= 1``,
  i.e. ``min(ceil(n_i), floor(max n))`` and nothing at all when ``max n < 1``.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import torch

from ..config import check_choice
from ..errors import ConfigError

PULSE_RULES = ("round", "floor", "faithful")
COMBINES = ("mean", "sum")
REWRITES = ("nominal", "set-curve")


def pulse_counts(n: torch.Tensor, rule: str = "round") -> torch.Tensor:
    """Integer pulse counts (int64) realising the real-valued requests ``n >= 0`` under ``rule``."""
    check_choice("pulse rule", rule, PULSE_RULES)
    n = torch.as_tensor(n)
    if n.numel() and bool((n < 0).any()):
        raise ConfigError(f"pulse requests must be >= 0, got minimum {float(n.min())}")
    if rule == "round":
        return torch.floor(n + 0.5).to(torch.int64)
    if rule == "floor":
        return torch.floor(n).to(torch.int64)
    n_max = float(n.max()) if n.numel() else 0.0
    cap = int(n_max) if n_max >= 1 else 0
    return torch.ceil(n).clamp(max=cap).to(torch.int64)


def _accepts(fn: Any, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return False


class DifferentialArray:
    """Array of differential synapses ``W = (agg_n G⁺ − agg_n G⁻)/scale`` with N devices per side.

    ``combine`` is how the N devices of a side are aggregated for the weight ("mean" or "sum"); the original
    SRNN-PCM code reads with "sum" but targets updates with "mean" (``faithful_read_sum=True`` reproduces that).
    """

    def __init__(self, model: Any, shape: tuple[int, ...], n_per_side: int = 1, *, scale: float = 1.0,
                 generator: torch.Generator | None = None, combine: str = "mean", faithful_read_sum: bool = False,
                 set_v: float = 1.0, set_width: float = 0.0, reset_v: float = -1.0, reset_width: float = 0.0,
                 init_kwargs: dict[str, Any] | None = None):
        if int(n_per_side) != n_per_side or n_per_side < 1:
            raise ConfigError(f"devices per side N must be an integer >= 1, got {n_per_side!r}")
        if not scale > 0:
            raise ConfigError(f"crossbar scale must be > 0, got {scale!r}")
        check_choice("combine", combine, COMBINES)
        self.model = model
        self.shape = tuple(int(s) for s in shape)
        self.n = int(n_per_side)
        self.scale = float(scale)
        self.combine = combine
        self.read_combine = "sum" if faithful_read_sum else combine
        self.set_v, self.set_width, self.reset_v, self.reset_width = set_v, set_width, reset_v, reset_width
        self._pulse_t = _accepts(model.apply_pulse, "t")
        self._reset_fn = getattr(model, "reset", None)
        self.full_shape = (2, self.n) + self.shape
        self.state = model.init_state(self.full_shape, generator, **(init_kwargs or {}))
        self.tracker = torch.zeros((2,) + self.shape, dtype=torch.int64)
        self.pulses_applied = 0
        self.refreshed = 0  # synapses refreshed so far

    # -- reading -------------------------------------------------------------------------------------------
    def _agg(self, G: torch.Tensor, how: str) -> torch.Tensor:
        per_side = G.sum(dim=-len(self.shape) - 1) if how == "sum" else G.mean(dim=-len(self.shape) - 1)
        return per_side.select(-len(self.shape) - 1, 0) - per_side.select(-len(self.shape) - 1, 1)

    def weights(self, t: Any = None, generator: torch.Generator | None = None, noise: float = 1.0) -> torch.Tensor:
        """Measured weights ``(agg G⁺ − agg G⁻)/scale`` from a fresh (noisy, drifted) read at time(s) ``t``.

        ``t`` may be a tensor of times of shape ``[T]`` (returns ``[T, *shape]``: one independent read per time)."""
        n_t = t.shape[0] if torch.is_tensor(t) and t.dim() == 1 else None
        if n_t is not None:
            t = t.to(torch.float64).reshape((-1,) + (1,) * len(self.full_shape))
        G = self.model.read(self.state, noise, t, generator)
        if n_t is not None and G.dim() == len(self.full_shape):  # model without time dependence: one read per time
            G = torch.stack([G] + [self.model.read(self.state, noise, None, generator) for _ in range(n_t - 1)])
        return self._agg(G, self.read_combine) / self.scale

    @property
    def state(self) -> Any:
        """Device states ``[2, N, *shape]``."""
        return self._state

    @state.setter
    def state(self, value: Any) -> None:
        self._state = value
        self._by_column = None

    def read_columns(self, cols: torch.Tensor, t: Any = None, generator: torch.Generator | None = None,
                     noise: float = 1.0) -> torch.Tensor:
        """Weights of selected columns of a 2-D array, ``[rows, K]`` for ``cols[K]``, each column read at its own
        time ``t[K]`` (fresh noise per entry). Reading only the columns a sparse input uses is statistically the
        same as a full read, at a fraction of the cost. A column-major copy of the state is kept between writes."""
        if len(self.shape) != 2:
            raise ConfigError(f"read_columns needs a 2-D array, this one has shape {self.shape}")
        if self._by_column is None:  # [C, 2, N, R] per field the model reads (all fields unless it says)
            needed = getattr(self.model, "read_fields", None)
            self._by_column = {f.name: (getattr(self._state, f.name).movedim(-1, 0).contiguous()
                                        if needed is None or f.name in needed else None)
                               for f in dataclasses.fields(self._state)}
        sub = type(self._state)(**{k: None if v is None else v.index_select(0, cols)
                                   for k, v in self._by_column.items()})
        if torch.is_tensor(t) and t.dim() > 0:
            t = t.to(torch.float64).reshape(-1, 1, 1, 1)
        G = self.model.read(sub, noise, t, generator)  # [K, 2, N, R]
        G = G.sum(dim=2) if self.read_combine == "sum" else G.mean(dim=2)
        return (G[:, 0] - G[:, 1]).T / self.scale

    def estimate(self) -> torch.Tensor:
        """Conductance difference ``agg G⁺ − agg G⁻`` (µS-like units) from the device state itself (no noise, no
        drift): the "perfect estimation" used to plan updates."""
        return self._agg(self.model.conductance(self.state), self.combine)

    def side_conductance(self) -> torch.Tensor:
        """Aggregated conductance of each side, ``[2, *shape]``."""
        G = self.model.conductance(self.state)
        return G.sum(dim=1) if self.combine == "sum" else G.mean(dim=1)

    # -- programming ---------------------------------------------------------------------------------------
    def _set(self, mask: torch.Tensor, t: Any, generator: torch.Generator | None) -> None:
        kw = {"t": t} if self._pulse_t else {}
        self.state = self.model.apply_pulse(self.state, self.set_v, self.set_width, mask, generator, **kw)
        self.pulses_applied += int(mask.sum())

    def pulse(self, counts: torch.Tensor, t: Any = 0.0, generator: torch.Generator | None = None) -> int:
        """Apply ``counts[2, N, *shape]`` potentiating pulses per device (a pulse train each); returns the total."""
        counts = torch.as_tensor(counts).to(torch.int64).expand(self.full_shape)
        if counts.numel() and int(counts.min()) < 0:
            raise ConfigError(f"pulse counts must be >= 0, got minimum {int(counts.min())}")
        total = int(counts.sum())
        for k in range(int(counts.max()) if total else 0):
            self._set(counts > k, t, generator)
        return total

    def pulse_sides(self, counts: torch.Tensor, t: Any = 0.0, generator: torch.Generator | None = None) -> int:
        """Apply ``counts[2, *shape]`` pulses to **every** one of the N devices of each side."""
        return self.pulse(torch.as_tensor(counts).unsqueeze(1).expand(self.full_shape), t, generator)

    def round_robin_counts(self, n: torch.Tensor) -> torch.Tensor:
        """Per-device counts ``[2, N, *shape]`` for ``n[2, *shape]`` pulses dealt one device at a time in a
        round-robin that persists across updates (Boybat 2018): pulse i goes to device ``(tracker + i) mod N``.
        Advances the tracker by n."""
        n = torch.as_tensor(n).to(torch.int64)
        if n.numel() and int(n.min()) < 0:
            raise ConfigError(f"pulse counts must be >= 0, got minimum {int(n.min())}")
        j = torch.arange(self.n).reshape((1, self.n) + (1,) * len(self.shape))
        offset = (j - self.tracker.unsqueeze(1)) % self.n  # index i of the first pulse landing on device j
        counts = torch.div(n.unsqueeze(1) - offset + self.n - 1, self.n, rounding_mode="floor").clamp(min=0)
        self.tracker = self.tracker + n
        return counts

    def reset_sides(self, mask: torch.Tensor, t: Any = 0.0, generator: torch.Generator | None = None) -> None:
        """RESET all N devices of the masked sides (``mask[2, *shape]``) and their round-robin trackers."""
        full = mask.unsqueeze(1).expand(self.full_shape)
        kw = {"t": t} if self._pulse_t else {}
        if self._reset_fn is not None:
            self.state = self._reset_fn(self.state, full, generator, **kw)
        else:
            self.state = self.model.apply_pulse(self.state, self.reset_v, self.reset_width, full, generator, **kw)
        self.tracker = torch.where(mask, torch.zeros_like(self.tracker), self.tracker)

    def reset_synapses(self, mask: torch.Tensor, t: Any = 0.0, generator: torch.Generator | None = None) -> None:
        """RESET both sides of the masked synapses (``mask[*shape]``)."""
        self.reset_sides(mask.unsqueeze(0).expand((2,) + self.shape), t, generator)

    def refresh(self, g_thr: float, diff_max: float, eps: float, t: Any = 0.0, generator: torch.Generator | None = None,
                *, round_robin: bool = False, rule: str = "round", rewrite: str = "nominal") -> int:
        """Refresh saturated pairs: where a side exceeds ``g_thr`` and ``|G⁺ − G⁻| < diff_max``, RESET both sides
        and re-write the old difference on the side of its sign. ``rewrite="nominal"`` (the original): ``|diff|/eps``
        pulses (one device at a time in round-robin with ``eps`` per device when ``round_robin``, else on all N
        devices). ``rewrite="set-curve"``: on all N devices the number of pulses whose mean rise from a fresh
        device is nearest to ``|diff|`` (needs the model's ``pulses_after_reset``, e.g. PCM). Returns the number
        of refreshed synapses."""
        check_choice("refresh rewrite", rewrite, REWRITES)
        side = self.side_conductance()
        diff = side[0] - side[1]
        mask = ((side[0] > g_thr) | (side[1] > g_thr)) & (diff.abs() < diff_max)
        k = int(mask.sum())
        if k == 0:
            return 0
        self.refreshed += k
        self.reset_synapses(mask, t, generator)
        rise = torch.stack([diff.clamp(min=0), (-diff).clamp(min=0)]) * mask
        if rewrite == "set-curve":
            inverse = getattr(self.model, "pulses_after_reset", None)
            if inverse is None:
                raise ConfigError(f"refresh rewrite 'set-curve' needs a device model with pulses_after_reset, "
                                  f"{type(self.model).__name__} has none")
            self.pulse_sides(inverse(rise) * mask, t, generator)
            return k
        req = rise / eps
        if round_robin:
            self.pulse(self.round_robin_counts(torch.floor(req)), t, generator)
        else:
            self.pulse_sides(pulse_counts(req, rule), t, generator)
        return k

    def write_count(self) -> torch.Tensor:
        """Number of SET pulses per device since its last RESET (when the model tracks it)."""
        return getattr(self.state, "count", torch.zeros(self.full_shape, dtype=torch.int32))

    # -- checkpointing -------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"state": {f.name: getattr(self.state, f.name) for f in dataclasses.fields(self.state)},
                "tracker": self.tracker, "pulses_applied": self.pulses_applied, "refreshed": self.refreshed}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        self.state = type(self.state)(**d["state"])
        self.tracker = d["tracker"]
        self.pulses_applied = int(d["pulses_applied"])
        self.refreshed = int(d.get("refreshed", 0))
