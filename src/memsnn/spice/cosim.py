"""Training and inference transients of the emulator network in ngspice (see :mod:`memsnn.spice.netlist`)."""

from __future__ import annotations

import torch

from ..devices.emulator import EmulatorParams
from ..snn.lapicque import LapicqueConfig, crossing_times
from .netlist import NetworkStimulus, network_netlist
from .ngspice import SpiceResult, run_netlist


def spice_train(patterns: torch.Tensor, t_pw: float, period: float, tstep: float, p: EmulatorParams,
                neuron: LapicqueConfig, phi_v: float = 1.2, keep: str | None = None) -> tuple[torch.Tensor, SpiceResult]:
    """Supervised training transient from zero gates; returns the final gate voltages (classes × inputs)."""
    n_c, n_in = patterns.shape
    stim = NetworkStimulus(patterns, t_pw, period, tstep, train=True, phi_v=phi_v)
    text, _ = network_netlist(n_in, n_c, stim, p, neuron, title="memsnn in-situ training")
    res = run_netlist(text, keep=keep)
    vc = torch.tensor([[res[f"xm{j}_{i}.cmem"][-1] for i in range(n_in)] for j in range(n_c)], dtype=torch.float64)
    return vc, res


def spice_infer(gates: torch.Tensor, inputs: torch.Tensor, t_pw: float, period: float, tstep: float,
                p: EmulatorParams, neuron: LapicqueConfig, window: float, keep: str | None = None
                ) -> tuple[torch.Tensor, SpiceResult]:
    """Inference transient (gates as ``.ic``, class gates low, input k presented at k·period); returns the first
    crossings of out_j > v_high/2 after each presentation start, within ``window`` s (inf = none), (N, classes)."""
    n_c, n_in = gates.shape
    stim = NetworkStimulus(inputs, t_pw, period, tstep, train=False)
    text, _ = network_netlist(n_in, n_c, stim, p, neuron, gates=gates, title="memsnn in-situ inference")
    res = run_netlist(text, keep=keep)
    t = torch.as_tensor(res.time)
    outs = torch.stack([torch.as_tensor(res[f"out{j}"]) for j in range(n_c)], dim=1)
    starts = torch.arange(inputs.shape[0], dtype=torch.float64) * period
    return crossing_times(t, outs, 0.5 * neuron.v_high, starts, starts + window), res
