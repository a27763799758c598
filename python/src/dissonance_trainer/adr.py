"""The ADR loss ``Σᵢ wᵢ·CEᵢ / Σᵢ wᵢ + λ·max(0, D − D_target)²`` in PyTorch.

The same loss as ``lossAndGradient`` in packages/core/src/train/mlp-gradients.ts: ``CE(y, p) = −Σ_c y_c ln p_c``
on hard (one-hot) or soft targets, ``D`` the mean over rows and critics of the divergence ``d(p, q)``, the
critics' probabilities constants, and the arithmetic in float64 (the logits are cast; gradients flow back to
the model in its own dtype). Called on a mini-batch, ``D`` is the batch's, as in the TypeScript trainer.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .divergences import divergence as divergence_named


@dataclass(frozen=True)
class AdrTerms:
    """The loss and its parts (tensors of shape ``[]``; ``loss`` carries the graph)."""

    #: ``cross_entropy + penalty``.
    loss: torch.Tensor
    #: Weighted mean cross-entropy, in nats.
    cross_entropy: torch.Tensor
    #: ``D``: mean divergence over rows and critics (0 without critics or with ``λ = 0``).
    dissonance: torch.Tensor
    #: ``λ·max(0, D − D_target)²``.
    penalty: torch.Tensor


def _as_tensor(value: object, like: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return torch.as_tensor(value, device=like.device).to(dtype)


def adr_terms(
    logits: torch.Tensor,
    critic_probs: torch.Tensor | None,
    d_target: float,
    lambda_max: float,
    targets: torch.Tensor,
    weights: torch.Tensor | None = None,
    *,
    divergence: str = "jensen-shannon",
    lam: float | None = None,
) -> AdrTerms:
    """The ADR loss of one batch with its parts; see :func:`adr_loss`."""
    if logits.ndim != 2:
        raise ValueError(f"adr_loss: logits must be [n, classes], got {tuple(logits.shape)}")
    n, classes = logits.shape
    z = logits.to(torch.float64)
    log_p = torch.log_softmax(z, dim=1)
    y = _as_tensor(targets, z, torch.float64) if torch.is_floating_point(torch.as_tensor(targets)) else None
    if y is None:
        labels = torch.as_tensor(targets, device=z.device).long()
        y = torch.nn.functional.one_hot(labels, classes).to(torch.float64)
    if y.shape != (n, classes):
        raise ValueError(f"adr_loss: targets must be [n] labels or [n, {classes}] distributions, got {tuple(y.shape)}")
    w = torch.ones(n, dtype=torch.float64, device=z.device) if weights is None else _as_tensor(weights, z, torch.float64)
    total = w.sum()
    if not bool(total > 0):
        raise ValueError("adr_loss: the sample weights sum to ≤ 0")
    cross_entropy = (w * -(y * log_p).sum(dim=1)).sum() / total
    zero = torch.zeros((), dtype=torch.float64, device=z.device)
    lam_value = lambda_max if lam is None else min(lam, lambda_max)
    if lam_value <= 0 or critic_probs is None or critic_probs.shape[0] == 0:
        return AdrTerms(loss=cross_entropy, cross_entropy=cross_entropy, dissonance=zero, penalty=zero)
    q = _as_tensor(critic_probs, z, torch.float64).detach()
    if q.ndim != 3 or q.shape[1:] != (n, classes):
        raise ValueError(f"adr_loss: critic_probs must be [n_critics, {n}, {classes}], got {tuple(q.shape)}")
    p = log_p.exp()
    d = divergence_named(divergence)
    dissonance = torch.stack([d(p, q[j]) for j in range(q.shape[0])]).mean()
    excess = torch.clamp(dissonance - d_target, min=0.0)
    penalty = lam_value * excess * excess
    return AdrTerms(loss=cross_entropy + penalty, cross_entropy=cross_entropy, dissonance=dissonance, penalty=penalty)


def adr_loss(
    logits: torch.Tensor,
    critic_probs: torch.Tensor | None,
    d_target: float,
    lambda_max: float,
    targets: torch.Tensor,
    weights: torch.Tensor | None = None,
    *,
    divergence: str = "jensen-shannon",
    lam: float | None = None,
) -> torch.Tensor:
    """``Σ wᵢ·CEᵢ / Σ wᵢ + λ·max(0, D − D_target)²`` (float64 scalar tensor, differentiable in ``logits``).

    :param logits: the model's ``[n, classes]`` pre-softmax outputs.
    :param critic_probs: ``[n_critics, n, classes]`` critic probabilities (constants), or ``None``/empty: no term.
    :param d_target: ``D_target``.
    :param lambda_max: the cap on ``λ``; ``λ = min(lam, lambda_max)``, ``lambda_max`` when ``lam`` is ``None``.
    :param targets: ``[n]`` integer labels or ``[n, classes]`` (soft) target distributions.
    :param weights: ``[n]`` sample weights (default all 1).
    :param divergence: the divergence ``d`` (``Constraints.divergence`` of the job).
    :raises ValueError: on shapes that do not fit, weights summing to ≤ 0 or an unknown divergence.
    """
    return adr_terms(logits, critic_probs, d_target, lambda_max, targets, weights, divergence=divergence, lam=lam).loss
