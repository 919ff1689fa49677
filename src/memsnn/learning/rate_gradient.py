"""Approach 2 of Huang et al. 2022 (spec §6): train the memristive SNN directly with rate-based gradients.

Forward: x_c → Bernoulli spikes (T steps) → IF neuron (V_th = 56.75) → rate r; ``a = (e/2)·(r − 0.5)``,
``y = σ(a)``, BCE loss. Gradients (no spike-time credit assignment): ``g_s = (y − ŷ)·x_c``,
``g_e = (y − ŷ)·W_s`` distributed to the vocabulary rows by count/length. Adagrad per parameter; embeddings clamped
to [0, 1]; with a crossbar the expected new weight (from the last noisy read of the forward pass) is written with
predict–write–verify, without one W_s is a plain tensor clamped to [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..crossbar.array import Crossbar
from ..crossbar.programming import WriteVerifyConfig
from ..data.bags import TokenBags
from ..snn.layers import SpikingLinear
from .conversion import Metrics, Progress, TextModel
from ..runtime import torch_threads
from .optim import Adagrad


def rate_to_probability(r: torch.Tensor, scale: float) -> torch.Tensor:
    """y = σ(scale·(r − 0.5)) with scale = e/2 (the reference code's output scaling)."""
    return torch.sigmoid(scale * (r - 0.5))


@dataclass
class DirectStepStats:
    """Running statistics of one epoch of direct training."""

    loss: float = 0.0
    correct: int = 0
    samples: int = 0
    pulses: int = 0
    devices_written: int = 0

    def metrics(self) -> Metrics:
        """Mean training loss and accuracy so far."""
        n = max(1, self.samples)
        return Metrics(self.loss / n, self.correct / n)


def direct_epoch(model: TextModel, layer: SpikingLinear, bags: TokenBags, labels: torch.Tensor, order: torch.Tensor,
                 opt_emb: Adagrad, opt_w: Adagrad, *, T: int, threshold: float, scale: float,
                 write_cfg: WriteVerifyConfig | None, generator: torch.Generator | None,
                 progress: Progress | None = None, trace: list[tuple[int, float, float]] | None = None,
                 trace_every: int = 175) -> DirectStepStats:
    """One epoch of online direct training (batch size 1) in the given order.

    ``layer`` holds either ``model.W`` (no crossbar) or the crossbar. ``trace`` (optional) collects
    (sample index, expected weight, written weight) of synapse 0 every ``trace_every`` samples (Fig. 5a).
    """
    with torch_threads(1):
        return _direct_epoch(model, layer, bags, labels, order, opt_emb, opt_w, T, threshold, scale, write_cfg,
                             generator, progress, trace, trace_every)


def _direct_epoch(model: TextModel, layer: SpikingLinear, bags: TokenBags, labels: torch.Tensor, order: torch.Tensor,
                  opt_emb: Adagrad, opt_w: Adagrad, T: int, threshold: float, scale: float,
                  write_cfg: WriteVerifyConfig | None, generator: torch.Generator | None, progress: Progress | None,
                  trace: list[tuple[int, float, float]] | None, trace_every: int) -> DirectStepStats:
    emb = model.emb
    xbar: Crossbar | None = layer.crossbar
    ids_all, w_all, offs = bags.ids, bags.weights, bags.offsets.tolist()
    labels_f = labels.to(torch.float32).tolist()
    st = DirectStepStats()
    for n, b in enumerate(order.tolist()):
        ids, w = ids_all[offs[b]:offs[b + 1]], w_all[offs[b]:offs[b + 1]]
        rows = emb[ids]
        x = (w @ rows).unsqueeze(0)
        res = layer.rate(x, T, threshold, generator)
        r = float(res.rate[0])
        W_last = res.last_weights.reshape(-1).to(torch.float32)
        a = scale * (r - 0.5)
        y = 1.0 / (1.0 + math.exp(-a))
        target = labels_f[b]
        st.loss += -(target * max(math.log(y), -100.0) + (1 - target) * max(math.log1p(-y) if y < 1 else -100.0, -100.0))
        st.correct += int((y > 0.5) == (target > 0.5))
        st.samples += 1
        g = y - target
        expected = (W_last + opt_w.delta(g * x[0])).clamp_(0.0, 1.0)
        emb[ids] = (rows + opt_emb.delta(torch.outer(w * g, W_last), ids)).clamp_(0.0, 1.0)
        if xbar is None:
            model.W.copy_(expected)
        else:
            assert write_cfg is not None
            stats = xbar.program(expected, write_cfg, read_noise=layer.read_noise, generator=generator)
            st.pulses += int(stats.pulses.sum())
            st.devices_written += int((stats.pulses > 0).sum())
        if trace is not None and n % trace_every == 0:
            written = float(xbar.weights().reshape(-1)[0]) if xbar is not None else float(model.W[0])
            trace.append((n, float(expected[0]), written))
        if progress is not None and (n + 1) % 250 == 0:
            progress(250)
    if progress is not None:
        progress(len(order) % 250)
    return st
