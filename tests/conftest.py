"""Shared fixtures: tiny synthetic data in the real formats (aclImdb tarball, GloVe text)."""

from __future__ import annotations

import gzip
import io
import random
import tarfile
from pathlib import Path

import pytest

POS_WORDS = ["great", "wonderful", "superb", "loved", "brilliant", "moving"]
NEG_WORDS = ["awful", "boring", "terrible", "hated", "dull", "waste"]
NEUTRAL = ["the", "movie", "film", "was", "a", "and", "plot", "actor", "it", "this"]


def _review(rng: random.Random, positive: bool) -> str:
    words = [rng.choice(NEUTRAL) for _ in range(rng.randint(8, 16))]
    for _ in range(rng.randint(2, 4)):
        words.insert(rng.randrange(len(words)), rng.choice(POS_WORDS if positive else NEG_WORDS))
    return " ".join(words).capitalize() + ". <br /><br />Really, " + rng.choice(NEUTRAL) + "!"


def make_aclimdb_tar(path: Path, n_per_label: int = 30, seed: int = 0, compression: str = "gz") -> Path:
    """An aclImdb archive in the official layout with synthetic reviews."""
    rng = random.Random(seed)
    with tarfile.open(path, f"w:{compression}") as tar:
        for split in ("train", "test"):
            for label in ("neg", "pos"):
                for i in range(n_per_label):
                    rating = rng.randint(7, 10) if label == "pos" else rng.randint(1, 4)
                    data = _review(rng, label == "pos").encode()
                    info = tarfile.TarInfo(f"aclImdb/{split}/{label}/{i}_{rating}.txt")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    return path


def make_glove(path: Path, dim: int = 100, seed: int = 0) -> Path:
    """A GloVe-format file: sentiment words separated along the first dimensions."""
    rng = random.Random(seed)
    lines = []
    for w in NEUTRAL + POS_WORDS + NEG_WORDS + [".", "!", ","]:
        vec = [rng.gauss(0, 0.3) for _ in range(dim)]
        if w in POS_WORDS:
            vec[:10] = [v + 1.5 for v in vec[:10]]
        if w in NEG_WORDS:
            vec[:10] = [v - 1.5 for v in vec[:10]]
        lines.append(w + " " + " ".join(f"{v:.5f}" for v in vec))
    data = ("\n".join(lines) + "\n").encode()
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data root with imdb/aclImdb_v1.tar.gz and glove/glove.6B.100d.txt.gz (synthetic)."""
    root = tmp_path_factory.mktemp("data")
    (root / "imdb").mkdir()
    (root / "glove").mkdir()
    make_aclimdb_tar(root / "imdb" / "aclImdb_v1.tar.gz")
    make_glove(root / "glove" / "glove.6B.100d.txt.gz")
    return root


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the token cache of tests out of the user's cache folder."""
    monkeypatch.setenv("MEMSNN_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
