"""Weight-update schemes: how a gradient becomes a weight change, in FP32 or as device pulses.

Demirag et al., "Online Training of Spiking Recurrent Neural Networks with Phase-Change Memory Synapses",
arXiv:2108.01804 (2021). The crossbar schemes act on a :class:`~memsnn.crossbar.differential.DifferentialArray`
of any device model with potentiating pulses; a positive conductance change ``dG`` pulses ``G⁺``, a negative
one ``G⁻``.

* ``vanilla``: ``W ← clip(W − lr·∇W, ±1)`` (FP32).
* ``accumulator``: ``acc += lr·∇W; q = Q(acc); acc −= q; W ← clip(W − q, ±1)`` (FP32 with low-precision updates).
* ``sign``: one SET pulse on all N devices of ``G⁺`` where ``∇W < −thr`` and of ``G⁻`` where ``∇W > thr``;
  ``thr > 0`` is the stop-learning regime (small gradients are not applied).
* ``stochastic``: ``dG = −lr·∇W·scale``; each side fires at most one pulse with probability ``|dG|/prob_scale``.
* ``multi-mem``: ``n = trunc(|dG|/(ε/N))`` pulses dealt round-robin over the N devices of a side (Boybat 2018).
  ``mm_rounding="stochastic"`` rounds ``r = |dG|/(ε/N)`` stochastically instead, ``n = floor(r) + [U < r − floor r]``
  (unbiased, ``E[n] = r``): requests below one device pulse are realised with probability ``r`` — the stochastic
  scheme's rule at the finer per-device step — instead of being dropped on every update.
* ``mixed-precision``: FP32 accumulator as ``accumulator``; ``dG = −q·scale`` realised with ``|dG|/ε`` pulses
  (Nandakumar et al., Front. Neurosci. 2020).

The quantiser ``Q(acc) = round_mode(acc/ε_acc)·ε_acc`` uses ``rounding="trunc"`` (toward zero, symmetric; the
behaviour of ``torch.floor_divide`` before PyTorch 1.13 with which the paper was produced) by default;
``rounding="floor"`` reproduces the original code under current PyTorch, which applies every small negative
accumulation at once as −ε_acc while positive ones wait (asymmetric, diverges with the tuned set).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from ..config import Config, check_choice, check_positive
from ..crossbar.differential import PULSE_RULES, REWRITES, DifferentialArray, pulse_counts
from ..errors import ConfigError

METHODS = ("vanilla", "accumulator", "sign", "stochastic", "multi-mem", "mixed-precision")
FP32_METHODS = ("vanilla", "accumulator")
WRITE_METHODS = ("stochastic", "multi-mem", "mixed-precision", "upd-ready")
ROUNDINGS = ("trunc", "floor")
MM_ROUNDINGS = ("trunc", "stochastic")

# Refresh thresholds of the reference implementation: (side threshold µS, max |G⁺−G⁻| µS, pulse size ε µS).
REFRESH = {"sign": (6.0, 6.0 / 4, 0.75), "stochastic": (9.0, 9.0 / 4, 0.75), "multi-mem": (9.0, 9.0 / 2, 0.75),
           "mixed-precision": (6.0, 6.0 / 4, 0.75), "upd-ready": (6.0, 6.0 / 4, 0.75)}


@dataclasses.dataclass
class SchemeConfig(Config):
    """Options of the update schemes."""

    method: str = "vanilla"
    grad_thr: float = 0.0  # sign: gradients with |∇W| <= grad_thr are not applied
    prob_scale: float = 1.0  # stochastic: P(pulse) = |dG| / prob_scale
    acc_eps: float = 0.125  # accumulator / mixed-precision: update quantum
    rounding: str = "trunc"  # quantiser: trunc (symmetric) or floor (original under torch >= 1.13)
    pulse_eps: float = 0.75  # nominal conductance change of one pulse (µS)
    pulse_rule: str = "round"  # pulse-count rounding, see memsnn.crossbar.differential ("faithful" = original)
    clip: float = 1.0  # FP32 weight clip
    refresh_rewrite: str = "nominal"  # refresh: re-write |diff|/pulse_eps pulses, or invert the mean SET curve
    mm_rounding: str = "trunc"  # multi-mem pulse count: trunc (the original) or stochastic (unbiased)

    def validate(self) -> None:
        check_choice("method", self.method, METHODS)
        check_choice("rounding", self.rounding, ROUNDINGS)
        check_choice("pulse_rule", self.pulse_rule, PULSE_RULES)
        check_choice("refresh_rewrite", self.refresh_rewrite, REWRITES)
        check_choice("mm_rounding", self.mm_rounding, MM_ROUNDINGS)
        check_positive("grad_thr", self.grad_thr, allow_zero=True)
        for name in ("prob_scale", "acc_eps", "pulse_eps", "clip"):
            check_positive(name, getattr(self, name))


def quantise(acc: torch.Tensor, eps: float, rounding: str = "trunc") -> tuple[torch.Tensor, torch.Tensor]:
    """Split ``acc`` into a multiple ``q`` of ``eps`` and the residual ``acc − q`` (trunc or floor division)."""
    check_choice("rounding", rounding, ROUNDINGS)
    q = torch.div(acc, eps, rounding_mode=rounding) * eps
    return q, acc - q


def refresh_pairs(arr: DifferentialArray, method: str, *, t: Any = 0.0, generator: torch.Generator | None = None,
                  eps: float = 0.75, rule: str = "round", rewrite: str = "nominal") -> int:
    """Refresh saturated pairs with the thresholds of ``method`` (see REFRESH; the sign method, which has none in
    the original, uses the mixed-precision ones). Returns the number of refreshed synapses."""
    g_thr, diff_max, _ = REFRESH[method]
    rr = method == "multi-mem"
    return arr.refresh(g_thr, diff_max, eps / arr.n if rr else eps, t, generator, round_robin=rr, rule=rule,
                       rewrite=rewrite)


def write_delta(arr: DifferentialArray, dG: torch.Tensor, method: str, *, t: Any = 0.0,
                generator: torch.Generator | None = None, refresh: bool = False, eps: float = 0.75,
                prob_scale: float = 1.0, rule: str = "round", rewrite: str = "nominal",
                mm_rounding: str = "trunc") -> int:
    """Realise conductance changes ``dG[*shape]`` on the array with one of the write methods; returns the number
    of SET pulses (refresh pulses included). ``upd-ready`` first RESETs the opposite side where the potentiated
    side cannot absorb ``|dG|`` (``|dG| > 10 − G_p``) and re-plans ``dG`` against the new state. ``mm_rounding``:
    multi-mem pulse count, ``trunc`` or ``stochastic`` (unbiased, see the module docstring)."""
    check_choice("write method", method, WRITE_METHODS)
    check_choice("mm_rounding", mm_rounding, MM_ROUNDINGS)
    before = arr.pulses_applied
    if method == "upd-ready":
        side = arr.side_conductance()
        target = arr.estimate() + dG
        gp = torch.where(dG >= 0, side[0], side[1])
        full = dG.abs() > 10.0 - gp
        arr.reset_sides(torch.stack([full & (dG < 0), full & (dG >= 0)]), t, generator)  # RESET the other side
        dG = target - arr.estimate()
    if refresh:
        refresh_pairs(arr, method, t=t, generator=generator, eps=eps, rule=rule, rewrite=rewrite)
    req = torch.stack([dG.clamp(min=0), (-dG).clamp(min=0)])
    if method == "stochastic":
        u = torch.rand(req.shape, generator=generator, dtype=req.dtype)
        arr.pulse_sides((req / prob_scale > u).to(torch.int64), t, generator)
    elif method == "multi-mem":
        r = req / (eps / arr.n)
        if mm_rounding == "stochastic":
            n = torch.floor(r)
            n = n + (torch.rand(r.shape, generator=generator, dtype=r.dtype) < r - n).to(r.dtype)
        else:
            n = torch.trunc(r)
        arr.pulse(arr.round_robin_counts(n), t, generator)
    else:
        arr.pulse_sides(pulse_counts(req / eps, rule), t, generator)
    return arr.pulses_applied - before


def target_write(arr: DifferentialArray, g_target: torch.Tensor, method: str, **kw: Any) -> int:
    """Program the arrays toward target conductance differences (µS) using the "perfect" state estimate."""
    return write_delta(arr, g_target - arr.estimate(), method, **kw)


class UpdateScheme:
    """One update method applied to named layers (keeps per-layer accumulators)."""

    def __init__(self, cfg: SchemeConfig):
        cfg.validate()
        self.cfg = cfg
        self.acc: dict[str, torch.Tensor] = {}

    @property
    def uses_crossbar(self) -> bool:
        return self.cfg.method not in FP32_METHODS

    def _quantised(self, name: str, step: torch.Tensor) -> torch.Tensor:
        acc = self.acc.get(name, torch.zeros_like(step)) + step
        q, self.acc[name] = quantise(acc, self.cfg.acc_eps, self.cfg.rounding)
        return q

    def update_float(self, name: str, w: torch.Tensor, grad: torch.Tensor, lr: float) -> torch.Tensor:
        """FP32 methods: the new weight matrix."""
        c = self.cfg
        if c.method == "vanilla":
            return (w - lr * grad).clamp(-c.clip, c.clip)
        if c.method == "accumulator":
            return (w - self._quantised(name, lr * grad)).clamp(-c.clip, c.clip)
        raise ConfigError(f"method {c.method!r} needs crossbar arrays (--xbar)")

    def update_array(self, name: str, arr: DifferentialArray, grad: torch.Tensor, lr: float, *, t: Any,
                     generator: torch.Generator | None, refresh: bool = False) -> int:
        """Crossbar methods: program the array in place; returns the number of SET pulses."""
        c = self.cfg
        if c.method == "sign":
            counts = torch.stack([grad < -c.grad_thr, grad > c.grad_thr]).to(torch.int64)
            before = arr.pulses_applied
            if refresh:
                refresh_pairs(arr, "sign", t=t, generator=generator, eps=c.pulse_eps, rule=c.pulse_rule,
                              rewrite=c.refresh_rewrite)
            arr.pulse_sides(counts, t, generator)
            return arr.pulses_applied - before
        if c.method == "mixed-precision":
            dG = -self._quantised(name, lr * grad) * arr.scale
        elif c.method in ("stochastic", "multi-mem"):
            dG = -lr * grad * arr.scale
        else:
            raise ConfigError(f"method {c.method!r} updates FP32 weights; run it without --xbar")
        return write_delta(arr, dG, c.method, t=t, generator=generator, refresh=refresh, eps=c.pulse_eps,
                           prob_scale=c.prob_scale, rule=c.pulse_rule, rewrite=c.refresh_rewrite,
                           mm_rounding=c.mm_rounding)

    def state_dict(self) -> dict[str, Any]:
        return {"acc": dict(self.acc)}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        self.acc = dict(d["acc"])
