"""Spike-count approximate backpropagation for a 784-H-10 IF network (Memristor-Spikelearn ``approximate_bp``).

Liu et al., DATE 2023 (spec §2.6, §3.3). Inputs are Bernoulli spikes with p = pixel/255 per step; hidden IF
neurons (threshold 0.1) and output IF neurons (threshold 1.0) reset to zero. Every synapse has a constant
"balancing" offset, so the effective weight is W − 0.05 (W ≥ 0 is stored in the devices). The output layer reads the
hidden spikes of the previous step (one-step delay). Per training sample (neurons reset), for t = 1…T−1: one step;
at every t divisible by ``update_interval`` one extra zero-input step, then with the spike counts c accumulated since
the last update:

* δ2 = onehot(y) − min(c_o, 1)
* δ1 = (δ2·(W2 − 0.05))·[c_h > 0]          (W2 before its update)
* W2[:, h] += lr·δ2·c_h[h];  W1[:, i] += lr·δ1·c_in[i]   (ideal; devices: c pulses whose voltage encodes δ)

``batch_size > 1`` runs that many samples in parallel and applies their updates one after another at each update
point (a mini-batch approximation; ``batch_size = 1`` is the original rule).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numba
import numpy as np
import torch

from ..config import Config, check_positive
from ..crossbar.pulse_jit import PackedSynapses, kernel_args
from ..errors import ConfigError
from ..snn.encoders import nonzero_rate_draws
from ..snn.lif import IF
from .approx_bp_jit import predict_samples, train_samples


@dataclasses.dataclass
class BpNetConfig(Config):
    """Network and rule parameters (defaults: the original example)."""

    n_hidden: int = 1500
    v_hidden: float = 0.1
    v_out: float = 1.0
    steps: int = 50
    update_interval: int = 7
    lr: float = 2e-4
    balance: float = 0.05
    batch_size: int = 1

    def validate(self) -> None:
        super().validate()
        for name in ("n_hidden", "v_hidden", "v_out", "steps", "update_interval", "lr", "batch_size"):
            check_positive(name, getattr(self, name))


class ApproxBpNetwork:
    """The two-layer IF network with plastic synapses ``syn1`` [H, 784] and ``syn2`` [10, H]."""

    def __init__(self, cfg: BpNetConfig, syn1: Any, syn2: Any, generator: torch.Generator):
        cfg.validate()
        self.cfg, self.syn1, self.syn2, self.gen = cfg, syn1, syn2, generator
        self.hidden = IF(cfg.n_hidden, cfg.v_hidden)
        self.out = IF(10, cfg.v_out)
        for syn, shape in ((syn1, (cfg.n_hidden, 784)), (syn2, (10, cfg.n_hidden))):
            w = torch.clamp(torch.randn(shape, generator=generator, dtype=torch.float64) + 5.0, 0.0, 10.0) * 0.01
            syn.program(w.T.contiguous().T)  # column-major storage: presynaptic columns are contiguous
        self.read_sum = [0.0, 0.0]  #: training Σ over steps of Σ W·x per layer (read power / (G1·V_read²))
        self.reference = False  #: train with the step-by-step torch path (reference for tests/benchmarks)
        self._packed: list[PackedSynapses | None] = [None, None]

    def _forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One engine step with input spikes x [B, 784] (all synapse outputs from the previous spikes)."""
        b = self.cfg.balance
        sh_prev = self.hidden.s
        cur_h = x @ self.syn1.w.T
        cur_o = sh_prev @ self.syn2.w.T
        self._reads[0] += cur_h.sum()
        self._reads[1] += cur_o.sum()
        s_h = self.hidden.step(cur_h - b * x.sum(-1, keepdim=True))
        s_o = self.out.step(cur_o - b * sh_prev.sum(-1, keepdim=True))
        return s_h, s_o

    def _begin(self, batch: int) -> None:
        self.hidden.reset(batch)
        self.out.reset(batch)
        self._reads = [torch.zeros((), dtype=torch.float64), torch.zeros((), dtype=torch.float64)]

    def _end(self) -> None:
        """Add this presentation's reads to the training read totals."""
        self.read_sum = [self.read_sum[i] + float(self._reads[i]) for i in range(2)]

    def _draws(self, images: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Draws for the inputs with p = pixel/255 > 0 (``snn.encoders.nonzero_rate_draws``): input i spikes at step t
        iff its draw < p; a batch draws the same numbers as its samples one at a time."""
        return nonzero_rate_draws(images.numpy().astype(np.float32) / np.float32(255.0), self.cfg.steps, self.gen)

    def _spikes(self, images: torch.Tensor) -> torch.Tensor:
        """Dense input spikes [steps, B, 784] (float64) of the draws of :meth:`_draws`."""
        steps = self.cfg.steps
        u, p, cols, cptr = self._draws(images)
        xs = torch.zeros((steps, images.shape[0], 784), dtype=torch.float64)
        for b in range(images.shape[0]):
            c0, c1 = int(cptr[b]), int(cptr[b + 1])
            fire = torch.from_numpy(u[steps * c0:steps * c1].reshape(steps, c1 - c0) < p[c0:c1])
            xs[:, b, torch.from_numpy(cols[c0:c1])] = fire.to(torch.float64)
        return xs

    def _layer_args(self, syn: Any, k: int) -> tuple:
        """(weights, state, device, pre encoding, post encoding, flags) of layer k for the compiled kernel."""
        self._packed[k], args = kernel_args(syn, self._packed[k])
        return args

    def _predict_compiled(self, images: torch.Tensor) -> torch.Tensor:
        """:meth:`predict` as one compiled loop over the samples (``approx_bp_jit.predict_samples``, on numba's
        threads), same draws."""
        cfg = self.cfg
        out = np.zeros(images.shape[0], dtype=np.int64)
        predict_samples(*self._draws(images), cfg.steps, cfg.balance, cfg.v_hidden, cfg.v_out, self.syn1.w.numpy(),
                        self.syn2.w.numpy(), numba.get_num_threads(), out)
        return torch.from_numpy(out)

    def _train_compiled(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        """:meth:`train_online` as one compiled loop (``approx_bp_jit.train_samples``); the same random draws as the
        reference path."""
        cfg = self.cfg
        w1, st1, *l1 = self._layer_args(self.syn1, 0)
        w2, st2, *l2 = self._layer_args(self.syn2, 1)
        ideal = self._packed[0] is None  # kernel_args packs device synapses only
        if ideal != (self._packed[1] is None):
            raise ConfigError("the compiled approximate-BP step needs both layers ideal or both device synapses")
        reads, acc1, acc2 = np.zeros(2), np.zeros(2), np.zeros(2)
        train_samples(*self._draws(images), cfg.steps, cfg.update_interval, cfg.balance, cfg.lr, cfg.v_hidden, cfg.v_out,
                      labels.numpy().astype(np.int64), w1, st1, w2, st2, ideal, getattr(self.syn1, "w_min", 0.0),
                      *l1, *l2, reads, acc1, acc2)
        self.read_sum = [self.read_sum[0] + float(reads[0]), self.read_sum[1] + float(reads[1])]
        for syn, acc in ((self.syn1, acc1), (self.syn2, acc2)):
            syn.meter.update_energy += float(acc[0])
            syn.meter.pulses += int(acc[1])

    def train_online(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        """Train on images [N, 784] (uint8) with labels [N] one sample after another (the original rule: the same
        as N calls of ``train_batch`` with one sample each, and the same random draws), as one compiled loop unless
        ``reference``."""
        if images.shape[0] != labels.shape[0]:
            raise ConfigError(f"{images.shape[0]} images but {labels.shape[0]} labels")
        if self.reference:
            for i in range(images.shape[0]):
                self.train_batch(images[i:i + 1], labels[i:i + 1])
        elif images.shape[0]:
            self._train_compiled(images, labels)

    def train_batch(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        """Train on images [B, 784] (uint8) with labels [B]; B = 1 is the original per-sample rule (run compiled
        unless ``reference``)."""
        cfg = self.cfg
        b = images.shape[0]
        if b == 1 and not self.reference:
            return self._train_compiled(images, labels)
        self._begin(b)
        xs = self._spikes(images)  # step 0's draw is discarded, as in the original
        target = torch.nn.functional.one_hot(labels, 10).to(torch.float64)
        c_in = torch.zeros((b, 784), dtype=torch.float64)
        c_h = torch.zeros((b, cfg.n_hidden), dtype=torch.float64)
        c_o = torch.zeros((b, 10), dtype=torch.float64)
        zero = torch.zeros((b, 784), dtype=torch.float64)
        for t in range(1, cfg.steps):
            s_h, s_o = self._forward(xs[t])
            c_in += xs[t]
            c_h += s_h
            c_o += s_o
            if t % cfg.update_interval == 0:
                s_h, s_o = self._forward(zero)
                c_h += s_h
                c_o += s_o
                d2 = target - torch.clamp(c_o, 0.0, 1.0)
                d1 = (d2 @ (self.syn2.w - cfg.balance)) * (c_h > 0)
                for k in range(b):
                    self.syn2.bp_update(c_h[k], d2[k], cfg.lr)
                    self.syn1.bp_update(c_in[k], d1[k], cfg.lr)
                c_in.zero_(), c_h.zero_(), c_o.zero_()
        self._end()

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """Predicted classes of images [B, 784]: argmax of output spike counts over ``steps`` steps (ties → lowest)."""
        if not self.reference:
            return self._predict_compiled(images)
        self._begin(images.shape[0])
        xs = self._spikes(images)
        counts = torch.zeros((images.shape[0], 10), dtype=torch.float64)
        for t in range(self.cfg.steps):
            counts += self._forward(xs[t])[1]
        return torch.argmax(counts, dim=-1)
