"""Token bags: each document as its distinct token ids with weights count/length, for averaged embeddings.

The "averaged sentence representation" of Huang et al. 2022 §2 is ``x_c = (1/L)·Σ_j E[id_j] = Σ_i (c_i/L)·E[i]``
over the distinct ids i with counts c_i; the same weights distribute the embedding gradient to the rows (spec §6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F


@dataclass
class TokenBags:
    """CSR layout: bag b owns ``ids[offsets[b]:offsets[b+1]]`` and the matching ``weights`` (summing to 1)."""

    ids: torch.Tensor  # int64
    weights: torch.Tensor  # float32
    offsets: torch.Tensor  # int64, len = n_bags + 1

    def __len__(self) -> int:
        return self.offsets.numel() - 1

    @classmethod
    def from_flat(cls, ids: torch.Tensor, offsets: torch.Tensor, vocab_size: int) -> "TokenBags":
        """Bags from a flat id array with document offsets (vectorised: one ``unique`` over doc·V + id)."""
        ids = ids.to(torch.int64)
        lengths = offsets[1:] - offsets[:-1]
        doc = torch.repeat_interleave(torch.arange(lengths.numel()), lengths)
        keys, counts = torch.unique(doc * vocab_size + ids, return_counts=True)
        kdoc = keys // vocab_size
        per_doc = torch.bincount(kdoc, minlength=lengths.numel())
        offs = torch.zeros(lengths.numel() + 1, dtype=torch.int64)
        offs[1:] = torch.cumsum(per_doc, 0)
        return cls(ids=keys % vocab_size, weights=(counts / lengths[kdoc]).to(torch.float32), offsets=offs)

    @classmethod
    def from_id_lists(cls, docs: Sequence[Sequence[int]]) -> "TokenBags":
        """Bags from token-id lists (an empty document gets an empty bag: its average is the zero vector)."""
        lists = [list(d) for d in docs]
        offsets = torch.zeros(len(lists) + 1, dtype=torch.int64)
        offsets[1:] = torch.cumsum(torch.tensor([len(d) for d in lists], dtype=torch.int64), 0)
        flat = torch.tensor([i for d in lists for i in d], dtype=torch.int64)
        return cls.from_flat(flat, offsets, int(flat.max()) + 1 if flat.numel() else 1)

    def subset(self, index: torch.Tensor) -> "TokenBags":
        """The bags at ``index`` (in that order)."""
        starts, ends = self.offsets[index], self.offsets[index + 1]
        lengths = ends - starts
        offs = torch.zeros(index.numel() + 1, dtype=torch.int64)
        offs[1:] = torch.cumsum(lengths, 0)
        pos = torch.repeat_interleave(starts - offs[:-1], lengths) + torch.arange(int(offs[-1]))
        return TokenBags(ids=self.ids[pos], weights=self.weights[pos], offsets=offs)

    def bag(self, b: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(ids, weights) of bag b."""
        s, e = int(self.offsets[b]), int(self.offsets[b + 1])
        return self.ids[s:e], self.weights[s:e]

    def mean_embedding(self, emb: torch.Tensor, start: int = 0, stop: int | None = None) -> torch.Tensor:
        """Averaged embeddings of bags start..stop as (B, E)."""
        stop = len(self) if stop is None else stop
        s, e = int(self.offsets[start]), int(self.offsets[stop])
        offs = self.offsets[start:stop] - s
        return F.embedding_bag(self.ids[s:e], emb, offs, mode="sum", per_sample_weights=self.weights[s:e])
