from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from harness.errors import HarnessError
from harness.stats import mcnemar_diff
from harness.stats.binomial import binomial_two_sided_half, mcnemar_exact

CASES = [(0, 1), (1, 1), (0, 5), (2, 10), (5, 10), (7, 10), (3, 7), (40, 100), (60, 100), (10, 300),
         (150, 300), (149, 300), (0, 2778), (1200, 2778)]


@pytest.mark.parametrize(("k", "n"), CASES)
def test_equals_scipy_binomtest(k, n):
    assert binomial_two_sided_half(k, n) == pytest.approx(scipy.stats.binomtest(k, n, 0.5).pvalue, rel=1e-10,
                                                          abs=1e-300)


def test_mcnemar_is_symmetric_and_no_discordance_means_p_one():
    assert mcnemar_exact(3, 12) == mcnemar_exact(12, 3) == pytest.approx(scipy.stats.binomtest(3, 15).pvalue)
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(4, 4) == 1.0


def test_mcnemar_on_correctness_vectors_equals_scipy():
    rng = np.random.default_rng(4)
    for _ in range(50):
        n = int(rng.integers(5, 400))
        p = rng.uniform(size=n)
        a = rng.random(n) < p
        b = rng.random(n) < np.clip(p + rng.normal(0, 0.1), 0, 1)
        only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
        res = mcnemar_diff(a, b, rounds=20, seed=0)
        expected = 1.0 if only_a + only_b == 0 else scipy.stats.binomtest(only_a, only_a + only_b).pvalue
        assert res.p_value == pytest.approx(expected, rel=1e-10)
        assert res.estimate == pytest.approx(100 * (only_a - only_b) / n)
        assert (res.details["only_a_correct"], res.details["only_b_correct"]) == (only_a, only_b)


def test_bad_counts_are_user_errors():
    with pytest.raises(HarnessError):
        binomial_two_sided_half(5, 3)
    with pytest.raises(HarnessError):
        mcnemar_exact(-1, 2)
