"""Unsupervised STDP digit classifier (Diehl & Cook 2015) as in the Memristor-Spikelearn STDP example.

Diehl & Cook, Front. Comput. Neurosci. 9:99 (2015); Liu et al., DATE 2023 (spec §2.5, §3.1–3.4). 0.5 ms steps.

* 784 Poisson inputs (p = freq·pixel/255 per step) → N excitatory conductance-LIF neurons with adaptive threshold
  through plastic synapses W[N, 784]; excitatory → inhibitory one-to-one (10.4, excitatory conductance, one-step
  delay); every inhibitory spike inhibits all *other* excitatory neurons (17, inhibitory conductance).
* A presentation is 700 input steps + 300 rest steps. Before it the weights are clipped to [0, 1] and every row is
  scaled to sum 78 (devices: ideal re-programming). If fewer than 5 excitatory spikes occur, the sample is
  presented again with freq += 0.016.
* Labelling: neuron responses accumulate per label over an assignment block; each neuron is assigned the label of
  its highest mean response; a sample is classified as the label whose assigned neurons respond most on average.

Learning uses one network (state ``[1, …]``); with learning off (test) a whole batch of samples runs in parallel
from the trained state (θ frozen), which the rule allows because no weight changes.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import torch

from ..config import Config, check_positive
from ..crossbar.pulse_jit import PackedSynapses, kernel_args
from ..snn.conductance import EXCITATORY, INHIBITORY, ConductanceLIF
from ..snn.encoders import bernoulli_events
from .plastic import Trace
from .stdp_jit import NEURON_CONSTANTS, present

_NEURON_STATE = ("v", "ge", "gi", "s", "refrac", "theta")  #: rows of the neuron-state matrix of the kernel



@dataclasses.dataclass
class StdpNetConfig(Config):
    """Network and presentation parameters (defaults: the original example)."""

    n_exc: int = 100
    steps_input: int = 700
    steps_rest: int = 300
    freq0: float = 0.031875  #: spike probability per step for pixel 255 (63.75 Hz · 0.5 ms)
    freq_step: float = 0.016  #: added per re-presentation (32 Hz · 0.5 ms)
    min_spikes: int = 5
    max_presentations: int = 10  #: give up re-presenting after this many attempts (the original never gives up)
    row_sum: float = 78.0
    w_exc_inh: float = 10.4
    w_inh_exc: float = 17.0
    trace_tau: float = 40.0  #: steps
    w_init_scale: float = 0.3

    def validate(self) -> None:
        super().validate()
        for name in ("n_exc", "steps_input", "freq0", "max_presentations", "row_sum", "trace_tau"):
            check_positive(name, getattr(self, name))
        check_positive("steps_rest", self.steps_rest, allow_zero=True)


class StdpNetwork:
    """The excitatory/inhibitory network with plastic input synapses ``syn`` (ideal or device, shape [1, N, 784])."""

    def __init__(self, cfg: StdpNetConfig, syn: Any, generator: torch.Generator):
        cfg.validate()
        self.cfg, self.syn, self.gen = cfg, syn, generator
        n = cfg.n_exc
        self.pop = ConductanceLIF(populations=[(n, EXCITATORY), (n, INHIBITORY)])  # [exc | inh]
        decay = math.exp(-1.0 / cfg.trace_tau)
        self.te = Trace(784, decay)
        self.to = Trace(n, decay)
        w0 = (torch.rand((1, n, 784), generator=generator, dtype=torch.float64) + 0.01) * cfg.w_init_scale
        syn.program(w0.transpose(1, 2).contiguous().transpose(1, 2))  # presynaptic columns contiguous
        self.read_sum = 0.0  #: Σ over steps of Σ_post W·x (read power / (G1·V_read²))
        self.reference = False  #: dense per-step torch matrix-vector products (reference path for tests/benchmarks)
        self._packed: PackedSynapses | None = None

    # -- state for checkpoints ---------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume learning."""
        st = {f.name: getattr(self.syn.state, f.name).clone() for f in dataclasses.fields(self.syn.state)} \
            if hasattr(self.syn, "state") else {}
        layers = {k: getattr(self.pop, k).clone() for k in ("v", "ge", "gi", "s", "refrac", "theta")}
        return {"w": self.syn.w.clone(), "device_state": st, "layers": layers, "te": self.te.t.clone(),
                "to": self.to.t.clone(), "meter": self.syn.meter.as_dict(), "read_sum": self.read_sum}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`."""
        self.syn.w = d["w"].clone()
        if d["device_state"]:
            self.syn.state = type(self.syn.state)(**{k: v.clone() for k, v in d["device_state"].items()})
        for key, val in d["layers"].items():
            setattr(self.pop, key, val.clone())
        self.te.t, self.to.t = d["te"].clone(), d["to"].clone()
        for k, v in d["meter"].items():
            setattr(self.syn.meter, k, v)
        self.read_sum = d["read_sum"]

    # -- simulation ------------------------------------------------------------------------------------------------
    def normalise(self) -> None:
        """Clip to [0, 1] and scale every row to ``row_sum`` (ideal re-programming of devices)."""
        w = torch.clamp(self.syn.w, 0.0, 1.0)
        w = w * (self.cfg.row_sum / w.sum(-1, keepdim=True).clamp_min(1e-12))
        self.syn.program(w)

    def _run(self, rates: torch.Tensor, learn: bool) -> torch.Tensor:
        """One presentation (input + rest) of one sample's rates [1, 784]; returns the excitatory spike counts
        [1, N]. Compiled loop (``stdp_jit.present``) unless ``reference``: the step-by-step torch path with a dense
        matrix-vector product per step. Both use the same Bernoulli draws (made only for pixels with a non-zero
        rate), so they give the same spikes and weights."""
        if not self.reference:
            return self._run_compiled(rates, learn)
        cfg = self.cfg
        n = cfg.n_exc
        counts = torch.zeros((1, n), dtype=torch.float64)
        nzi, p, chunk = self._candidates(rates)
        ie = torch.zeros((1, 2 * n), dtype=torch.float64)
        ii = torch.zeros((1, 2 * n), dtype=torch.float64)
        read_sum = torch.zeros((), dtype=torch.float64)
        fire = None
        for t in range(cfg.steps_input + cfg.steps_rest):
            x = torch.zeros((1, 784), dtype=torch.float64)
            if t < cfg.steps_input:
                if t % chunk == 0:  # Poisson spikes are drawn a chunk of steps at a time
                    fire = torch.rand((min(chunk, cfg.steps_input - t), p.numel()), generator=self.gen,
                                      dtype=torch.float32) < p
                x[0, nzi[fire[t % chunk]]] = 1.0
                cur = torch.matmul(self.syn.w, x.unsqueeze(-1)).squeeze(-1)
                read_sum = read_sum + cur.sum()
            else:
                cur = torch.zeros((1, n), dtype=torch.float64)
            prev = self.pop.s  # one-step delay: exc → inh one-to-one, inh → all other exc
            inh_s = prev[:, n:]
            ie[:, :n] = cur
            torch.mul(prev[:, :n], cfg.w_exc_inh, out=ie[:, n:])
            torch.mul(inh_s.sum(-1, keepdim=True) - inh_s, cfg.w_inh_exc, out=ii[:, :n])
            s = self.pop.step(ie, ii)[:, :n]
            counts += s
            if learn:
                self.syn.stdp_update(x, s, self.te.update(x), self.to.update(s))
        self.read_sum += float(read_sum)
        return counts

    def _candidates(self, rates: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
        """(pixel, probability) of the inputs of one sample ([1, 784]) with a non-zero rate, and the number of steps
        whose Bernoulli draws are made at once."""
        rates32 = rates[0].float()
        nzi = torch.nonzero(rates32 > 0, as_tuple=True)[0]
        p = rates32[nzi]
        return nzi, p, max(1, min(self.cfg.steps_input, 20_000_000 // max(1, p.numel())))

    def _run_compiled(self, rates: torch.Tensor, learn: bool) -> torch.Tensor:
        """:meth:`_run` as one compiled loop (``stdp_jit.present``)."""
        cfg = self.cfg
        nzi, p, chunk = self._candidates(rates)
        u = torch.cat([torch.rand((min(chunk, cfg.steps_input - t0), p.numel()), generator=self.gen,
                                  dtype=torch.float32) for t0 in range(0, cfg.steps_input, chunk)])
        step_ptr, pix = bernoulli_events(u.numpy().ravel(), p.numpy(), nzi.numpy(),
                                          np.array([0, p.numel()]), cfg.steps_input)
        pop = self.pop
        nrn = np.stack([getattr(pop, k)[0].numpy() for k in _NEURON_STATE])
        nc = np.stack([getattr(pop, k).numpy() for k in NEURON_CONSTANTS])
        te, to = self.te.t[0].clone().numpy(), self.to.t[0].clone().numpy()
        counts = np.zeros(cfg.n_exc)
        acc = np.zeros(3)
        syn = self.syn
        self._packed, (w, st, *dev) = kernel_args(syn, self._packed)
        ideal = self._packed is None
        rule = np.array([syn.a_pot, syn.a_dep, syn.w_max, syn.w_min]) if ideal else np.zeros(4)
        present(step_ptr, pix, cfg.steps_input, cfg.steps_rest, w, st, nrn, nc,
                bool(pop.clamp[0]), bool(pop.adaptive and not pop.freeze_theta), learn, te, to, self.te.decay,
                cfg.w_exc_inh, cfg.w_inh_exc, ideal, rule, *dev, counts, acc)
        for r, k in enumerate(_NEURON_STATE):
            setattr(pop, k, torch.from_numpy(nrn[r].copy()).unsqueeze(0))
        self.te.t, self.to.t = torch.from_numpy(te).unsqueeze(0), torch.from_numpy(to).unsqueeze(0)
        self.read_sum += float(acc[0])
        syn.meter.update_energy += float(acc[1])
        syn.meter.pulses += int(acc[2])
        return torch.from_numpy(counts).unsqueeze(0)

    def present(self, images: torch.Tensor, *, learn: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Present images [B, 784] (uint8) one after another; returns (spike counts of each sample's last attempt
        [B, N], number of attempts [B]). A sample with fewer than ``min_spikes`` spikes is presented again with
        freq += freq_step (up to ``max_presentations``), continuing from its state. Learning on: B = 1, the weights
        are normalised before every attempt. Learning off: every sample starts from rest (θ kept, frozen)."""
        cfg = self.cfg
        b = images.shape[0]
        if learn and b != 1:
            raise ValueError("learning presents one sample at a time")
        pix = images.to(torch.float64) / 255.0
        counts = torch.zeros((b, cfg.n_exc), dtype=torch.float64)
        attempts = torch.zeros(b, dtype=torch.int64)
        for i in range(b):
            if not learn:
                self.reset_batch(1)
            for k in range(cfg.max_presentations):
                if learn:
                    self.normalise()
                counts[i] = self._run(pix[i:i + 1] * (cfg.freq0 + k * cfg.freq_step), learn)[0]
                attempts[i] += 1
                if counts[i].sum() >= cfg.min_spikes:
                    break
        return counts, attempts

    def reset_batch(self, batch: int) -> None:
        """Neuron states for a test batch: potentials at their initial value, θ kept and frozen."""
        self.pop.reset(batch)
        self.pop.freeze_theta = True
        self.te.reset(batch)
        self.to.reset(batch)


def assign_labels(responses: torch.Tensor, labels: torch.Tensor, n_classes: int = 10) -> torch.Tensor:
    """Label of every neuron: argmax over classes of its mean response (spec §3.4); responses [S, N]. Neurons that
    never responded get −1 (the original assigns them label 0, which dilutes label 0's mean response)."""
    sums = torch.zeros((n_classes, responses.shape[1]), dtype=torch.float64).index_add_(0, labels, responses)
    n_per = torch.bincount(labels, minlength=n_classes).clamp_min(1).to(torch.float64)
    best = torch.argmax(sums / n_per.unsqueeze(-1), dim=0)
    return torch.where(sums.sum(0) > 0, best, torch.full_like(best, -1))


def predict(counts: torch.Tensor, assignment: torch.Tensor, n_classes: int = 10) -> torch.Tensor:
    """Class with the highest mean count over its assigned neurons; classes without neurons are never predicted
    (the original divides by zero and then predicts the first NaN label, bug 6)."""
    onehot = (assignment.unsqueeze(-1) == torch.arange(n_classes)).to(counts.dtype)  # [N, C]; −1 → no class
    n_assigned = onehot.sum(0)
    score = (counts @ onehot) / n_assigned.clamp_min(1)
    score = torch.where(n_assigned > 0, score, torch.full_like(score, -math.inf))
    return torch.argmax(score, dim=-1)
