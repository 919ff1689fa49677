"""Many configurations of the single-output spiking layer at once (a leading configuration dimension C).

Huang et al. 2022 parameter studies evaluate the same converted network with several crossbars (R tolerances,
read noises, spike-train lengths T). :func:`rate_multi` runs them in one pass:

* inputs shared by all configurations (``x``: (B, E)) are Bernoulli-coded ONCE and the same spike trains drive every
  configuration (common random numbers: each configuration alone is an exact simulation; the comparison between
  configurations is free of encoder noise);
* inputs per configuration (``x``: (C, B, E)) are coded per configuration;
* weights are static per configuration (``weights``: (C, E)) or re-read from the crossbar state ``R`` (C, *shape)
  with per-configuration read noise at every time step (the reference's ``per_step`` mode) or once per sample
  (``per_sample``): ``w = clamp((G/(1 + n(2u − 1)) − 1/R_max)/span, 0, 1)`` (eq. 21 on ``R·(1 + n(2u − 1))``);
* ``checkpoints``: spike counts are also reported after the first T_k steps. The first T_k steps of a length-T run
  are exactly a length-T_k run (V_0 = 0, fresh u per step), so one T = max run gives every T of Fig. 4a.
"""

from __future__ import annotations

import torch

from ..crossbar.array import noisy_weights
from ..crossbar.mapping import LinearConductanceMap
from .encoders import bernoulli_spikes
from .neurons import IFState, if_chunk


def read_weights_multi(R: torch.Tensor, mapping: LinearConductanceMap, noise: torch.Tensor,
                       batch_shape: tuple[int, ...], generator: torch.Generator | None,
                       dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Noisy weight reads of C arrays: ``R`` (C, *shape), ``noise`` (C,) → (C, *batch_shape, prod(shape)).

    Same fused arithmetic and random-number order as :meth:`memsnn.crossbar.array.Crossbar.read_weights`
    (for C = 1 the two give identical values).
    """
    C = R.shape[0]
    R = R.reshape((C,) + (1,) * len(batch_shape) + (-1,))
    n = noise.to(dtype).reshape((C,) + (1,) * (len(batch_shape) + 1))
    return noisy_weights(R, mapping, n, (C,) + batch_shape + (R.shape[-1],), generator, dtype)


def rate_multi(x: torch.Tensor, T: int, threshold: float, *, weights: torch.Tensor | None = None,
               R: torch.Tensor | None = None, mapping: LinearConductanceMap | None = None,
               read_noise: torch.Tensor | None = None, read_mode: str = "per_step",
               generator: torch.Generator | None = None, checkpoints: tuple[int, ...] | None = None,
               max_chunk_elems: int = 1 << 23) -> tuple[torch.Tensor, torch.Tensor]:
    """Spike counts of C configurations over inputs ``x`` ((B, E) shared or (C, B, E) per configuration).

    Exactly one of ``weights`` (C, E) and ``R`` (C, *array) (+ ``mapping``, ``read_noise`` (C,)) is given.
    Returns (counts (C, B, K) after each of the K checkpoints (default: just T), last weights read (C, B, E)).
    """
    if (weights is None) == (R is None):
        raise ValueError("rate_multi needs exactly one of weights or R")
    shared = x.dim() == 2
    x = x.to(torch.float32)
    B, E = x.shape[-2:]
    C = weights.shape[0] if weights is not None else R.shape[0]  # type: ignore[union-attr]
    cps = tuple(sorted(set(checkpoints))) if checkpoints else (T,)
    if cps[-1] != T or cps[0] <= 0:
        raise ValueError(f"checkpoints must lie in (0, T] and include T={T}, got {cps}")
    noisy = R is not None and read_noise is not None and bool((read_noise != 0).any())
    per_step = noisy and read_mode == "per_step"
    if R is not None and not noisy:
        assert mapping is not None
        weights = mapping.resistance_to_weight(R).reshape(C, -1).to(torch.float32)
    W = weights.to(torch.float32) if weights is not None else None
    if noisy and read_mode == "per_sample":
        W = read_weights_multi(R, mapping, read_noise, (B,), generator)  # type: ignore[arg-type]
    per_t = B * E * (1 if shared and not per_step else C)
    chunk = max(1, min(T, max_chunk_elems // max(1, per_t)))
    state = IFState.zeros((C, B), device=x.device)
    counts = torch.zeros((C, B, len(cps)), dtype=torch.float64, device=x.device)
    total = torch.zeros((C, B), dtype=torch.float64, device=x.device)
    last = W if W is not None else None
    done, k = 0, 0
    while done < T:
        n = min(chunk, cps[k] - done)
        spikes = bernoulli_spikes(x, n, generator)  # (B, n, E) or (C, B, n, E)
        if per_step:
            Wt = read_weights_multi(R, mapping, read_noise, (B, n), generator)  # type: ignore[arg-type]
            eq = "bte,cbte->cbt" if shared else "cbte,cbte->cbt"
            current = torch.einsum(eq, spikes, Wt)
            last = Wt[:, :, -1, :]
        elif W is not None and W.dim() == 2:
            current = (torch.einsum("bte,ce->cbt", spikes, W) if shared
                       else torch.einsum("cbte,ce->cbt", spikes, W))
        else:
            assert W is not None
            current = torch.einsum("bte,cbe->cbt" if shared else "cbte,cbe->cbt", spikes, W)
        c, state = if_chunk(current, threshold, state)
        total += c
        done += n
        if done == cps[k]:
            counts[:, :, k] = total
            k += 1
    if last is not None and last.dim() == 2:
        last = last.unsqueeze(1).expand(C, B, E)
    return counts, last  # type: ignore[return-value]
