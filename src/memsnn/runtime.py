"""Runtime settings shared by the experiments."""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run a block with ``n`` intra-op threads (online loops over tiny tensors gain nothing from more, and lose
    milliseconds per operation to thread synchronisation on a busy machine)."""
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def set_threads(n: int) -> None:
    """Use ``n`` threads in torch and in the compiled (numba) kernels (numba: at most its NUMBA_NUM_THREADS). numba
    first: starting its OpenMP pool resets the process-wide OpenMP thread count that torch then sets (the other
    order left torch's small operations on two threads with a spinning worker, 3× slower with two runs at once)."""
    import numba

    numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))
    torch.set_num_threads(n)
