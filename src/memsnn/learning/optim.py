"""Adagrad (Duchi et al. 2011) as used by Huang et al. 2022 (spec §3, §6), with an exact row-sparse update.

``s ← s + g²``, ``θ ← θ − η·g / (√s + ε)``. Rows whose gradient is zero are unchanged by a dense step, so updating
only the rows a sample touches gives exactly the dense result at a fraction of the cost.
"""

from __future__ import annotations

import torch


class Adagrad:
    """Adagrad state for one parameter tensor (lr η, eps ε; torch's defaults: accumulator 0, no lr decay)."""

    def __init__(self, param: torch.Tensor, lr: float = 0.05, eps: float = 1e-10):
        self.lr = lr
        self.eps = eps
        self.sum = torch.zeros_like(param)

    def delta(self, grad: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        """Accumulate g² (for ``rows`` only if given) and return the step −η·g/(√s + ε)."""
        if rows is None:
            self.sum.addcmul_(grad, grad)
            s = self.sum
        else:
            s = self.sum[rows] + grad * grad
            self.sum[rows] = s
        return -self.lr * grad / (s.sqrt() + self.eps)

    def state_dict(self) -> dict[str, object]:
        """Serializable state."""
        return {"lr": self.lr, "eps": self.eps, "sum": self.sum.clone()}

    def load_state_dict(self, state: dict[str, object]) -> None:
        """Restore from :meth:`state_dict`."""
        self.lr = float(state["lr"])  # type: ignore[arg-type]
        self.eps = float(state["eps"])  # type: ignore[arg-type]
        self.sum = state["sum"].clone()  # type: ignore[union-attr]
