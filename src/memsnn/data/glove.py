"""GloVe word vectors (Pennington et al. 2014) in the original text format, and the normalised embedding matrix.

Huang et al. 2022 (spec §1): row i of the embedding is the GloVe 6B-100d vector of vocabulary word i; words without
a vector get N(0, 0.6²) per component (seeded); then the whole matrix is min–max normalised to [0, 1] with one
global min and max.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path
from typing import Iterable

import torch

from ..errors import DataError
from .paths import cache_dir, download, locate
from .text import Vocab

GLOVE_ZIP_URL = "https://nlp.stanford.edu/data/glove.6B.zip"
GLOVE_ZIP_SIZE = 862182613
CANDIDATES = ("glove/glove.6B.{d}d.txt", "glove/glove.6B.{d}d.txt.gz", "glove/glove.6B.{d}d.imdb_subset.txt.gz",
              "glove.6B.{d}d.txt", "glove.6B.{d}d.txt.gz")


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def read_glove(path: str | Path, dim: int = 100, words: Iterable[str] | None = None) -> dict[str, torch.Tensor]:
    """Vectors from a GloVe ``.txt``/``.txt.gz`` file (``word v1 ... v_dim`` per line).

    Only ``words`` are kept when given. A line with the wrong number of values raises DataError naming the line.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"GloVe file not found: {p} (expected glove.6B.{dim}d.txt[.gz], lines 'word v1 ... v{dim}')")
    wanted = set(words) if words is not None else None
    out: dict[str, torch.Tensor] = {}
    try:
        with _open_text(p) as fh:
            for lineno, line in enumerate(fh, 1):
                parts = line.rstrip("\n").rstrip(" ").split(" ")
                if len(parts) != dim + 1:
                    raise DataError(f"GloVe file {p} line {lineno}: expected a word and {dim} values, "
                                    f"got {len(parts) - 1} values")
                word = parts[0]
                if wanted is not None and word not in wanted:
                    continue
                try:
                    out[word] = torch.tensor([float(x) for x in parts[1:]], dtype=torch.float32)
                except ValueError:
                    raise DataError(f"GloVe file {p} line {lineno}: non-numeric value") from None
    except (EOFError, OSError, zipfile.BadZipFile) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"GloVe file {p} is truncated or corrupt ({exc})") from None
    return out


def locate_glove(path: str | Path | None = None, data_dir: str | Path | None = None, dim: int = 100,
                 *, allow_download: bool = True) -> Path:
    """The GloVe file to use: explicit path, else the first candidate under the data roots, else a download."""

    def fetch() -> Path:
        zpath = download(GLOVE_ZIP_URL, cache_dir() / "data" / "glove" / "glove.6B.zip", size=GLOVE_ZIP_SIZE)
        target = cache_dir() / "data" / "glove" / f"glove.6B.{dim}d.txt"
        with zipfile.ZipFile(zpath) as zf:
            zf.extract(f"glove.6B.{dim}d.txt", target.parent)
        return target

    return locate(f"GloVe {dim}d", [c.format(d=dim) for c in CANDIDATES],
                  f"glove/glove.6B.{dim}d.txt[.gz] (lines 'word v1 ... v{dim}')", path, data_dir,
                  fetch if allow_download else None)


def embedding_matrix(vocab: Vocab, vectors: dict[str, torch.Tensor], dim: int = 100, *, oov_std: float = 0.6,
                     generator: torch.Generator | None = None, normalize: bool = True) -> tuple[torch.Tensor, int]:
    """(|V|×dim embedding, number of words found in GloVe). Missing rows ~ N(0, oov_std²); global min–max to [0,1]."""
    emb = torch.randn(len(vocab), dim, generator=generator, dtype=torch.float32) * oov_std
    found = 0
    for i, word in enumerate(vocab.itos):
        vec = vectors.get(word)
        if vec is not None:
            emb[i] = vec
            found += 1
    if normalize:
        lo, hi = emb.min(), emb.max()
        emb = (emb - lo) / (hi - lo)
    return emb, found
