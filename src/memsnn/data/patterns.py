"""Binary pattern sets of the in-situ learning paper and 10×10 MNIST class templates.

S. L. Jurj, Electronics 13(23), 4665 (2024): XPUE (3×3 letters X, +, U, =), the digits 0–5 on a 3×5 grid (row-major,
5 rows × 3 columns), and MNIST reduced to 10×10 binary images with the 19 brightest pixels on.
"""

from __future__ import annotations


import numpy as np
import torch

from ..errors import ConfigError, DataError

XPUE = torch.tensor([
    [1, 0, 1, 0, 1, 0, 1, 0, 1],  # X
    [0, 1, 0, 1, 1, 1, 0, 1, 0],  # +
    [1, 0, 1, 1, 0, 1, 1, 1, 1],  # U
    [1, 1, 1, 0, 0, 0, 1, 1, 1],  # =
], dtype=torch.float64)
XPUE_NAMES = ("X", "+", "U", "=")

DIGITS_012345 = torch.tensor([
    [1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1],
    [0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0],
    [1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1],
    [1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1],
    [1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 0, 0, 1],
    [1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1],
], dtype=torch.float64)
DIGITS_NAMES = ("0", "1", "2", "3", "4", "5")

#: (patterns, class names, image shape (rows, cols))
PATTERN_SETS = {"xpue": (XPUE, XPUE_NAMES, (3, 3)), "012345": (DIGITS_012345, DIGITS_NAMES, (5, 3))}

def pattern_set(name: str) -> tuple[torch.Tensor, tuple[str, ...], tuple[int, int]]:
    """(patterns (classes × inputs), class names, image shape) of ``xpue`` or ``012345``."""
    if name not in PATTERN_SETS:
        raise ConfigError(f"unknown pattern set {name!r} (known: {', '.join(PATTERN_SETS)})")
    pats, names, shape = PATTERN_SETS[name]
    return pats.clone(), names, shape


def check_patterns(x: torch.Tensor, n_inputs: int, what: str = "pattern") -> torch.Tensor:
    """``x`` as a float64 (N, n_inputs) tensor of finite voltages; DataError naming the size otherwise."""
    x = torch.as_tensor(x, dtype=torch.float64)
    if x.dim() == 1:
        x = x.unsqueeze(0)
    if x.dim() != 2 or x.shape[1] != n_inputs:
        raise DataError(f"{what} has shape {tuple(x.shape)}, expected (N, {n_inputs}) for a network with "
                        f"{n_inputs} inputs")
    if not torch.isfinite(x).all():
        raise DataError(f"{what} contains non-finite values")
    return x


def resize_bicubic(images: np.ndarray, size: int) -> np.ndarray:
    """Resize uint8 images (N, H, W) to (N, size, size) with Pillow's default filter for mode L (bicubic)."""
    from PIL import Image

    images = np.ascontiguousarray(images, dtype=np.uint8)
    return np.stack([np.asarray(Image.fromarray(im).resize((size, size), Image.Resampling.BICUBIC)) for im in images])


def binarise_top(images: np.ndarray, top: int) -> np.ndarray:
    """1 where a pixel is strictly greater than the ``top``-th largest value of its image (≤ top−1 ones)."""
    flat = images.reshape(images.shape[0], -1)
    kth = np.sort(flat, axis=1)[:, -top]
    return (flat > kth[:, None]).astype(np.float64)


def mnist_templates(images: np.ndarray, labels: np.ndarray, *, per_class: int = 100, size: int = 10,
                    top: int = 20, n_classes: int = 10) -> torch.Tensor:
    """Class templates: mean of the first ``per_class`` images of each label (dataset order), ×255 → uint8,
    bicubic resize to size×size, then :func:`binarise_top`; returns (n_classes, size²)."""
    out = []
    for j in range(n_classes):
        idx = np.flatnonzero(labels == j)[:per_class]
        if len(idx) < per_class:
            raise DataError(f"only {len(idx)} MNIST images of class {j}, need {per_class}")
        mean = (images[idx].astype(np.float64) / 255.0).mean(axis=0)
        out.append((mean * 255).astype(np.uint8))
    small = resize_bicubic(np.stack(out), size)
    return torch.from_numpy(binarise_top(small, top))


def mnist_test_images(images: np.ndarray, n: int, *, size: int = 10, top: int = 20) -> torch.Tensor:
    """First ``n`` images reduced like the templates: (n, size²) binary."""
    return torch.from_numpy(binarise_top(resize_bicubic(images[:n], size), top))
