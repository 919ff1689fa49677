"""Approach 2 of Huang et al. 2022 (spec §6) for C crossbar configurations at once (Fig. 5 sweeps).

Each configuration c has its own embedding, Adagrad accumulators and crossbar (device states ``R[c]``), its own R
tolerance and read noise; all see the same training samples in the same order. One training step does, for every
configuration in one tensor operation: x_c → Bernoulli spikes → per-step noisy crossbar reads → IF neuron → rate r;
``y = σ((e/2)(r − 0.5))``; ``g_s = (y − ŷ)·x_c`` from the last noisy read ``W_last``; ``g_e = (y − ŷ)·W_last``
spread over the sample's rows by count/length; Adagrad; embeddings clamped to [0, 1]; the expected weights
``clamp(W_last + ΔW, 0, 1)`` written to all C arrays with ONE batched predict–write–verify call
(``tolerance`` and ``read_noise`` tensors of shape (C, 1, 1)). The single-configuration reference path is
:func:`memsnn.learning.rate_gradient.direct_epoch`; for C = 1 both give the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from ..crossbar.mapping import LinearConductanceMap
from ..crossbar.programming import WriteVerifyConfig, write_verify
from ..data.bags import TokenBags
from ..devices.rram import RRAMDevice
from ..snn.batched import rate_multi
from .conversion import Progress, bce_on_probability, mean_inputs
from .rate_gradient import rate_to_probability


@dataclass
class MultiDirectState:
    """Training state of C configurations: embeddings (C, V, e), Adagrad sums, device resistances (C, *array)."""

    emb: torch.Tensor
    sum_e: torch.Tensor
    sum_w: torch.Tensor  # (C, e)
    R: torch.Tensor
    tolerance: torch.Tensor  # (C,)
    read_noise: torch.Tensor  # (C,)

    @classmethod
    def create(cls, emb: torch.Tensor, device: RRAMDevice, array_shape: tuple[int, ...], tolerance: torch.Tensor,
               read_noise: torch.Tensor, generator: torch.Generator) -> "MultiDirectState":
        """Fresh state: C copies of the embedding, zero accumulators, devices U[R_init ± R_var/2] per config."""
        C = tolerance.numel()
        R = device.init_state((C,) + tuple(array_shape), generator).R
        e = emb.shape[1]
        return cls(emb=emb.unsqueeze(0).repeat(C, 1, 1), sum_e=torch.zeros(C, *emb.shape, dtype=emb.dtype),
                   sum_w=torch.zeros(C, e, dtype=torch.float32), R=R, tolerance=tolerance.to(torch.float64),
                   read_noise=read_noise.to(torch.float64))

    def tensors(self) -> dict[str, torch.Tensor]:
        """Everything a checkpoint needs."""
        return {"emb": self.emb, "sum_e": self.sum_e, "sum_w": self.sum_w, "R": self.R,
                "tolerance": self.tolerance, "read_noise": self.read_noise}

    @classmethod
    def from_tensors(cls, t: dict[str, torch.Tensor]) -> "MultiDirectState":
        """Restore from :meth:`tensors` (cloned)."""
        return cls(**{k: v.clone() for k, v in t.items()})


@dataclass
class MultiEpochStats:
    """Running per-configuration statistics of one epoch (tensors of shape (C,))."""

    loss: torch.Tensor
    correct: torch.Tensor
    pulses: torch.Tensor
    samples: int = 0
    trace: list[dict[str, Any]] = field(default_factory=list)

    def as_dicts(self) -> list[dict[str, float]]:
        """Per configuration: train loss, accuracy, pulses."""
        n = max(1, self.samples)
        return [{"train_loss": float(self.loss[c]) / n, "train_acc": float(self.correct[c]) / n,
                 "pulses": int(self.pulses[c])} for c in range(self.loss.numel())]


def direct_epoch_multi(st: MultiDirectState, device: RRAMDevice, mapping: LinearConductanceMap, bags: TokenBags,
                       labels: torch.Tensor, order: torch.Tensor, *, T: int, threshold: float, scale: float, lr: float,
                       eps: float, write_cfg: WriteVerifyConfig, generator: torch.Generator,
                       progress: Progress | None = None, trace: bool = False,
                       trace_every: int = 175) -> MultiEpochStats:
    """One epoch of online approach-2 training of all C configurations (batch size 1, the given order).

    ``trace``: record (sample, expected weight, written weight) of synapse 0 of every configuration every
    ``trace_every`` samples (Figs. 5a, 5d, 5e).
    """
    C = st.R.shape[0]
    ids_all, w_all, offs = bags.ids, bags.weights, bags.offsets.tolist()
    labels_f = labels.to(torch.float64)
    tol = st.tolerance.reshape((C,) + (1,) * (st.R.dim() - 1))
    noise = st.read_noise.reshape(tol.shape)
    out = MultiEpochStats(loss=torch.zeros(C, dtype=torch.float64), correct=torch.zeros(C, dtype=torch.int64),
                          pulses=torch.zeros(C, dtype=torch.int64))
    for n, b in enumerate(order.tolist()):
        ids, w = ids_all[offs[b]:offs[b + 1]], w_all[offs[b]:offs[b + 1]]
        rows = st.emb[:, ids]  # (C, L, e)
        x = torch.matmul(w, rows)  # (C, e)
        counts, W_last = rate_multi(x.unsqueeze(1), T, threshold, R=st.R, mapping=mapping,
                                    read_noise=st.read_noise, generator=generator)
        r = (counts[:, 0, -1] / T).to(torch.float32).to(torch.float64)
        W_last = W_last[:, 0, :].to(torch.float32)
        y = torch.sigmoid(scale * (r - 0.5))
        target = float(labels_f[b])
        out.loss += -(target * y.log().clamp_min(-100.0) + (1 - target) * torch.log1p(-y).clamp_min(-100.0))
        out.correct += ((y > 0.5) == (target > 0.5)).to(torch.int64)
        out.samples += 1
        g = (y - target).to(torch.float32).unsqueeze(1)  # (C, 1)
        gw = g * x
        st.sum_w.addcmul_(gw, gw)
        expected = (W_last - lr * gw / (st.sum_w.sqrt() + eps)).clamp_(0.0, 1.0)
        ge = (w.unsqueeze(0) * g).unsqueeze(2) * W_last.unsqueeze(1)  # (C, L, e)
        s = st.sum_e[:, ids] + ge * ge
        st.sum_e[:, ids] = s
        st.emb[:, ids] = (rows - lr * ge / (s.sqrt() + eps)).clamp_(0.0, 1.0)
        target_R = mapping.weight_to_resistance(expected.to(st.R.dtype).reshape(st.R.shape))
        st.R, stats = write_verify(device, st.R, target_R, write_cfg, read_noise=noise, tolerance=tol,
                                   generator=generator)
        out.pulses += stats.pulses.reshape(C, -1).sum(1).to(torch.int64)
        if trace and n % trace_every == 0:
            written = mapping.resistance_to_weight(st.R.reshape(C, -1)[:, 0])
            out.trace.append({"sample": n, "expected": expected[:, 0].tolist(), "written": written.tolist()})
        if progress is not None and (n + 1) % 250 == 0:
            progress(250)
    if progress is not None:
        progress(len(order) % 250)
    return out


def evaluate_multi(st: MultiDirectState, mapping: LinearConductanceMap, bags: TokenBags, labels: torch.Tensor, *,
                   T: int, threshold: float, scale: float, generator: torch.Generator, batch: int = 100,
                   progress: Progress | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Test loss and accuracy (C,) of every configuration (per-step noisy crossbar reads, positive iff y > 0.5)."""
    C = st.R.shape[0]
    x = torch.stack([mean_inputs(st.emb[c], bags) for c in range(C)])  # (C, N, e)
    rates = []
    for s in range(0, x.shape[1], batch):
        counts, _ = rate_multi(x[:, s:s + batch], T, threshold, R=st.R, mapping=mapping, read_noise=st.read_noise,
                               generator=generator)
        rates.append((counts[:, :, -1] / T).to(torch.float32))
        if progress is not None:
            progress(min(batch, x.shape[1] - s))
    p = rate_to_probability(torch.cat(rates, dim=1), scale)
    pred = torch.round(p).to(torch.int64)
    acc = (pred == labels.unsqueeze(0)).float().mean(1)
    loss = torch.tensor([bce_on_probability(p[c], labels) for c in range(C)])
    return loss, acc
