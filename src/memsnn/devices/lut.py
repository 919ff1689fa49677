"""Data-driven look-up-table device (Memristor-Spikelearn ``cell_data_driven``; 1T1R cell of Chen & Yu 2015).

The state is the conductance G (S). A table gives the conductance change per pulse ΔG(G, V) on a (G, V) grid,
separately for potentiation (V = transistor gate voltage, ΔG ≥ 0, made for pulses of ``pot_dt``) and depression
(V = device voltage, ΔG ≤ 0, pulses of ``dep_dt``). A pulse of width t changes G by (t/table_dt)·ΔG(G, V), with
ΔG bilinearly interpolated; then G is clipped to [gmin, gmax] (Liu et al., DATE 2023).

Sign convention of :meth:`LutDevice.apply_pulse`: V > 0 potentiates (gate voltage V), V < 0 depresses (device
voltage |V|); |V| below the table's smallest voltage leaves the device unchanged. With ``mirror_depression`` the
potentiation uses the mirrored depression table, ΔG = −ΔG_dep(G, V) (the original's BP "1T1R" cell).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch

from ..data.paths import find_data
from ..errors import ConfigError, DataError
from .base import PresetRegistry, masked
from .readout import with_read_noise

TABLE_KEYS = ("gmin", "gmax", "pot_G", "pot_V", "pot_dG", "pot_dt", "dep_G", "dep_V", "dep_dG", "dep_dt")


@dataclasses.dataclass(frozen=True)
class LutParams:
    """Which table to use and how to treat voltages outside it."""

    table: str = "memristor/1t1r_Paiyu_15.npz"  #: path, absolute or relative to the data root
    mirror_depression: bool = False  #: potentiate with −ΔG_dep (BP "1T1R" cell) instead of the gate table
    clamp_voltage: bool = True  #: clamp |V| above the table to its maximum (False: raise, as the original)
    v_read: float = 0.7  #: V
    g_init: float | None = None  #: S, state of a fresh device (None: gmin)


LUT_PRESETS: PresetRegistry[LutParams] = PresetRegistry("lut")
LUT_PRESETS.register("paiyu15_1t1r", LutParams)
LUT_PRESETS.register("paiyu15_1t1r_mirror", lambda: LutParams(mirror_depression=True))


@dataclasses.dataclass
class LutTable:
    """The tables as float64 tensors."""

    gmin: float
    gmax: float
    pot_g: torch.Tensor
    pot_v: torch.Tensor
    pot_dg: torch.Tensor
    pot_dt: float
    dep_g: torch.Tensor
    dep_v: torch.Tensor
    dep_dg: torch.Tensor
    dep_dt: float

    @classmethod
    def load(cls, path: str | Path) -> "LutTable":
        """Read an ``.npz`` table (keys: see ``TABLE_KEYS``); DataError if it is missing or malformed."""
        path = Path(path)
        try:
            with np.load(path) as z:
                data = {k: np.asarray(z[k], dtype=np.float64) for k in z.files}
        except FileNotFoundError:
            raise DataError(f"look-up table {path} not found") from None
        except (OSError, ValueError) as exc:
            raise DataError(f"look-up table {path} is not a readable .npz file ({exc})") from None
        missing = [k for k in TABLE_KEYS if k not in data]
        if missing:
            raise DataError(f"look-up table {path} lacks the arrays {missing} (expected {list(TABLE_KEYS)})")
        for kind in ("pot", "dep"):
            g, v, dg = data[f"{kind}_G"], data[f"{kind}_V"], data[f"{kind}_dG"]
            if dg.shape != (g.size, v.size):
                raise DataError(f"look-up table {path}: {kind}_dG has shape {dg.shape}, expected {(g.size, v.size)}")
            if np.any(np.diff(g) <= 0) or np.any(np.diff(v) <= 0):
                raise DataError(f"look-up table {path}: {kind}_G and {kind}_V must be strictly increasing")
        t = lambda k: torch.from_numpy(data[k].copy())  # noqa: E731
        return cls(float(data["gmin"]), float(data["gmax"]), t("pot_G"), t("pot_V"), t("pot_dG"), float(data["pot_dt"]),
                   t("dep_G"), t("dep_V"), t("dep_dG"), float(data["dep_dt"]))


def _axis(grid: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Lower cell index and fractional position of x on a sorted grid (x inside the grid)."""
    i = torch.clamp(torch.searchsorted(grid, x, right=True) - 1, 0, grid.numel() - 2)
    x0, x1 = grid[i], grid[i + 1]
    return i, (x - x0) / (x1 - x0)


def bilinear(g_grid: torch.Tensor, v_grid: torch.Tensor, table: torch.Tensor, g: torch.Tensor,
             v: torch.Tensor) -> torch.Tensor:
    """Bilinear interpolation of ``table[g_grid, v_grid]`` at points (g, v) (broadcast; points inside the grid)."""
    g, v = torch.broadcast_tensors(g, v)
    i, fg = _axis(g_grid, g.contiguous())
    j, fv = _axis(v_grid, v.contiguous())
    t00, t01 = table[i, j], table[i, j + 1]
    t10, t11 = table[i + 1, j], table[i + 1, j + 1]
    return (1 - fg) * ((1 - fv) * t00 + fv * t01) + fg * ((1 - fv) * t10 + fv * t11)


@dataclasses.dataclass
class LutState:
    """Device conductance G (S)."""

    g: torch.Tensor


class LutDevice:
    """Vectorised look-up-table device (see module docstring)."""

    def __init__(self, params: LutParams | None = None, *, table: LutTable | None = None,
                 data_dir: str | Path | None = None):
        self.p = params or LutParams()
        if table is None:
            path = Path(self.p.table)
            if not path.is_absolute():
                found = find_data(path, data_dir)
                if found is None:
                    raise DataError(f"look-up table {self.p.table} not found under the data root "
                                    "(pass --data-dir or set $MEMSNN_DATA)")
                path = found
            table = LutTable.load(path)
        self.table = table

    def init_state(self, shape: tuple[int, ...], generator: torch.Generator | None = None) -> LutState:
        g0 = self.table.gmin if self.p.g_init is None else self.p.g_init
        return LutState(torch.full(shape, g0, dtype=torch.float64))

    def _voltage(self, v: torch.Tensor, grid: torch.Tensor, what: str) -> torch.Tensor:
        vmax = float(grid[-1])
        if not self.p.clamp_voltage and bool((v > vmax).any()):
            raise ConfigError(f"{what} voltage {float(v.max()):.4g} V exceeds the table's maximum {vmax:.4g} V")
        return torch.clamp(v, float(grid[0]), vmax)

    def delta_g(self, g: torch.Tensor, v: torch.Tensor, width: torch.Tensor | float) -> torch.Tensor:
        """Conductance change of one pulse (before clipping)."""
        tb = self.table
        v = torch.as_tensor(v, dtype=g.dtype)
        mag = v.abs()
        dep_on = (v < 0) & (mag >= tb.dep_v[0])
        dep = bilinear(tb.dep_g, tb.dep_v, tb.dep_dg, g, self._voltage(mag, tb.dep_v, "depression")) * (width / tb.dep_dt)
        if self.p.mirror_depression:
            pot_on = (v > 0) & (mag >= tb.dep_v[0])
            pot = -bilinear(tb.dep_g, tb.dep_v, tb.dep_dg, g, self._voltage(mag, tb.dep_v, "potentiation")) * (
                width / tb.dep_dt)
        else:
            pot_on = (v > 0) & (mag >= tb.pot_v[0])
            pot = bilinear(tb.pot_g, tb.pot_v, tb.pot_dg, g, self._voltage(mag, tb.pot_v, "gate")) * (width / tb.pot_dt)
        zero = torch.zeros((), dtype=g.dtype)
        return torch.where(pot_on, pot, zero) + torch.where(dep_on, dep, zero)

    def apply_pulse(self, state: LutState, v: torch.Tensor | float, width: torch.Tensor | float,
                    mask: torch.Tensor | None = None, generator: torch.Generator | None = None) -> LutState:
        g = torch.clamp(state.g + self.delta_g(state.g, v, width), self.table.gmin, self.table.gmax)
        return LutState(masked(g, state.g, mask))

    def conductance(self, state: LutState, t: torch.Tensor | float | None = None) -> torch.Tensor:
        return state.g

    def read(self, state: LutState, noise: float | torch.Tensor = 0.0, t: torch.Tensor | float | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
        g = state.g
        return with_read_noise(g, noise, generator)

    def state_from_conductance(self, g: torch.Tensor) -> LutState:
        """Ideal direct programming to conductance g (clipped to [gmin, gmax])."""
        return LutState(torch.clamp(g.to(torch.float64), self.table.gmin, self.table.gmax))

    def conductance_range(self) -> tuple[float, float]:
        """(G_min, G_max) in S."""
        return self.table.gmin, self.table.gmax
