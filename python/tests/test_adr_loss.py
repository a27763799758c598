"""adr_loss against a hand-computed case, the λ = 0 case against plain cross-entropy, and the divergences' gradients."""

from __future__ import annotations

import math

import pytest
import torch

from dissonance_trainer import adr_loss, adr_terms
from dissonance_trainer.divergences import DIVERGENCES


def test_hand_computed_case() -> None:
    # One row, logits (0, 0) → p = (½, ½); one critic q = (1, 0); label 0; D_target 0.1, λ = 2.
    # JS in bits: m = (¾, ¼); ½[½ln(½/¾) + ½ln(½/¼) + 1·ln(1/¾)] / ln 2.
    js = 0.5 * (0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25) + math.log(1 / 0.75)) / math.log(2)
    ce = math.log(2)
    expected = ce + 2 * (js - 0.1) ** 2
    logits = torch.zeros(1, 2, requires_grad=True)
    critics = torch.tensor([[[1.0, 0.0]]])
    terms = adr_terms(logits, critics, 0.1, 2.0, torch.tensor([0]))
    assert float(terms.dissonance.detach()) == pytest.approx(0.3112781244591328, abs=1e-12)
    assert float(terms.dissonance.detach()) == pytest.approx(js, abs=1e-12)
    assert float(terms.loss.detach()) == pytest.approx(expected, abs=1e-12)
    terms.loss.backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()


def test_weighted_mean_and_target_below_d_target() -> None:
    # Two rows, weights 3 and 1: CE = (3·ln 2 + 1·ln(1 + e)) / 4; D < D_target → no penalty.
    logits = torch.tensor([[0.0, 0.0], [0.0, 1.0]])
    critics = torch.softmax(logits, dim=1)[None]
    loss = adr_loss(logits, critics, 0.1, 5.0, torch.tensor([1, 0]), torch.tensor([3.0, 1.0]))
    assert float(loss) == pytest.approx((3 * math.log(2) + math.log(1 + math.e)) / 4, abs=1e-12)


@pytest.mark.parametrize("soft", [False, True])
def test_lambda_zero_is_cross_entropy(soft: bool) -> None:
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(16, 5, generator=g)
    targets = torch.softmax(torch.randn(16, 5, generator=g), 1) if soft else torch.randint(0, 5, (16,), generator=g)
    weights = torch.rand(16, generator=g) + 0.1
    critics = torch.softmax(torch.randn(2, 16, 5, generator=g), 2)
    per_row = torch.nn.functional.cross_entropy(logits.double(), targets.double() if soft else targets, reduction="none")
    expected = (weights.double() * per_row).sum() / weights.double().sum()
    for got in (adr_loss(logits, critics, 0.0, 0.0, targets, weights), adr_loss(logits, None, 0.0, 1.0, targets, weights)):
        assert float(got) == pytest.approx(float(expected), abs=1e-12)


@pytest.mark.parametrize("name", sorted(DIVERGENCES))
def test_divergence_gradients_match_finite_differences(name: str) -> None:
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    critics = torch.softmax(torch.randn(2, 4, 3, generator=g, dtype=torch.float64), 2)
    targets = torch.tensor([0, 1, 2, 0])
    assert torch.autograd.gradcheck(lambda z: adr_loss(z, critics, 0.0, 0.7, targets, divergence=name), (logits,))


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="critic_probs"):
        adr_loss(torch.zeros(2, 3), torch.zeros(1, 3, 3), 0.1, 1.0, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="unknown divergence"):
        adr_loss(torch.zeros(2, 3), torch.full((1, 2, 3), 1 / 3), 0.0, 1.0, torch.tensor([0, 1]), divergence="nope")


# Values of the TypeScript detectors (`divergenceRow` of packages/core/src/train/divergence-terms.ts, and
# `meanKl` of packages/core/src/rollout/kl-divergence.ts on the float32 rows) for the rows below, printed by
# `npx tsx` on a script importing them: the Python side must give the same numbers.
TS_P = [[0.7, 0.2, 0.1], [0.25, 0.25, 0.5], [0.0, 0.4, 0.6]]
TS_Q = [[0.1, 0.3, 0.6], [0.25, 0.25, 0.5], [0.5, 0.5, 0.0]]
TS_VALUES = {
    "jensen-shannon": [0.3327511016026797, 0, 0.5540157730728],
    "total-variation": [0.6, 0, 0.6],
    "abs-diff": [0.6, 0, 0.5],
    "hellinger": [0.49550673086942554, 0, 0.743496068920369],
    "symmetric-kl": [2.1039565468523023, 0, 14.566265255555068],
}
TS_MEAN_KL = 5.761576209585525


@pytest.mark.parametrize("name", sorted(TS_VALUES))
def test_divergences_equal_the_typescript_detectors(name: str) -> None:
    got = DIVERGENCES[name](torch.tensor(TS_P, dtype=torch.float64), torch.tensor(TS_Q, dtype=torch.float64))
    assert got.tolist() == pytest.approx(TS_VALUES[name], abs=1e-12)


def test_mean_kl_equals_the_typescript_one() -> None:
    import numpy as np

    from dissonance_trainer import mean_kl

    p, q = np.array(TS_P, dtype=np.float32), np.array(TS_Q, dtype=np.float32)
    assert mean_kl(p, q) == pytest.approx(TS_MEAN_KL, rel=1e-12)
