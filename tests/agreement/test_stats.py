"""Agreement statistics against scikit-learn / scipy on random and edge-case inputs."""

from __future__ import annotations

import random

import pytest
from scipy import stats as sps
from sklearn.metrics import cohen_kappa_score

from harness.agreement import stats


@pytest.mark.parametrize("seed", range(5))
def test_kappa_and_agreement_equal_sklearn(seed):
    rng = random.Random(seed)
    labels = ["A>>B", "A>B", "A=B", "B>A", "B>>A"]
    a = [rng.choice(labels) for _ in range(300)]
    b = [x if rng.random() < 0.6 else rng.choice(labels) for x in a]
    assert stats.cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    assert stats.agreement(a, b) == pytest.approx(sum(x == y for x, y in zip(a, b, strict=True)) / 300)
    assert stats.cohen_kappa(a, a) == 1.0


def test_kappa_edge_cases():
    assert stats.cohen_kappa([], []) is None
    assert stats.cohen_kappa(["m"] * 5, ["m"] * 5) is None  # one label for everything: undefined
    assert stats.cohen_kappa(["m", "M"], ["M", "m"]) == pytest.approx(-1.0)
    assert stats.agreement(["a", "b"], ["a", "c"], lambda x, y: True) == 1.0
    with pytest.raises(ValueError, match="differ in length"):
        stats.cohen_kappa(["a"], [])


@pytest.mark.parametrize("seed", range(5))
def test_correlations_equal_scipy_with_ties(seed):
    rng = random.Random(seed)
    x = [rng.randint(1, 10) for _ in range(40)]
    y = [v + rng.randint(-3, 3) for v in x]
    assert stats.pearson(x, y) == pytest.approx(sps.pearsonr(x, y).statistic, abs=1e-12)
    assert stats.spearman(x, y) == pytest.approx(sps.spearmanr(x, y).statistic, abs=1e-12)
    assert stats.kendall_tau_b(x, y) == pytest.approx(sps.kendalltau(x, y).statistic, abs=1e-12)


def test_correlations_undefined_without_spread():
    assert stats.pearson([1.0], [2.0]) is None
    assert stats.pearson([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]) is None
    assert stats.kendall_tau_b([2.0, 2.0], [1.0, 1.0]) is None
    assert stats.average_ranks([3.0, 1.0, 3.0, 2.0]) == [3.5, 1.0, 3.5, 2.0]
