"""Predict–write–verify programming (Huang et al. 2022 §2.5; spec §5), vectorised over devices and pulse options.

Repeat up to ``max_rounds`` times: read the array (with read noise) → R_m; devices with |R* − R_m|/R* > tolerance
receive the pulse option that the device model predicts lands closest to R* starting from R_m (positive options only
where R* > R_m, negative ones where R* ≤ R_m; "no pulse" is the starting candidate; ties go to the later option);
the pulse is applied to the true state. All devices and all options are evaluated at once; tolerance and read noise
may be tensors that broadcast against the array (a leading configuration dimension programs a sweep in one call).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import torch

from ..config import Config, check_positive, check_range
from ..devices.base import noisy_read
from ..errors import ConfigError

APPROACH1_POSITIVE = (1e-6, 2e-6, 10e-6, 20e-6, 50e-6, 100e-6)
APPROACH1_NEGATIVE = (1e-6, 2e-6, 10e-6, 20e-6, 100e-6, 1000e-6, 2000e-6, 5000e-6)
APPROACH2_POSITIVE = (1e-6, 2e-6, 10e-6, 20e-6, 50e-6)
APPROACH2_NEGATIVE = (1e-6, 2e-6, 10e-6, 20e-6, 100e-6)


@dataclass
class WriteVerifyConfig(Config):
    """Pulse options and stopping rule of predict–write–verify (defaults: approach 2 of Huang et al. 2022)."""

    positive_v: float = 0.9
    positive_widths: tuple[float, ...] = APPROACH2_POSITIVE
    negative_v: float = -1.2
    negative_widths: tuple[float, ...] = APPROACH2_NEGATIVE
    max_rounds: int = 5
    r_tolerance: float = 0.005

    def validate(self) -> None:
        """Voltages of the right sign, positive widths, rounds ≥ 1, tolerance in (0, 1)."""
        if self.positive_v <= 0:
            raise ConfigError(f"positive_v must be > 0, got {self.positive_v}")
        if self.negative_v >= 0:
            raise ConfigError(f"negative_v must be < 0, got {self.negative_v}")
        for name in ("positive_widths", "negative_widths"):
            widths = getattr(self, name)
            if not widths:
                raise ConfigError(f"{name} must not be empty")
            for w in widths:
                check_positive(name, w)
        check_positive("max_rounds", self.max_rounds)
        check_range("r_tolerance", self.r_tolerance, 0.0, 1.0, closed="()")

    @classmethod
    def approach1(cls, **kw: object) -> "WriteVerifyConfig":
        """Pulse options used to program the converted network once (approach 1)."""
        return cls(positive_widths=APPROACH1_POSITIVE, negative_widths=APPROACH1_NEGATIVE, **kw)  # type: ignore[arg-type]

    @classmethod
    def approach2(cls, **kw: object) -> "WriteVerifyConfig":
        """Pulse options used after every training sample (approach 2)."""
        return cls(**kw)  # type: ignore[arg-type]


class PulsedResistiveDevice(Protocol):
    """What write–verify needs of a device model (e.g. :class:`memsnn.devices.rram.RRAMDevice`)."""

    def pulse(self, R: torch.Tensor, v: torch.Tensor | float, width: torch.Tensor | float) -> torch.Tensor: ...

    def predict_options(self, R: torch.Tensor, v: float, widths: tuple[float, ...]) -> torch.Tensor: ...


@dataclass
class ProgramStats:
    """Per-device statistics of one programming call."""

    pulses: torch.Tensor  # pulses applied to each device
    rounds: torch.Tensor  # verify rounds in which each device was found outside tolerance
    rel_error: torch.Tensor  # final |R − R*| / R* of the true state
    within_tolerance: torch.Tensor = field(init=False)
    tolerance: torch.Tensor | float = 0.0

    def __post_init__(self) -> None:
        self.within_tolerance = self.rel_error <= torch.as_tensor(self.tolerance, dtype=self.rel_error.dtype)

    def summary(self) -> dict[str, float]:
        """Scalar summary: mean pulses, max rounds, fraction outside tolerance, mean/max relative error."""
        return {
            "mean_pulses": float(self.pulses.float().mean()),
            "total_pulses": int(self.pulses.sum()),
            "max_rounds": int(self.rounds.max()) if self.rounds.numel() else 0,
            "frac_outside_tolerance": float((~self.within_tolerance).float().mean()),
            "mean_rel_error": float(self.rel_error.mean()),
            "max_rel_error": float(self.rel_error.max()),
        }


def _best_option(target: torch.Tensor, start_dist: torch.Tensor, pred: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(index of the best option or −1 for none, its distance); ties go to the later option (and beat 'none')."""
    dist = (target.unsqueeze(-1) - pred).abs()
    flipped = dist.flip(-1)
    d_min, idx_f = flipped.min(dim=-1)  # first minimum of the flipped list = last minimum of the original
    idx = dist.shape[-1] - 1 - idx_f
    take = d_min <= start_dist
    return torch.where(take, idx, torch.full_like(idx, -1)), torch.where(take, d_min, start_dist)


def plan_pulses(device: PulsedResistiveDevice, R_meas: torch.Tensor, target: torch.Tensor,
                cfg: WriteVerifyConfig) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Choose a pulse per device from measured R: (chosen mask, voltage, width)."""
    dtype = R_meas.dtype
    up = target > R_meas
    start = (target - R_meas).abs()
    pos_idx, _ = _best_option(target, start, device.predict_options(R_meas, cfg.positive_v, cfg.positive_widths))
    neg_idx, _ = _best_option(target, start, device.predict_options(R_meas, cfg.negative_v, cfg.negative_widths))
    idx = torch.where(up, pos_idx, neg_idx)
    chosen = idx >= 0
    pw = torch.tensor(cfg.positive_widths, dtype=dtype, device=R_meas.device)
    nw = torch.tensor(cfg.negative_widths, dtype=dtype, device=R_meas.device)
    safe = idx.clamp_min(0)
    width = torch.where(up, pw[safe.clamp_max(len(pw) - 1)], nw[safe.clamp_max(len(nw) - 1)])
    volt = torch.where(up, torch.full_like(width, cfg.positive_v), torch.full_like(width, cfg.negative_v))
    return chosen, volt, width


def write_verify(device: PulsedResistiveDevice, R: torch.Tensor, target: torch.Tensor, cfg: WriteVerifyConfig, *,
                 read_noise: torch.Tensor | float = 0.0, tolerance: torch.Tensor | float | None = None,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, ProgramStats]:
    """Program true resistances ``R`` toward ``target``; returns (new R, per-device stats).

    ``tolerance`` (default ``cfg.r_tolerance``) and ``read_noise`` broadcast against R. Stops early once every device
    reads within tolerance (the remaining rounds would pulse nothing).
    """
    tol = torch.as_tensor(cfg.r_tolerance if tolerance is None else tolerance, dtype=R.dtype, device=R.device)
    noise = torch.as_tensor(read_noise, dtype=R.dtype, device=R.device)
    target = target.to(R.dtype).expand_as(R)
    R = R.clone()
    pulses = torch.zeros(R.shape, dtype=torch.int32, device=R.device)
    rounds = torch.zeros(R.shape, dtype=torch.int32, device=R.device)
    tol_full = tol.expand(R.shape)
    noisy = bool((noise != 0).any())
    for _ in range(cfg.max_rounds):
        R_meas = noisy_read(R, noise, generator=generator) if noisy else R
        need = (target - R_meas).abs() / target > tol_full
        if not bool(need.any()):
            break
        rounds += need.to(torch.int32)
        chosen, volt, width = plan_pulses(device, R_meas[need], target[need], cfg)
        sub = R[need]
        new = device.pulse(sub, volt, width)
        R[need] = torch.where(chosen, new, sub)
        pulses[need] += chosen.to(torch.int32)
    rel = (R - target).abs() / target
    return R, ProgramStats(pulses=pulses, rounds=rounds, rel_error=rel, tolerance=tol)
