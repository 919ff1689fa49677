"""Row/column programming-pulse scheme that turns spike traces into device pulses (Memristor-Spikelearn).

Liu et al., DATE 2023: one device per synapse, weight w = G/G1. Synapse states have shape ``[..., No, Ne]``
(row = postsynaptic, column = presynaptic; an optional leading batch dimension holds independent arrays).

* potentiation path: for every postsynaptic spike the whole row receives, on column i, a pulse of voltage
  ``ve_i = pre_encoding(te_i)`` and width ``width_pot`` (10 ns);
* depression path: for every presynaptic spike the whole column receives, on row j, a pulse of voltage
  ``vo_j = post_encoding(to_j)`` and width ``width_dep`` (1 ns).
Potentiation is applied before depression. The encodings are logarithmic (or the exact inverse of the VTEAM power
law), so the device's exponential voltage dependence makes the state change roughly proportional to the trace.
Only touched rows/columns are gathered, updated by the vectorised device model and scattered back; programming
energy G·V²·t (conductance before the pulse) and read power are accounted in an :class:`EnergyMeter`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Protocol

import torch

from ..devices.energy import EnergyMeter


class Encoding(Protocol):
    """Trace (≥ 0) → pulse voltage."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...


@dataclasses.dataclass(frozen=True)
class LogEncoding:
    """v = sign·max(offset + slope·log_base(scale·x), 0); x = 0 gives 0 V."""

    offset: float
    slope: float
    base: float = math.e
    scale: float = 1.0
    sign: float = 1.0

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.as_tensor(x, dtype=torch.float64)
        safe = torch.where(x > 0, x, torch.ones((), dtype=x.dtype))
        v = self.offset + self.slope * torch.log(self.scale * safe) / math.log(self.base)
        return self.sign * torch.where(x > 0, torch.clamp(v, min=0.0), torch.zeros((), dtype=x.dtype))


@dataclasses.dataclass(frozen=True)
class InverseEncoding:
    """v = device.voltage_for_delta_r(dr_per_unit·x): the exact inverse of a VTEAM power law, so that one pulse
    changes R by exactly ``dr_per_unit·x``."""

    device: Any
    dr_per_unit: float

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.device.voltage_for_delta_r(self.dr_per_unit * torch.as_tensor(x, dtype=torch.float64))


def _map_state(state: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    """Apply ``fn`` to every tensor field of a device-state dataclass."""
    return type(state)(**{f.name: fn(getattr(state, f.name)) for f in dataclasses.fields(state)})


def _assign_state(state: Any, index: tuple, sub: Any) -> None:
    """In place: ``field[index] = sub.field`` for every tensor field."""
    for f in dataclasses.fields(state):
        getattr(state, f.name)[index] = getattr(sub, f.name)


class DeviceSynapses:
    """An array of devices (one per synapse) with weight w = G/G1 and the row/column pulse scheme.

    ``faithful_lut_depression`` reproduces Memristor-Spikelearn bug 1 (the LUT cell only depresses for a
    *positive* depression-path voltage, so negative encodings never depress); ``invert_polarity`` negates every
    pulse (bug 2 of the original 1T1R approximate-BP cells).
    """

    def __init__(self, device: Any, shape: tuple[int, ...], g1: float, *, pre_encoding: Encoding | None = None,
                 post_encoding: Encoding | None = None, width_pot: float = 10e-9, width_dep: float = 1e-9,
                 faithful_lut_depression: bool = False, invert_polarity: bool = False,
                 bp_widths: tuple[float, float] | None = None):
        self.device = device
        self.g1 = float(g1)
        self.pre_encoding = pre_encoding
        self.post_encoding = post_encoding
        self.width_pot = width_pot
        self.width_dep = width_dep
        self.faithful_lut_depression = faithful_lut_depression
        self.invert_polarity = invert_polarity
        self.bp_widths = bp_widths or (width_dep, width_dep)
        #: reference path for tests/benchmarks: pulse-by-pulse on every row of a pulsed column (as the original)
        self.reference = False
        self.meter = EnergyMeter()
        self.state = device.init_state(shape)
        self.w = device.conductance(self.state) / self.g1

    # -- weights ---------------------------------------------------------------------------------------------
    def program(self, w: torch.Tensor) -> None:
        """Ideal direct programming of the weights (clipped to the device range); ``self.w`` = device weights."""
        self.state = self.device.state_from_conductance(w.to(torch.float64) * self.g1)
        self.w = self.device.conductance(self.state) / self.g1

    def weight_range(self) -> tuple[float, float]:
        """(w_min, w_max) = device conductance range / G1."""
        gmin, gmax = self.device.conductance_range()
        return gmin / self.g1, gmax / self.g1

    def account_read(self, drive: torch.Tensor) -> None:
        """Add one read step with inputs ``drive`` (last dim = presynaptic) to the meter."""
        self.meter.add_read(self.w * self.g1, self.device_read_voltage, drive)

    @property
    def device_read_voltage(self) -> float:
        """The device model's read voltage."""
        return float(self.device.p.v_read)

    # -- pulses ------------------------------------------------------------------------------------------------
    def _pulse_sub(self, index: tuple, v: torch.Tensor, width: float) -> None:
        """Pulse the devices ``state[index]`` with voltages v (same shape) and write back state and weights."""
        if self.invert_polarity:
            v = -v
        sub = _map_state(self.state, lambda t: t[index])
        self.meter.add_pulses(self.device.conductance(sub), v, width)
        new = self.device.apply_pulse(sub, v, width)
        _assign_state(self.state, index, new)
        self.w[index] = self.device.conductance(new) / self.g1

    def potentiate_rows(self, post: torch.Tensor, ve: torch.Tensor) -> None:
        """Row pulses: every row with ``post`` ≠ 0 ([..., No]) gets voltage ``ve`` ([..., Ne]) on its columns."""
        idx = torch.nonzero(post, as_tuple=True)
        if idx[0].numel() == 0:
            return
        v = ve[idx[:-1]] if ve.dim() > 1 else ve.expand(idx[0].numel(), -1)
        self._pulse_sub(idx, v, self.width_pot)

    def depress_columns(self, pre: torch.Tensor, vo: torch.Tensor, width: float | None = None) -> None:
        """Column pulses: every column with ``pre`` ≠ 0 ([..., Ne]) gets voltage ``vo`` ([..., No]) on its rows."""
        idx = torch.nonzero(pre, as_tuple=True)
        if idx[0].numel() == 0:
            return
        if len(idx) == 1:  # a single 2-D array: state[:, cols] is [No, K]
            v = vo[:, None].expand(-1, idx[0].numel())
        else:  # batched arrays: state[b, :, col] is [K, No]
            v = vo[idx[:-1]]
        if self.faithful_lut_depression:
            vmin = float(self.device.table.dep_v[0])
            v = torch.where(v >= vmin, -v, torch.zeros((), dtype=v.dtype))
        self._pulse_sub((*idx[:-1], slice(None), idx[-1]), v, self.width_dep if width is None else width)

    def stdp_update(self, xe: torch.Tensor, xo: torch.Tensor, te: torch.Tensor, to: torch.Tensor) -> None:
        """One step of device STDP: potentiation rows (post spikes) then depression columns (pre spikes)."""
        assert self.pre_encoding is not None and self.post_encoding is not None
        if bool(xo.any()):
            self.potentiate_rows(xo, self.pre_encoding(te))
        if bool(xe.any()):
            self.depress_columns(xe, self.post_encoding(to))

    def bp_update(self, counts: torch.Tensor, delta: torch.Tensor, lr: float = 1.0) -> None:
        """Approximate BP on a 2-D array: column i gets ``counts[i]`` pulses; row j's voltage encodes the error δ_j,
        ``pre_encoding(δ+)`` for δ > 0 (potentiation) and ``post_encoding(δ−)`` (negative) for δ < 0; pulse widths
        ``bp_widths`` = (positive, negative). ``lr`` is folded into the encodings and ignored here."""
        assert self.pre_encoding is not None and self.post_encoding is not None
        v = self.pre_encoding(torch.clamp(delta, min=0.0)) + self.post_encoding(torch.clamp(-delta, min=0.0))
        self.count_pulses(counts, v, self.bp_widths)

    def count_pulses(self, counts: torch.Tensor, v_rows: torch.Tensor, widths: tuple[float, float]) -> None:
        """Approximate-BP programming of a 2-D array: column i receives ``counts[i]`` pulses, each with the signed
        row voltages ``v_rows`` ([No]). Only rows with v ≠ 0 and columns with counts > 0 are touched."""
        rows = torch.arange(v_rows.numel()) if self.reference else torch.nonzero(v_rows, as_tuple=True)[0]
        cols = torch.nonzero(counts, as_tuple=True)[0]
        if rows.numel() == 0 or cols.numel() == 0:
            return
        index = (rows[:, None], cols[None, :])
        v = v_rows[rows][:, None].expand(-1, cols.numel())
        n = counts[cols].to(torch.int64)[None, :].expand(rows.numel(), -1)
        if self.invert_polarity:
            v = -v
        width = torch.where(v > 0, torch.tensor(widths[0], dtype=v.dtype), torch.tensor(widths[1], dtype=v.dtype))
        sub = _map_state(self.state, lambda t: t[index])
        g_before = self.device.conductance(sub)
        if hasattr(self.device, "apply_pulses") and not self.reference:  # closed form for n identical pulses
            for k in range(int(n.max())):  # energy of pulse k with the conductance before it
                g = g_before if k == 0 else self.device.conductance(
                    self.device.apply_pulses(sub, v, torch.full_like(n, k)))
                self.meter.add_pulses(g, torch.where(n > k, v, torch.zeros((), dtype=v.dtype)), width)
            new = self.device.apply_pulses(sub, v, n)
        else:
            new = sub
            for k in range(int(n.max())):
                active = n > k
                g = self.device.conductance(new)
                self.meter.add_pulses(g, torch.where(active, v, torch.zeros((), dtype=v.dtype)), width)
                new = self.device.apply_pulse(new, v, width, mask=active)
        _assign_state(self.state, index, new)
        self.w[index] = self.device.conductance(new) / self.g1
