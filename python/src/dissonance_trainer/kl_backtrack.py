"""The KL guard: backtracking on the update ``θ₀ → θ₁`` until ``KL(old‖new) ≤ kl_eps``.

As ``klGuard`` in packages/core/src/train/kl-guard.ts: the largest ``t`` in 1, ½, ¼, … (up to
``max_halvings`` halvings, then ``t = 0``: the old parameters) such that the mean over the reference rows of
``KL(old ‖ θ₀ + t(θ₁ − θ₀))`` is at most ``kl_eps``; the KL is ``meanKl``'s (float64 sums, ``q`` floored at
1e-12, terms with ``p = 0`` skipped, the mean floored at 0). The interpolation runs in float64 and is
rounded once to the parameters' dtype. Floating-point buffers (batch-norm statistics) are interpolated with
the parameters; integer buffers are left as ``new_model``'s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

#: Floor of ``q`` in ``KL(p‖q)`` (``EPSILON`` of packages/core/src/rollout/kl-divergence.ts).
KL_Q_FLOOR = 1e-12


@dataclass(frozen=True)
class KlGuardResult:
    """What :func:`kl_guard` chose."""

    #: The step kept: 1, ½, ¼, …, or 0 (the old parameters).
    t: float
    #: Mean ``KL(old‖new)`` of the parameters left in ``new_model``, in nats.
    kl: float
    #: Mean ``KL(old‖θ₁)``: the KL of the unguarded update.
    kl_full: float
    #: Halvings made (0 when ``t = 1``).
    halvings: int


def mean_kl(p: npt.ArrayLike, q: npt.ArrayLike) -> float:
    """Mean over rows of ``KL(p‖q)`` in nats for two ``[rows, classes]`` probability arrays (``meanKl``)."""
    pa = np.asarray(p, dtype=np.float64)
    qa = np.asarray(q, dtype=np.float64)
    if pa.shape[0] == 0:
        return 0.0
    positive = pa > 0
    terms = np.where(positive, pa * np.log(np.where(positive, pa, 1.0) / np.maximum(qa, KL_Q_FLOOR)), 0.0)
    return max(0.0, float(terms.sum() / pa.shape[0]))


def probabilities(model: torch.nn.Module, x: torch.Tensor) -> npt.NDArray[np.float32]:
    """``softmax(model(x))`` in eval mode without gradients, as float32 (what the exported ONNX returns)."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return torch.softmax(model(x).to(torch.float64), dim=1).to(torch.float32).cpu().numpy()
    finally:
        model.train(was_training)


def _state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _interpolate(into: torch.nn.Module, start: dict[str, torch.Tensor], end: dict[str, torch.Tensor], t: float) -> None:
    mixed: dict[str, torch.Tensor] = {}
    for key, a in start.items():
        b = end[key]
        if torch.is_floating_point(b):
            mixed[key] = (a.to(torch.float64) + t * (b.to(torch.float64) - a.to(torch.float64))).to(b.dtype)
        else:
            mixed[key] = b
    into.load_state_dict(mixed)


def kl_guard(
    old_model: torch.nn.Module,
    new_model: torch.nn.Module,
    reference: npt.ArrayLike | torch.Tensor,
    kl_eps: float,
    *,
    old_probs: npt.ArrayLike | None = None,
    max_halvings: int = 20,
) -> KlGuardResult:
    """Backtracks ``new_model``'s parameters towards ``old_model``'s, in place, until the KL bound holds.

    :param old_model: ``θ₀``, the parameters the fit started from (not modified).
    :param new_model: ``θ₁`` on entry; on return it holds ``θ₀ + t(θ₁ − θ₀)`` for the chosen ``t``.
    :param reference: the reference rows, shaped as the models' input (``[r, width]`` or ``[r, C, H, W]``).
    :param kl_eps: the bound on the mean ``KL(old‖new)``, ≥ 0.
    :param old_probs: ``old`` of ``KL(old‖new)``: the champion's probabilities on the reference rows (the job's
        ``reference_probs``); ``old_model``'s own when ``None``.
    :param max_halvings: halvings of ``t`` to try after ``t = 1`` before giving up with ``t = 0``.
    :raises ValueError: when ``kl_eps`` is not ≥ 0 or the two models' state dicts differ in keys or shapes.
    """
    if not kl_eps >= 0:
        raise ValueError(f"kl_guard: kl_eps must be ≥ 0, got {kl_eps}")
    start, end = _state(old_model), _state(new_model)
    if start.keys() != end.keys() or any(start[k].shape != end[k].shape for k in start):
        raise ValueError("kl_guard: θ₀ and θ₁ have different architectures")
    x = torch.as_tensor(np.asarray(reference, dtype=np.float32)) if not isinstance(reference, torch.Tensor) else reference
    if x.shape[0] == 0:
        return KlGuardResult(t=1.0, kl=0.0, kl_full=0.0, halvings=0)
    old = probabilities(old_model, x) if old_probs is None else np.asarray(old_probs, dtype=np.float32)

    def kl_now() -> float:
        return mean_kl(old, probabilities(new_model, x))

    kl_full = kl_now()
    if kl_full <= kl_eps:
        return KlGuardResult(t=1.0, kl=kl_full, kl_full=kl_full, halvings=0)
    t = 1.0
    for halvings in range(1, max_halvings + 1):
        t /= 2
        _interpolate(new_model, start, end, t)
        kl = kl_now()
        if kl <= kl_eps:
            return KlGuardResult(t=t, kl=kl, kl_full=kl_full, halvings=halvings)
    _interpolate(new_model, start, end, 0.0)
    return KlGuardResult(t=0.0, kl=kl_now(), kl_full=kl_full, halvings=max_halvings)
