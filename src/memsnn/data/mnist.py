"""MNIST in the idx format (LeCun et al. 1998), gzip-compressed or raw.

Files (under ``<data root>/mnist/``): ``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``,
``t10k-images-idx3-ubyte[.gz]``, ``t10k-labels-idx1-ubyte[.gz]``. The data root comes from
:func:`memsnn.data.paths.find_data` (``--data-dir`` → ``$MEMSNN_DATA`` → ``shared/data`` → cache).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..errors import DataError
from .idx import read_idx
from .paths import ENV_VAR, find_data

RELATIVE = Path("mnist")
FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}
def mnist_dir(data_dir: str | Path | None = None) -> Path:
    """The folder holding the MNIST idx files; DataError with instructions if absent."""
    found = find_data(RELATIVE, data_dir)
    if found is None:
        raise DataError(f"MNIST not found: put the four idx files (gz or raw) in <data root>/{RELATIVE}/ and pass "
                        f"--data-dir or set ${ENV_VAR}")
    return found


def _file(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (folder / name).exists():
            return folder / name
    raise DataError(f"{folder / stem}[.gz] not found")


def load_mnist_arrays(split: str = "train", data_dir: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, 28, 28)`` uint8 and labels ``(n,)`` of the 'train' or 'test' split, as numpy arrays."""
    if split not in ("train", "test"):
        raise DataError(f"MNIST split must be 'train' or 'test', got {split!r}")
    folder = mnist_dir(data_dir)
    images = read_idx(_file(folder, FILES[(split, "images")]))
    labels = read_idx(_file(folder, FILES[(split, "labels")]))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise DataError(f"MNIST {split}: images {images.shape} and labels {labels.shape} do not match")
    return images, labels


def load_mnist(split: str = "train", data_dir: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``[n, 784]`` uint8 and labels ``[n]`` int64 of the 'train' or 'test' split."""
    images, labels = load_mnist_arrays(split, data_dir)
    return (torch.from_numpy(images.reshape(images.shape[0], -1).copy()),
            torch.from_numpy(labels.astype(np.int64)))
