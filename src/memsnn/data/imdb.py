"""IMDB Large Movie Review Dataset v1 (Maas et al. 2011) in its original ``aclImdb`` layout.

Reads ``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt`` from a folder or a ``.tar``/``.tar.gz``/``.tar.xz``
archive, tokenises with ``basic_english`` and caches the tokenised corpus (keyed by the source's path, size and
modification time) so a second run starts in about a second. Label 1 = pos, 0 = neg (Huang et al. 2022, spec §1).
"""

from __future__ import annotations

import hashlib
import lzma
import re
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import DataError
from .paths import cache_dir, download, locate
from .text import tokenize_corpus

IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_MD5 = "7c2ac02c03563afcf9b574c7e56c153a"
LAYOUT = "aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt (a folder, or a .tar/.tar.gz/.tar.xz holding it)"
# Where the data root may hold the corpus, in order of preference.
CANDIDATES = ("imdb/aclImdb", "imdb/aclImdb_v1_labelled.tar.xz", "imdb/aclImdb_v1.tar.gz", "aclImdb",
              "aclImdb_v1.tar.gz", "aclImdb_v1_labelled.tar.xz")
_NAME = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")
_CACHE_VERSION = 2


@dataclass
class ImdbSplit:
    """Tokenised reviews of one split, sorted by (label neg→pos, id).

    Tokens are stored compactly: ``token_ids[offsets[i]:offsets[i+1]]`` index the corpus-wide ``token_table``.
    """

    token_table: list[str]
    token_ids: torch.Tensor  # int32, flat
    offsets: torch.Tensor  # int64, len = n_reviews + 1
    labels: torch.Tensor  # int64, 1 = pos
    ids: torch.Tensor  # review id within its label folder
    ratings: torch.Tensor

    def __len__(self) -> int:
        return self.labels.numel()

    def review_ids(self, i: int) -> torch.Tensor:
        """Corpus token ids of review i."""
        return self.token_ids[int(self.offsets[i]):int(self.offsets[i + 1])]

    @property
    def tokens(self) -> list[list[str]]:
        """Token strings of every review (slow; for inspection and small corpora)."""
        table = self.token_table
        flat = [table[t] for t in self.token_ids.tolist()]
        offs = self.offsets.tolist()
        return [flat[offs[i]:offs[i + 1]] for i in range(len(self))]


def _records_from_folder(root: Path) -> list[tuple[str, int, int, int, str]]:
    base = root if (root / "train").is_dir() or (root / "test").is_dir() else root / "aclImdb"
    out = []
    for split in ("train", "test"):
        for label in ("neg", "pos"):
            d = base / split / label
            if not d.is_dir():
                raise DataError(f"IMDB folder {root} lacks {split}/{label}/; expected layout {LAYOUT}")
            for f in d.glob("*.txt"):
                m = re.fullmatch(r"(\d+)_(\d+)\.txt", f.name)
                if m:
                    out.append((split, int(label == "pos"), int(m[1]), int(m[2]),
                                f.read_bytes().decode("utf-8", errors="replace")))
    return out


def _records_from_tar(path: Path) -> list[tuple[str, int, int, int, str]]:
    out = []
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                m = _NAME.search(member.name)
                if not m or not member.isfile():
                    continue
                fh = tar.extractfile(member)
                data = fh.read() if fh is not None else b""
                out.append((m[1], int(m[2] == "pos"), int(m[3]), int(m[4]), data.decode("utf-8", errors="replace")))
    except (tarfile.TarError, EOFError, lzma.LZMAError, zlib.error, OSError) as exc:
        raise DataError(f"IMDB archive {path} is truncated or corrupt ({type(exc).__name__}: {exc}); "
                        f"expected {LAYOUT}") from None
    return out


def read_aclimdb(path: str | Path) -> list[tuple[str, int, int, int, str]]:
    """All labelled reviews as (split, label, id, rating, text), sorted by split, label, id."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"IMDB data not found at {p}; expected {LAYOUT}")
    records = _records_from_folder(p) if p.is_dir() else _records_from_tar(p)
    for split in ("train", "test"):
        for label in (0, 1):
            if not any(r[0] == split and r[1] == label for r in records):
                raise DataError(f"IMDB data at {p} has no {split}/{'pos' if label else 'neg'} reviews; "
                                f"expected {LAYOUT}")
    records.sort(key=lambda r: (r[0] != "train", r[1], r[2]))
    return records


def locate_imdb(path: str | Path | None = None, data_dir: str | Path | None = None, *, allow_download: bool = True) -> Path:
    """The IMDB source to use: an explicit path, else the first candidate under the data roots, else a download."""
    fetch = (lambda: download(IMDB_URL, cache_dir() / "data" / "imdb" / "aclImdb_v1.tar.gz", md5=IMDB_MD5)) \
        if allow_download else None
    return locate("IMDB data", CANDIDATES, f"imdb/{LAYOUT}", path, data_dir, fetch)


def _cache_key(source: Path) -> str:
    st = source.stat()
    raw = f"{source.resolve()}|{st.st_size}|{st.st_mtime_ns}|v{_CACHE_VERSION}"
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def load_imdb(source: str | Path, *, use_cache: bool = True) -> tuple[ImdbSplit, ImdbSplit]:
    """(train, test) splits of the tokenised corpus; cached under the user cache folder."""
    source = Path(source)
    cache = cache_dir() / "imdb" / f"tokens-{_cache_key(source)}.pt"
    if use_cache and cache.exists():
        try:
            blob = torch.load(cache, weights_only=False)
            return blob["train"], blob["test"]
        except Exception:  # a broken cache file is rebuilt
            cache.unlink(missing_ok=True)
    records = read_aclimdb(source)
    tokens = tokenize_corpus([r[4] for r in records])
    table: dict[str, int] = {}
    splits = []
    for split in ("train", "test"):
        idx = [i for i, r in enumerate(records) if r[0] == split]
        flat = [table.setdefault(tok, len(table)) for i in idx for tok in tokens[i]]
        lengths = torch.tensor([len(tokens[i]) for i in idx], dtype=torch.int64)
        offsets = torch.zeros(len(idx) + 1, dtype=torch.int64)
        offsets[1:] = torch.cumsum(lengths, 0)
        splits.append(ImdbSplit(
            token_table=[],
            token_ids=torch.tensor(flat, dtype=torch.int32),
            offsets=offsets,
            labels=torch.tensor([records[i][1] for i in idx], dtype=torch.int64),
            ids=torch.tensor([records[i][2] for i in idx], dtype=torch.int64),
            ratings=torch.tensor([records[i][3] for i in idx], dtype=torch.int64),
        ))
    token_table = list(table)
    for sp in splits:
        sp.token_table = token_table
    if use_cache:
        from ..results import atomic_save_torch

        atomic_save_torch(cache, {"train": splits[0], "test": splits[1]})
    return splits[0], splits[1]
