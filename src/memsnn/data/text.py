"""Text processing: the ``basic_english`` tokeniser and a frequency-ordered vocabulary.

Huang et al. 2022 (spec §1) tokenise IMDB with torchtext's ``basic_english`` rules: lowercase, then a fixed
sequence of regex substitutions, then split on whitespace. The vocabulary keeps tokens with frequency ≥ min_freq,
specials first, then by descending frequency, ties in first-occurrence order.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import torch

# (pattern, replacement) in the exact order of spec §1; `<br />` is matched after `.` was already padded.
BASIC_ENGLISH_RULES: tuple[tuple[str, str], ...] = (
    (r"\'", " '  "),
    (r"\"", ""),
    (r"\.", " . "),
    (r"<br \/>", " "),
    (r",", " , "),
    (r"\(", " ( "),
    (r"\)", " ) "),
    (r"\!", " ! "),
    (r"\?", " ? "),
    (r"\;", " "),
    (r"\:", " "),
    (r"\s+", " "),
)
_COMPILED = tuple((re.compile(p), r) for p, r in BASIC_ENGLISH_RULES)
_SEP = "\x00"  # matched by none of the rules: lets a whole corpus be normalised in one pass per rule


def normalize_basic_english(text: str) -> str:
    """Lowercase and apply the ``basic_english`` substitutions (without the final split)."""
    text = text.lower()
    for pattern, repl in _COMPILED:
        text = pattern.sub(repl, text)
    return text


def tokenize_basic_english(text: str) -> list[str]:
    """Tokens of one text under the ``basic_english`` rules."""
    return normalize_basic_english(text).split()


def tokenize_corpus(texts: Sequence[str]) -> list[list[str]]:
    """Tokenise many texts at once (one regex pass per rule over the joined corpus; same result as per text)."""
    if any(_SEP in t for t in texts):
        return [tokenize_basic_english(t) for t in texts]
    joined = normalize_basic_english(_SEP.join(texts))
    parts = joined.split(_SEP)
    if len(parts) != len(texts):  # pragma: no cover - guarded by the check above
        raise AssertionError("corpus separator was altered by tokenisation")
    return [p.split() for p in parts]


@dataclass
class Vocab:
    """Token ↔ id map. ``itos[i]`` is the token of id i; ``counts[i]`` its corpus frequency (0 for specials)."""

    itos: list[str]
    counts: list[int]
    unk_index: int = 0
    stoi: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.stoi = {tok: i for i, tok in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def lookup(self, tokens: Iterable[str], oov_index: int | None = None) -> list[int]:
        """Ids of tokens; out-of-vocabulary tokens get ``oov_index`` (default: the ``<unk>`` id)."""
        oov = self.unk_index if oov_index is None else oov_index
        get = self.stoi.get
        return [get(t, oov) for t in tokens]


def build_vocab(
    token_lists: Iterable[Sequence[str]], min_freq: int = 10, specials: Sequence[str] = ("<unk>", "<pad>")
) -> Vocab:
    """Vocabulary of tokens with frequency ≥ min_freq: specials first, then descending frequency.

    Ties keep first-occurrence order (a stable sort of the insertion-ordered counter).
    """
    if min_freq < 1:
        from ..errors import ConfigError

        raise ConfigError(f"min_freq must be >= 1, got {min_freq}")
    counter: Counter[str] = Counter()
    for tokens in token_lists:
        counter.update(tokens)
    ordered = sorted(((t, c) for t, c in counter.items() if c >= min_freq and t not in specials),
                     key=lambda tc: -tc[1])
    itos = list(specials) + [t for t, _ in ordered]
    counts = [0] * len(specials) + [c for _, c in ordered]
    return Vocab(itos=itos, counts=counts, unk_index=0)


def build_vocab_from_ids(token_ids: torch.Tensor, token_table: Sequence[str], min_freq: int = 10,
                         specials: Sequence[str] = ("<unk>", "<pad>")) -> tuple[Vocab, torch.Tensor]:
    """The :func:`build_vocab` result for a corpus given as ids into ``token_table`` (same order, ties by first
    occurrence), plus a table mapping every corpus token id to its vocabulary id (−1 if not in the vocabulary)."""
    if min_freq < 1:
        from ..errors import ConfigError

        raise ConfigError(f"min_freq must be >= 1, got {min_freq}")
    n = len(token_table)
    ids = token_ids.to(torch.int64)
    counts = torch.bincount(ids, minlength=n)
    first = torch.full((n,), ids.numel(), dtype=torch.int64)
    first.scatter_reduce_(0, ids, torch.arange(ids.numel()), reduce="amin")
    special_set = set(specials)
    keep = [i for i in torch.nonzero(counts >= min_freq).flatten().tolist() if token_table[i] not in special_set]
    keep.sort(key=lambda i: (-int(counts[i]), int(first[i])))
    vocab = Vocab(itos=list(specials) + [token_table[i] for i in keep],
                  counts=[0] * len(specials) + [int(counts[i]) for i in keep], unk_index=0)
    to_vocab = torch.full((n,), -1, dtype=torch.int64)
    if keep:
        to_vocab[torch.tensor(keep)] = torch.arange(len(specials), len(specials) + len(keep))
    for j, tok in enumerate(specials):
        if tok in token_table:
            to_vocab[token_table.index(tok)] = j
    return vocab, to_vocab
