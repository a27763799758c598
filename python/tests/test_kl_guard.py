"""kl_guard keeps KL(old‖new) ≤ kl_eps on a real small net trained on digits."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from digits import digits
from dissonance_trainer import kl_guard, mean_kl
from dissonance_trainer.kl_backtrack import probabilities


def small_net() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))


def trained_pair() -> tuple[torch.nn.Module, torch.nn.Module, torch.Tensor]:
    """θ₀ fitted a little on 40 rows, θ₁ = θ₀ pushed hard on 600: a large update."""
    d = digits()
    old = small_net()
    opt = torch.optim.Adam(old.parameters(), lr=1e-2)
    for _ in range(30):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(old(torch.from_numpy(d.base_x)), torch.from_numpy(d.base_y)).backward()
        opt.step()
    new = copy.deepcopy(old)
    opt = torch.optim.Adam(new.parameters(), lr=3e-2)
    for _ in range(60):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(new(torch.from_numpy(d.train_x)), torch.from_numpy(d.train_y)).backward()
        opt.step()
    return old, new, torch.from_numpy(d.reference_x)


def test_mean_kl_matches_hand_value() -> None:
    # KL((½, ½) ‖ (¼, ¾)) = ½ ln 2 + ½ ln(2/3); a zero in p adds nothing; a zero in q is floored at 1e-12.
    assert mean_kl([[0.5, 0.5]], [[0.25, 0.75]]) == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(2 / 3), abs=1e-12)
    assert mean_kl([[0.0, 1.0]], [[0.5, 0.5]]) == pytest.approx(math.log(2), abs=1e-12)
    assert mean_kl([[1.0, 0.0]], [[0.0, 1.0]]) == pytest.approx(-math.log(1e-12), rel=1e-9)


def test_guard_backtracks_until_kl_is_within_eps() -> None:
    old, new, reference = trained_pair()
    eps = 0.05
    kl_full = mean_kl(probabilities(old, reference), probabilities(new, reference))
    assert kl_full > eps  # the update is large enough for the guard to act
    result = kl_guard(old, new, reference, eps)
    assert 0 < result.t < 1 and result.halvings >= 1
    assert result.kl_full == pytest.approx(kl_full)
    measured = mean_kl(probabilities(old, reference), probabilities(new, reference))
    assert measured <= eps and measured == pytest.approx(result.kl, abs=1e-12)
    # No admissible t on the ladder (eps = 0, no halvings allowed): θ₀ itself, exactly.
    again_old, again_new, _ = trained_pair()
    kl_guard(again_old, again_new, reference, 0.0, max_halvings=0)  # resets again_new to θ₀ (t = 0)
    for (_, a), (_, b) in zip(again_new.state_dict().items(), again_old.state_dict().items()):
        assert torch.equal(a, b)


def test_guard_keeps_a_small_update_whole_and_measures_against_given_probs() -> None:
    old, new, reference = trained_pair()
    before = copy.deepcopy(new.state_dict())
    result = kl_guard(old, new, reference, 1e6)
    assert result.t == 1 and result.halvings == 0
    assert all(torch.equal(before[k], v) for k, v in new.state_dict().items())
    # With old_probs, the KL is measured against those probabilities (the champion's), not θ₀'s.
    uniform = np.full((len(reference), 10), 0.1, dtype=np.float32)
    given = kl_guard(old, copy.deepcopy(new), reference, 1e6, old_probs=uniform)
    assert given.kl == pytest.approx(mean_kl(uniform, probabilities(new, reference)), abs=1e-12)


def test_guard_refuses_mismatched_architectures() -> None:
    with pytest.raises(ValueError, match="architectures"):
        kl_guard(torch.nn.Linear(64, 10), torch.nn.Linear(64, 9), torch.zeros(1, 64), 0.1)
