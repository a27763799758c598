"""Row-wise divergences ``d(p, q)`` in PyTorch, the same values as packages/core/src/train/divergence-terms.ts.

Each takes probabilities ``p`` (the model's, differentiable) and ``q`` (a critic's, constant), both
``[n, classes]``, and returns ``[n]``. Autograd gives the gradients; at the non-smooth points (``p = q`` for
total variation and abs-diff, ``d = 0`` for Hellinger) they are the zero subgradient, as in TypeScript.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

#: Smoothing of the ``symmetric-kl`` detector (``SYMMETRIC_KL_EPSILON``).
SYMMETRIC_KL_EPSILON = 1e-6

_HALF_INV_LN2 = 0.5 / math.log(2.0)

Divergence = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _plogp_over(p: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """``p·ln(p/m)``, 0 where ``p = 0`` (and a zero gradient there)."""
    positive = p > 0
    safe_p = torch.where(positive, p, torch.ones_like(p))
    safe_m = torch.where(positive, m, torch.ones_like(m))
    return torch.where(positive, safe_p * torch.log(safe_p / safe_m), torch.zeros_like(p))


def jensen_shannon(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Jensen–Shannon in bits: ``½Σ[p ln(p/m) + q ln(q/m)] / ln 2``, ``m = ½(p + q)``."""
    m = 0.5 * (p + q)
    return (_plogp_over(p, m) + _plogp_over(q, m)).sum(dim=1) * _HALF_INV_LN2


def total_variation(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Total variation: ``½Σ|p − q|``."""
    return 0.5 * (p - q).abs().sum(dim=1)


def abs_diff(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """The proof of concept's ``|p₀ − q₀|``."""
    return (p[:, 0] - q[:, 0]).abs()


def hellinger(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Hellinger: ``√(½Σ(√p − √q)²)``, 1 (constant) where the sum reaches 1, gradient 0 at ``d = 0``."""
    squared = 0.5 * ((p.clamp_min(0).sqrt() - q.clamp_min(0).sqrt()) ** 2).sum(dim=1)
    inside = (squared > 0) & (squared < 1)
    d = torch.where(inside, squared.clamp(min=1e-300).sqrt(), torch.zeros_like(squared))
    return torch.where(squared >= 1, torch.ones_like(squared), d)


def symmetric_kl(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Symmetric KL with smoothing ε: ``Σ(p′ − q′)(ln p′ − ln q′)``, ``p′ = (p + ε)/(1 + kε)``."""
    s = 1.0 / (1.0 + p.shape[1] * SYMMETRIC_KL_EPSILON)
    ps = (p + SYMMETRIC_KL_EPSILON) * s
    qs = (q + SYMMETRIC_KL_EPSILON) * s
    return ((ps - qs) * (torch.log(ps) - torch.log(qs))).sum(dim=1)


DIVERGENCES: dict[str, Divergence] = {
    "jensen-shannon": jensen_shannon,
    "total-variation": total_variation,
    "abs-diff": abs_diff,
    "hellinger": hellinger,
    "symmetric-kl": symmetric_kl,
}


def divergence(name: str) -> Divergence:
    """The divergence called ``name`` (one of ``DIVERGENCE_NAMES``).

    :raises ValueError: for an unknown name.
    """
    try:
        return DIVERGENCES[name]
    except KeyError:
        raise ValueError(f"unknown divergence {name!r}; expected one of {sorted(DIVERGENCES)}") from None
