"""Approach 1 of Huang et al. 2022 (spec §3): train an ANN, convert it to an SNN, evaluate it.

ANN: ``y = W_s·x_c − C`` (C = 25 = 0.5·0.5·e), BCE-with-logits, Adagrad (η = 0.05), batch size 1; W_s and the
embedding are clamped to [0, 1] before every forward pass (here: right after each update of the touched entries,
which is equivalent). The state with the lowest validation loss is kept. Conversion freezes embedding and W_s; the
SNN codes x_c as Bernoulli spike trains of length T into one IF neuron (V_th = 50); prediction: rate > 0.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F

from ..data.bags import TokenBags
from ..snn.layers import SpikingLinear
from ..runtime import torch_threads
from .optim import Adagrad

Progress = Callable[[int], None]


@dataclass
class Metrics:
    """Loss and accuracy (fraction) on one data split."""

    loss: float
    accuracy: float

    def as_dict(self, prefix: str) -> dict[str, float]:
        """``{prefix_loss, prefix_acc}``."""
        return {f"{prefix}_loss": self.loss, f"{prefix}_acc": self.accuracy}


@dataclass
class TextModel:
    """Embedding (|V|×e, entries in [0,1]) and the output weights W_s (e,)."""

    emb: torch.Tensor
    W: torch.Tensor
    extra: dict[str, torch.Tensor] = field(default_factory=dict)

    def clone(self) -> "TextModel":
        """Deep copy."""
        return TextModel(self.emb.clone(), self.W.clone(), {k: v.clone() for k, v in self.extra.items()})


def mean_inputs(emb: torch.Tensor, bags: TokenBags, batch: int = 4096) -> torch.Tensor:
    """Averaged sentence representations x_c of all bags, (N, e)."""
    return torch.cat([bags.mean_embedding(emb, s, min(s + batch, len(bags))) for s in range(0, len(bags), batch)])


def ann_evaluate(model: TextModel, bags: TokenBags, labels: torch.Tensor, offset: float) -> Metrics:
    """BCE-with-logits loss and accuracy of the ANN (logit > 0 ⇒ positive)."""
    x = mean_inputs(model.emb, bags)
    logits = x @ model.W - offset
    y = labels.to(torch.float32)
    loss = F.binary_cross_entropy_with_logits(logits, y).item()
    acc = ((logits > 0).to(torch.int64) == labels).float().mean().item()
    return Metrics(loss, acc)


def ann_epoch(model: TextModel, bags: TokenBags, labels: torch.Tensor, order: torch.Tensor, opt_emb: Adagrad,
              opt_w: Adagrad, offset: float, progress: Progress | None = None) -> Metrics:
    """One epoch of online (batch size 1) ANN training in the given sample order; returns running train metrics."""
    with torch_threads(1):
        return _ann_epoch(model, bags, labels, order, opt_emb, opt_w, offset, progress)


def _ann_epoch(model: TextModel, bags: TokenBags, labels: torch.Tensor, order: torch.Tensor, opt_emb: Adagrad,
               opt_w: Adagrad, offset: float, progress: Progress | None) -> Metrics:
    emb, W = model.emb, model.W
    ids_all, w_all, offs = bags.ids, bags.weights, bags.offsets.tolist()
    labels_f = labels.to(torch.float32).tolist()
    loss_sum, correct = 0.0, 0
    for n, b in enumerate(order.tolist()):
        ids, w = ids_all[offs[b]:offs[b + 1]], w_all[offs[b]:offs[b + 1]]
        rows = emb[ids]
        x = w @ rows
        logit = float(x @ W) - offset
        target = labels_f[b]
        p = 1.0 / (1.0 + math.exp(-logit)) if logit > -700 else 0.0
        loss_sum += max(logit, 0.0) - logit * target + math.log1p(math.exp(-abs(logit)))
        correct += int((logit > 0) == (target > 0.5))
        g = p - target
        grad_rows = torch.outer(w * g, W)
        W.add_(opt_w.delta(g * x)).clamp_(0.0, 1.0)
        emb[ids] = (rows + opt_emb.delta(grad_rows, ids)).clamp_(0.0, 1.0)
        if progress is not None and (n + 1) % 500 == 0:
            progress(500)
    if progress is not None:
        progress(len(order) % 500)
    return Metrics(loss_sum / max(1, len(order)), correct / max(1, len(order)))


def bce_on_probability(p: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean BCE of probabilities p (log clamped at −100 as torch's BCELoss does)."""
    y = labels.to(torch.float32)
    return float(-(y * p.log().clamp_min(-100) + (1 - y) * (1 - p).log().clamp_min(-100)).mean())


def snn_evaluate(layer: SpikingLinear, x: torch.Tensor, labels: torch.Tensor, T: int, threshold: float,
                 generator: torch.Generator | None = None, batch: int = 512,
                 to_probability: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 progress: Progress | None = None) -> tuple[Metrics, torch.Tensor]:
    """SNN loss/accuracy over inputs x (N, e) and the firing rates. Positive iff p > 0.5 (round-half-to-even)."""
    rates = []
    for s in range(0, x.shape[0], batch):
        rates.append(layer.rate(x[s:s + batch], T, threshold, generator).rate)
        if progress is not None:
            progress(min(batch, x.shape[0] - s))
    r = torch.cat(rates)
    p = to_probability(r) if to_probability is not None else r
    pred = torch.round(p).to(torch.int64)
    return Metrics(bce_on_probability(p, labels), (pred == labels).float().mean().item()), r
