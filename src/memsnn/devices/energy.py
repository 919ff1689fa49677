"""Energy bookkeeping shared by the device models.

A programming pulse of voltage V and width t on a device of conductance G dissipates E = G·V²·t (the resistive
"1R" estimate of Liu et al., DATE 2023, Memristor-Spikelearn); a read at V_read dissipates G·V_read²·t_read.
"""

from __future__ import annotations

import dataclasses

import torch


def pulse_energy(g: torch.Tensor, v: torch.Tensor | float, width: torch.Tensor | float,
                 mask: torch.Tensor | None = None) -> torch.Tensor:
    """Total energy Σ G·V²·t (J) of the pulses applied where ``mask`` is true (all devices if None)."""
    e = g * torch.as_tensor(v, dtype=g.dtype) ** 2 * width
    if mask is not None:
        e = torch.where(mask, e, torch.zeros((), dtype=g.dtype))
    return e.sum()


def read_power(g: torch.Tensor, v_read: float, drive: torch.Tensor | None = None) -> torch.Tensor:
    """Σ G·(x·V_read)² (W): instantaneous read power of a crossbar whose inputs are driven by ``drive`` (0/1 or
    counts) along the last dimension (all inputs driven if None)."""
    if drive is None:
        return g.sum() * v_read**2
    return (g * (drive.to(g.dtype) ** 2).unsqueeze(-2)).sum() * v_read**2


@dataclasses.dataclass
class EnergyMeter:
    """Running totals of programming energy, read power and pulse counts."""

    update_energy: float = 0.0  #: Σ G·V²·t over programming pulses (J)
    read_power: float = 0.0  #: Σ over steps of the read power G·V_read² (W·step)
    pulses: int = 0  #: number of programming pulses on individual devices (V ≠ 0)

    def add_pulses(self, g: torch.Tensor, v: torch.Tensor, width: float, count: torch.Tensor | None = None) -> None:
        """Account ``count`` (default 1) pulses ``v`` (broadcast to g's shape) of the given width on devices of
        conductance g."""
        v = torch.as_tensor(v, dtype=g.dtype).expand_as(g)
        n = torch.ones((), dtype=g.dtype) if count is None else count.to(g.dtype)
        self.update_energy += float(pulse_energy(g * n, v, width))
        self.pulses += int((n * (v != 0)).sum())

    def add_read(self, g: torch.Tensor, v_read: float, drive: torch.Tensor | None = None) -> None:
        """Account one read step."""
        self.read_power += float(read_power(g, v_read, drive))

    def reset(self) -> None:
        """Zero all totals."""
        self.update_energy = 0.0
        self.read_power = 0.0
        self.pulses = 0

    def as_dict(self) -> dict[str, float]:
        """Totals as a plain dict."""
        return dataclasses.asdict(self)
