"""A spiking recurrent network trained online with e-prop, with FP32 weights or differential crossbar arrays.

Demirag et al., "Online Training of Spiking Recurrent Neural Networks with Phase-Change Memory Synapses",
arXiv:2108.01804 (2021). Ties together :mod:`memsnn.snn.recurrent` (LIF layer + readout), :mod:`memsnn.learning.eprop`
(gradients) and :mod:`memsnn.learning.update_schemes` (how gradients become weight or conductance changes).

With crossbars, every forward time step uses a fresh noisy, drifted read of all three arrays at
``t_p + t·dt + read_offset`` (``t_p``: time of the last update); the recurrent diagonal is RESET at every forward
(no self-connections); feedback weights stay FP32. Weight init: Kaiming normal (fan-in, gain √2) × ``w_init_gain``
for FP32 weights and the feedback; crossbar devices start RESET around ``G0 = w_init_gain``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import torch

from ..crossbar.differential import DifferentialArray
from ..devices.pcm import PCMModel, PCMParams
from ..snn.recurrent import LIFParams, RecurrentRun, run_recurrent_lif
from .eprop import EpropGrads, EpropParams, eprop_gradients
from .update_schemes import SchemeConfig, UpdateScheme

LAYERS = ("w_in", "w_rec", "w_out")


def kaiming_normal(shape: tuple[int, int], gain: float, generator: torch.Generator) -> torch.Tensor:
    """``N(0, 2/fan_in)·gain`` for a ``[fan_out, fan_in]`` matrix."""
    return torch.randn(shape, generator=generator) * math.sqrt(2.0 / shape[1]) * gain


class CrossbarSynapses:
    """Synaptic currents from fresh crossbar reads at every step ``t``, at device time ``tp + t·dt + offset``.

    Only the columns of pre-synaptic neurons that are active at a step are read (spikes are sparse), which is
    statistically identical to reading the whole array every step."""

    def __init__(self, arrays: dict[str, DifferentialArray], tp: float, dt: float, offset: float,
                 generator: torch.Generator | None):
        self.arrays, self.tp, self.dt, self.offset, self.generator = arrays, tp, dt, offset, generator

    def _currents(self, arr: DifferentialArray, s: torch.Tensor, t0: int) -> torch.Tensor:
        out = torch.zeros(s.shape[0], s.shape[1], arr.shape[0], dtype=s.dtype)
        t_idx, c_idx = (s != 0).any(1).nonzero(as_tuple=True)
        if t_idx.numel():
            times: torch.Tensor | float = self.tp + t0 * self.dt + self.offset
            if s.shape[0] > 1:
                times = times + t_idx.to(torch.float64) * self.dt
            w = arr.read_columns(c_idx, times, self.generator)  # [rows, K]
            vals = s[t_idx, :, c_idx]  # [K, B]
            out.index_add_(0, t_idx, vals[:, :, None] * w.T[:, None, :])
        return out

    def input_current(self, x: torch.Tensor, t0: int) -> torch.Tensor:
        return self._currents(self.arrays["w_in"], x, t0)

    def recurrent_current(self, z: torch.Tensor, t: int) -> torch.Tensor:
        return self._currents(self.arrays["w_rec"], z[None], t)[0]

    def output_current(self, z: torch.Tensor, t0: int) -> torch.Tensor:
        return self._currents(self.arrays["w_out"], z, t0)


@dataclasses.dataclass(frozen=True)
class SRNNSpec:
    """Sizes, constants and synapse technology of the network."""

    n_in: int
    n_rec: int
    n_out: int
    lif: LIFParams
    eprop: EpropParams
    scheme: SchemeConfig
    lrs: tuple[float, float, float]  # learning rates of w_in, w_rec, w_out
    w_init_gain: float = 0.1
    xbar: bool = False
    xbar_n: int = 1
    xbar_scale: float = 1.0
    pcm: PCMParams = PCMParams()
    faithful_read_sum: bool = False
    read_offset: float = 5e-4  # s after t_p + t·dt at which step t reads the arrays


class SRNN:
    """Recurrent LIF network + leaky readout with e-prop learning (see module docstring)."""

    def __init__(self, spec: SRNNSpec, generator: torch.Generator):
        self.spec = spec
        self.scheme = UpdateScheme(spec.scheme)
        shapes = {"w_in": (spec.n_rec, spec.n_in), "w_rec": (spec.n_rec, spec.n_rec), "w_out": (spec.n_out, spec.n_rec)}
        self.weights: dict[str, torch.Tensor] = {}
        self.arrays: dict[str, DifferentialArray] = {}
        if spec.xbar:
            model = PCMModel(spec.pcm)
            for name, shape in shapes.items():
                self.arrays[name] = DifferentialArray(model, shape, spec.xbar_n, scale=spec.xbar_scale,
                                                      generator=generator, faithful_read_sum=spec.faithful_read_sum,
                                                      init_kwargs={"g0": spec.w_init_gain})
        else:
            for name, shape in shapes.items():
                self.weights[name] = kaiming_normal(shape, spec.w_init_gain, generator)
            self.weights["w_rec"] *= 1 - torch.eye(spec.n_rec)
        self.fb = kaiming_normal((spec.n_out, spec.n_rec), spec.w_init_gain, generator)

    def forward(self, x: torch.Tensor, tp: float, generator: torch.Generator | None) -> RecurrentRun:
        """Run ``x[T, B, n_in]``; crossbar reads at ``tp + t·dt + read_offset``."""
        s = self.spec
        if not s.xbar:
            self.weights["w_rec"] = self.weights["w_rec"] * (1 - torch.eye(s.n_rec))  # no self-connections
            return run_recurrent_lif(x, (self.weights["w_in"], self.weights["w_rec"], self.weights["w_out"]), s.lif)
        self.arrays["w_rec"].reset_synapses(torch.eye(s.n_rec, dtype=torch.bool), tp, generator)
        syn = CrossbarSynapses(self.arrays, tp, s.lif.dt, s.read_offset, generator)
        return run_recurrent_lif(x, syn, s.lif, n_rec=s.n_rec)

    def gradients(self, x: torch.Tensor, run: RecurrentRun, y: torch.Tensor) -> EpropGrads:
        """e-prop gradients for the error ``vo − y``."""
        return eprop_gradients(x, run.z, run.v, run.vo - y, self.fb, self.spec.lif, self.spec.eprop)

    def update(self, grads: EpropGrads, tp: float, generator: torch.Generator | None, refresh: bool,
               lr_factor: float = 1.0) -> int:
        """Apply the update scheme to every layer at device time ``tp`` with the learning rates × ``lr_factor``
        (a schedule); returns the number of SET pulses."""
        pulses = 0
        for name, grad, lr0 in zip(LAYERS, grads[:3], self.spec.lrs):
            lr = lr0 * lr_factor
            if self.spec.xbar:
                pulses += self.scheme.update_array(name, self.arrays[name], grad, lr, t=tp, generator=generator,
                                                   refresh=refresh)
            else:
                self.weights[name] = self.scheme.update_float(name, self.weights[name], grad, lr)
        return pulses

    def write_count(self, name: str) -> int:
        """Total SET pulses since the last RESET over the devices of one array (0 without crossbars)."""
        return int(self.arrays[name].write_count().sum()) if name in self.arrays else 0

    def refreshed(self) -> int:
        """Synapses refreshed so far over all arrays (0 without crossbars)."""
        return sum(a.refreshed for a in self.arrays.values())

    def state_dict(self) -> dict[str, Any]:
        return {"weights": dict(self.weights), "arrays": {k: a.state_dict() for k, a in self.arrays.items()},
                "fb": self.fb, "scheme": self.scheme.state_dict()}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        self.weights = dict(d["weights"])
        for k, a in self.arrays.items():
            a.load_state_dict(d["arrays"][k])
        self.fb = d["fb"]
        self.scheme.load_state_dict(d["scheme"])
