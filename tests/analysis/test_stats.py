from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from harness.analysis.stats import ols_slope, spearman, spearman_ci, wilson_interval


def test_wilson_matches_the_closed_form_and_holds_p() -> None:
    lo, hi = wilson_interval(0.5, 100)
    assert float(lo) == pytest.approx(0.40383, abs=1e-4)
    assert float(hi) == pytest.approx(0.59617, abs=1e-4)
    lo, hi = wilson_interval(np.array([0.0, 1.0, 0.2]), np.array([10, 10, 5]))
    assert lo[0] == 0.0 and hi[1] == 1.0
    assert np.all(lo <= [0.0, 1.0, 0.2]) and np.all(hi >= [0.0, 1.0, 0.2])
    assert hi[0] == pytest.approx(0.2775, abs=1e-3)  # 0 of 10: upper bound z²/(n+z²)


def test_spearman_equals_scipy_with_ties() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 8, 40).astype(float)
    y = x + rng.normal(0, 3, 40)
    assert spearman(x, y) == pytest.approx(sps.spearmanr(x, y).statistic, abs=1e-12)
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))


def test_spearman_ci_brackets_rho_and_is_seeded() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=80)
    y = x + rng.normal(size=80)
    a = spearman_ci(x, y, n_boot=500, seed=1)
    assert a == spearman_ci(x, y, n_boot=500, seed=1)
    assert a["ci_low"] < a["rho"] < a["ci_high"]
    assert a["n"] == 80 and a["n_boot_used"] == 500
    two = spearman_ci([1, 2], [2, 1])
    assert math.isnan(two["rho"]) and math.isnan(two["ci_low"])


def test_ols_slope_matches_polyfit() -> None:
    x = np.arange(10.0)
    y = 2 * x + np.sin(x)
    slope, se = ols_slope(x, y)
    assert slope == pytest.approx(np.polyfit(x, y, 1)[0])
    assert se > 0
    assert all(math.isnan(v) for v in ols_slope(np.ones(5), np.arange(5.0)))
