"""Prepared IMDB data for Huang et al. 2022: vocabulary, normalised GloVe embedding, token bags, seeded split."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..data.bags import TokenBags
from ..data.glove import embedding_matrix, locate_glove, read_glove
from ..data.imdb import ImdbSplit, load_imdb, locate_imdb
from ..data.text import Vocab, build_vocab_from_ids
from ..errors import ConfigError


@dataclass
class ImdbData:
    """Everything the IMDB experiments need, as tensors."""

    vocab: Vocab
    emb: torch.Tensor  # (|V|, e), normalised to [0, 1]
    glove_found: int
    train: TokenBags
    train_labels: torch.Tensor
    val: TokenBags
    val_labels: torch.Tensor
    test: TokenBags
    test_labels: torch.Tensor

    def summary(self) -> dict[str, int]:
        """Sizes for the metrics file."""
        return {"vocab_size": len(self.vocab), "glove_found": self.glove_found, "n_train": len(self.train),
                "n_val": len(self.val), "n_test": len(self.test)}


def split_indices(n: int, n_val: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded random split of range(n) into (train, val) index tensors."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return perm[n_val:], perm[:n_val]


def _limit(idx: torch.Tensor, limit: int | None) -> torch.Tensor:
    return idx if limit is None else idx[:limit]


def _balanced_head(labels: torch.Tensor, limit: int | None, seed: int) -> torch.Tensor:
    """All indices, or a seeded random subset of ``limit`` (used for quick runs on a fraction of the test set)."""
    idx = torch.arange(labels.numel())
    if limit is None or limit >= labels.numel():
        return idx
    return idx[torch.randperm(labels.numel(), generator=torch.Generator().manual_seed(seed))[:limit]]


def prepare_imdb(*, imdb_path: str | None, glove_path: str | None, data_dir: str | None, min_freq: int,
                 embedding_dim: int, oov_std: float, faithful: bool, val_fraction: float, split_seed: int,
                 embedding_seed: int, max_train: int | None = None, max_val: int | None = None,
                 max_test: int | None = None) -> ImdbData:
    """Load (cached) tokens, build the vocabulary on all train reviews, embed, split 70/30 (seeded).

    ``faithful``: out-of-vocabulary tokens map to the ``<pad>`` id like the reference; otherwise to ``<unk>``.
    """
    imdb_src = locate_imdb(imdb_path, data_dir)
    glove_src = locate_glove(glove_path, data_dir, embedding_dim)
    train, test = load_imdb(imdb_src)
    vocab, to_vocab = build_vocab_from_ids(train.token_ids, train.token_table, min_freq=min_freq)
    oov = vocab.stoi["<pad>"] if faithful else vocab.unk_index
    to_vocab = torch.where(to_vocab < 0, torch.full_like(to_vocab, oov), to_vocab)
    vectors = read_glove(glove_src, embedding_dim, words=vocab.itos)
    emb, found = embedding_matrix(vocab, vectors, embedding_dim, oov_std=oov_std,
                                  generator=torch.Generator().manual_seed(embedding_seed))

    def bags(split: ImdbSplit) -> TokenBags:
        return TokenBags.from_flat(to_vocab[split.token_ids.to(torch.int64)], split.offsets, len(vocab))

    all_train, test_bags = bags(train), bags(test)
    n_val = int(round(len(train) * val_fraction))
    if not 0 < n_val < len(train):
        raise ConfigError(f"val_fraction {val_fraction} leaves no train or no validation reviews")
    tr_idx, va_idx = split_indices(len(train), n_val, split_seed)
    tr_idx, va_idx = _limit(tr_idx, max_train), _limit(va_idx, max_val)
    te_idx = _balanced_head(test.labels, max_test, split_seed)
    return ImdbData(vocab=vocab, emb=emb, glove_found=found,
                    train=all_train.subset(tr_idx), train_labels=train.labels[tr_idx],
                    val=all_train.subset(va_idx), val_labels=train.labels[va_idx],
                    test=test_bags.subset(te_idx), test_labels=test.labels[te_idx])
