"""Single-layer network of memristor emulators read by integrate-and-compare neurons (behavioural model).

S. L. Jurj, Electronics 13(23), 4665 (2024), §2.3: emulator (j, i) connects input i to the virtual-ground input of
output neuron j; the column current ``I_j = Σ_i I_D(Vc_ji, x_i, 0)`` drives neuron j, and the class whose neuron
crosses its threshold first wins. Emulator gates are written by :mod:`memsnn.learning.imprint`.
"""

from __future__ import annotations

import dataclasses

import torch

from ..data.patterns import check_patterns
from ..devices.emulator import EmulatorState, MemristorEmulator, drain_current
from . import lapicque
from .lapicque import LapicqueConfig


@dataclasses.dataclass
class InferenceResult:
    """Per-sample column currents (A), first-crossing times (s, inf = none) and winners."""

    currents: torch.Tensor
    times: torch.Tensor
    predictions: torch.Tensor
    vc_read: torch.Tensor


class InSituNetwork:
    """``n_classes × n_inputs`` emulators + one Lapicque neuron per class."""

    def __init__(self, n_inputs: int, n_classes: int, emulator: MemristorEmulator | None = None,
                 neuron: LapicqueConfig | None = None):
        self.n_inputs, self.n_classes = n_inputs, n_classes
        self.emulator = emulator or MemristorEmulator()
        self.neuron = neuron or LapicqueConfig()
        self.state = self.emulator.init_state((n_classes, n_inputs))

    def set_gates(self, vc: torch.Tensor) -> None:
        """Load stored gate voltages (classes × inputs), terminals at rest."""
        vc = torch.as_tensor(vc, dtype=torch.float64)
        if vc.shape != (self.n_classes, self.n_inputs):
            from ..errors import DataError

            raise DataError(f"gate voltages have shape {tuple(vc.shape)}, expected ({self.n_classes}, {self.n_inputs})")
        self.state = self.emulator.init_state(vc.shape, vc=vc)

    def read_gates(self, x: torch.Tensor, edge: str = "ramp") -> torch.Tensor:
        """Gate voltages once inputs ``x`` (N, inputs) are applied (charge redistribution): (N, classes, inputs)."""
        x = check_patterns(x, self.n_inputs, "input pattern")
        n = x.shape[0]
        st = EmulatorState(self.state.vc.expand(n, -1, -1), self.state.vd.expand(n, -1, -1),
                           self.state.vs.expand(n, -1, -1))
        return self.emulator.edge(st, x.unsqueeze(1).expand(-1, self.n_classes, -1), mode=edge).vc

    def currents(self, x: torch.Tensor, edge: str = "ramp") -> tuple[torch.Tensor, torch.Tensor]:
        """Column currents (N, classes) in A and the read gate voltages (N, classes, inputs)."""
        x = check_patterns(x, self.n_inputs, "input pattern")
        vc = self.read_gates(x, edge)
        vd = x.unsqueeze(1).expand_as(vc)
        return drain_current(self.emulator.p, vc, vd, torch.zeros_like(vd)).sum(-1), vc

    def infer(self, x: torch.Tensor, window: float = float("inf"), edge: str = "ramp",
              no_fire: str = "class0", input_rise: float = 0.0) -> InferenceResult:
        """Present each row of ``x`` from rest; first-crossing times inside ``window`` seconds and the winners.

        ``input_rise``: rise time of the input edge (a SPICE PULSE with rise 0 ramps over one time step); a
        first-order response to a ramp lags the step response by half the ramp, which is added to the times.
        """
        cur, vc = self.currents(x, edge)
        times = lapicque.first_crossing(self.neuron, cur) + 0.5 * input_rise
        times = torch.where(times <= window, times, torch.full_like(times, float("inf")))
        return InferenceResult(cur, times, lapicque.predict(times, cur, no_fire), vc)

    def infer_reference(self, x: torch.Tensor, dt: float, t_end: float, input_rise: float = 0.0) -> torch.Tensor:
        """Step-by-step reference of :meth:`infer`: sampled input ramps, emulator transient (switch open), column
        currents, exact-exponential neuron steps, interpolated first crossings of the output; (N, classes) in s."""
        x = check_patterns(x, self.n_inputs, "input pattern")
        t = torch.arange(int(round(t_end / dt)) + 1, dtype=torch.float64) * dt
        ramp = torch.clamp(t / input_rise, max=1.0) if input_rise > 0 else (t > 0).double()
        shape = (len(t), x.shape[0], self.n_classes, self.n_inputs)
        vd = (ramp.view(-1, 1, 1, 1) * x.view(1, -1, 1, self.n_inputs)).expand(shape)
        vc0 = self.state.vc.expand(shape[1:])
        _, i_d = self.emulator.transient(vc0, t, vd, torch.zeros(shape, dtype=torch.float64), False)
        cur = i_d.sum(-1).reshape(len(t), -1)
        out = lapicque.output(self.neuron, lapicque.membrane(self.neuron, cur, dt))
        times = lapicque.crossing_times(t, out, 0.5 * self.neuron.v_high, torch.zeros(1), torch.tensor([t_end]))
        return times.reshape(x.shape[0], self.n_classes)
