"""e-prop with random feedback for a recurrent LIF layer and a leaky readout.

Bellec et al., Nat. Commun. 11, 3625 (2020); formulation of Demirag et al., arXiv:2108.01804 (2021). Time series
are ``[T, B, n]`` (see :mod:`memsnn.snn.recurrent`).

* pseudo-derivative ``h[t] = γ·max(0, 1 − |v[t] − thr|/thr)``
* pre-synaptic traces ``x̄[t] = α·x̄[t−1] + x[t]`` (includes x[t], as the reference implementation),
  ``z̄[t] = α·z̄[t−1] + z[t−1]``
* eligibility ``e[r,i,t] = h[t,r]·x̄[i,t]`` low-passed with the readout leak ``ē[t] = κ·ē[t−1] + e[t]``;
  output trace ``z̃[t] = κ·z̃[t−1] + z[t]``
* learning signal ``L[t,b,r] = Σ_o err[t,b,o]·B[o,r] + reg·(fr_r − f0)``, ``fr_r = Σ_{t,b} z/(T·dt)``
* ``∇W_in[r,i] = clip(Σ_{t,b} L·ē_in, ±clip)``, same for W_rec; ``∇W_out[o,r] = clip(Σ_{t,b} err·z̃, ±clip)``.

Three equivalent evaluations:

* :func:`eprop_gradients` (fast): since ``Σ_t L[t]·ē[t] = Σ_s h[s]·L̃[s]·x̄[s]`` with the anti-causal filtered
  learning signal ``L̃[s] = Σ_{t≥s} κ^{t−s}·L[t]``, the gradient is one ``[R, T·B] @ [T·B, I]`` matmul and the
  ``[R, I, T]`` eligibility tensor is never formed. O(T·R·I) time, O(T·(R+I)) memory.
* :func:`eprop_gradients_online`: the forward-in-time recursion of the eligibility traces (what an on-chip
  learner computes), one time step at a time, O(T·R·I) — the step-by-step reference path.
* :func:`eprop_gradients_conv`: the reference implementation's formulation, causal convolutions with T-long
  kernels over all R·I eligibility channels, O(R·I·T²) — used only to test and benchmark against.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import torch
import torch.nn.functional as F

from ..config import check_positive
from ..snn.filters import leaky_filter
from ..snn.recurrent import LIFParams


@dataclasses.dataclass(frozen=True)
class EpropParams:
    """e-prop constants (defaults of Demirag et al. 2021)."""

    gamma: float = 0.3  # pseudo-derivative gain
    reg: float = 1e-4  # firing-rate regularisation strength
    f0: float = 12.0  # target firing rate (Hz)
    clip: float = 100.0  # gradient clip

    def validate(self) -> None:
        check_positive("gamma", self.gamma, allow_zero=True)
        check_positive("reg", self.reg, allow_zero=True)
        check_positive("clip", self.clip)


class EpropGrads(NamedTuple):
    """Gradients ``[R, I]``, ``[R, R]``, ``[O, R]`` and firing rates ``[R]`` (Hz)."""

    w_in: torch.Tensor
    w_rec: torch.Tensor
    w_out: torch.Tensor
    fr: torch.Tensor


def pseudo_derivative(v: torch.Tensor, thr: float, gamma: float) -> torch.Tensor:
    """``h = γ·max(0, 1 − |(v − thr)/thr|)``."""
    return gamma * (1 - ((v - thr) / thr).abs()).clamp(min=0)


def _shift(z: torch.Tensor) -> torch.Tensor:
    """``z[t−1]`` with zeros at t = 0."""
    return torch.cat([torch.zeros_like(z[:1]), z[:-1]], dim=0)


def _common(x: torch.Tensor, z: torch.Tensor, v: torch.Tensor, err: torch.Tensor, fb: torch.Tensor,
            lif: LIFParams, ep: EpropParams) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pseudo-derivative ``h``, learning signal ``L`` (both ``[T, B, R]``) and firing rates ``fr[R]``."""
    T = x.shape[0]
    h = pseudo_derivative(v, lif.thr, ep.gamma)
    fr = z.sum(dim=(0, 1)) / (T * lif.dt)
    L = err @ fb + ep.reg * (fr - ep.f0)
    return h, L, fr


def eprop_gradients(x: torch.Tensor, z: torch.Tensor, v: torch.Tensor, err: torch.Tensor, fb: torch.Tensor,
                    lif: LIFParams, ep: EpropParams) -> EpropGrads:
    """Fast exact e-prop gradients (see module docstring) for ``x[T,B,I]``, ``z, v [T,B,R]``, ``err[T,B,O]``,
    feedback ``fb[O,R]``."""
    h, L, fr = _common(x, z, v, err, fb, lif, ep)
    T, B, R = z.shape
    hl = h * leaky_filter(L, lif.kappa, reverse=True)
    x_bar = leaky_filter(x, lif.alpha)
    z_bar = leaky_filter(_shift(z), lif.alpha)
    z_til = leaky_filter(z, lif.kappa)
    hl2 = hl.reshape(T * B, R).T
    g_in = hl2 @ x_bar.reshape(T * B, -1)
    g_rec = hl2 @ z_bar.reshape(T * B, R)
    g_out = err.reshape(T * B, -1).T @ z_til.reshape(T * B, R)
    c = ep.clip
    return EpropGrads(g_in.clamp(-c, c), g_rec.clamp(-c, c), g_out.clamp(-c, c), fr)


def eprop_gradients_online(x: torch.Tensor, z: torch.Tensor, v: torch.Tensor, err: torch.Tensor, fb: torch.Tensor,
                           lif: LIFParams, ep: EpropParams) -> EpropGrads:
    """Step-by-step forward recursion of the eligibility traces (reference path, O(T·R·I))."""
    h, L, fr = _common(x, z, v, err, fb, lif, ep)
    T, B, R = z.shape
    I = x.shape[2]
    a, k = lif.alpha, lif.kappa
    x_bar = torch.zeros(B, I, dtype=x.dtype)
    z_bar = torch.zeros(B, R, dtype=x.dtype)
    z_til = torch.zeros(B, R, dtype=x.dtype)
    e_in = torch.zeros(B, R, I, dtype=x.dtype)
    e_rec = torch.zeros(B, R, R, dtype=x.dtype)
    g_in = torch.zeros(R, I, dtype=x.dtype)
    g_rec = torch.zeros(R, R, dtype=x.dtype)
    g_out = torch.zeros(err.shape[2], R, dtype=x.dtype)
    for t in range(T):
        x_bar = a * x_bar + x[t]
        z_bar = a * z_bar + (z[t - 1] if t > 0 else 0.0)
        e_in = k * e_in + h[t][:, :, None] * x_bar[:, None, :]
        e_rec = k * e_rec + h[t][:, :, None] * z_bar[:, None, :]
        g_in += (L[t][:, :, None] * e_in).sum(0)
        g_rec += (L[t][:, :, None] * e_rec).sum(0)
        z_til = k * z_til + z[t]
        g_out += err[t].T @ z_til
    c = ep.clip
    return EpropGrads(g_in.clamp(-c, c), g_rec.clamp(-c, c), g_out.clamp(-c, c), fr)


def _conv_filter(sig: torch.Tensor, decay: float) -> torch.Tensor:
    """Causal convolution of ``sig[channels, T]`` with the T-long kernel ``decay^k`` (O(T²) per channel)."""
    T = sig.shape[-1]
    kernel = (decay ** torch.arange(T - 1, -1, -1, dtype=torch.float64)).to(sig.dtype).reshape(1, 1, T)
    out = F.conv1d(F.pad(sig.reshape(-1, 1, T), (T - 1, 0)), kernel)
    return out.reshape(sig.shape)


def eprop_gradients_conv(x: torch.Tensor, z: torch.Tensor, v: torch.Tensor, err: torch.Tensor, fb: torch.Tensor,
                         lif: LIFParams, ep: EpropParams) -> EpropGrads:
    """Reference formulation with full eligibility tensors ``[B, R, I, T]`` filtered by T-long convolutions."""
    h, L, fr = _common(x, z, v, err, fb, lif, ep)
    xs = x.permute(1, 2, 0)  # [B, I, T]
    zs = z.permute(1, 2, 0)  # [B, R, T]
    hs = h.permute(1, 2, 0)
    Ls = L.permute(1, 2, 0)
    x_bar = _conv_filter(xs, lif.alpha)
    z_bar = _conv_filter(_shift(z).permute(1, 2, 0), lif.alpha)
    e_in = _conv_filter(hs[:, :, None, :] * x_bar[:, None, :, :], lif.kappa)  # [B, R, I, T]
    e_rec = _conv_filter(hs[:, :, None, :] * z_bar[:, None, :, :], lif.kappa)
    z_til = _conv_filter(zs, lif.kappa)
    g_in = (Ls[:, :, None, :] * e_in).sum(dim=(0, 3))
    g_rec = (Ls[:, :, None, :] * e_rec).sum(dim=(0, 3))
    g_out = torch.einsum("tbo,brt->or", err, z_til)
    c = ep.clip
    return EpropGrads(g_in.clamp(-c, c), g_rec.clamp(-c, c), g_out.clamp(-c, c), fr)
