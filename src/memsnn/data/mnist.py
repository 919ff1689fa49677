"""MNIST in the idx format (LeCun et al. 1998), gzip-compressed or raw.

Files (under ``<data root>/mnist/``): ``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``,
``t10k-images-idx3-ubyte[.gz]``, ``t10k-labels-idx1-ubyte[.gz]``. The data root comes from
:func:`memsnn.data.paths.find_data` (``--data-dir`` → ``$MEMSNN_DATA`` → ``shared/data`` → cache).
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import torch

from ..errors import DataError
from .paths import ENV_VAR, find_data

RELATIVE = Path("mnist")
FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """Read one idx file (``.gz`` or raw); DataError naming the file if it is malformed."""
    path = Path(path)
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise DataError(f"{path} not found") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path} is not a readable (gzip) idx file: {exc}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise DataError(f"{path} is not an idx file (bad magic number {raw[:4].hex() or 'empty'})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated idx header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_DTYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(f"{path}: idx header announces shape {shape} ({expected} bytes) but the file holds "
                        f"{len(raw) - header} bytes of data")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


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


def load_mnist(split: str = "train", data_dir: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``[n, 784]`` uint8 and labels ``[n]`` int64 of the 'train' or 'test' split."""
    if split not in ("train", "test"):
        raise DataError(f"MNIST split must be 'train' or 'test', got {split!r}")
    folder = mnist_dir(data_dir)
    images = read_idx(_file(folder, FILES[(split, "images")]))
    labels = read_idx(_file(folder, FILES[(split, "labels")]))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise DataError(f"MNIST {split}: images {images.shape} and labels {labels.shape} do not match")
    return (torch.from_numpy(images.reshape(images.shape[0], -1).copy()),
            torch.from_numpy(labels.astype(np.int64)))
