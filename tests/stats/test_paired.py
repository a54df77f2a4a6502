from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from harness.errors import HarnessError
from harness.stats import bootstrap_mean_diff, bootstrap_weights, wilcoxon_diff
from harness.stats.paired import (
    bootstrap_means,
    bootstrap_weight_chunks,
    centred_p_value,
    paired_arrays,
    percentile_ci,
)


@pytest.mark.parametrize(("n", "rounds", "chunk"), [(7, 30, 20), (805, 100, 10_000), (50, 13, 10**9)])
def test_chunked_draws_equal_the_official_bootstrap_weights(n, rounds, chunk):
    chunks = list(bootstrap_weight_chunks(n, rounds, 42, chunk_cells=chunk))
    assert np.array_equal(np.concatenate(chunks), bootstrap_weights(n, rounds, 42))


def test_bootstrap_means_are_means_of_the_resampled_rows():
    values = np.arange(10.0)
    idx = np.random.RandomState(3).randint(0, 10, size=(5, 10))
    assert np.allclose(bootstrap_means(values, 5, 3), values[idx].mean(axis=1))


def test_centred_p_value_counts_deviations_at_least_as_large():
    boot = np.array([1.0, 2.0, 3.0, 4.0])
    # |boot - 2| >= 2 only for 4.0
    assert centred_p_value(boot, 2.0) == pytest.approx((1 + 1) / 5)
    assert centred_p_value(np.zeros(9), 0.0) == 1.0


def test_percentile_ci_is_numpy_percentile():
    boot = np.random.default_rng(0).normal(size=1000)
    assert percentile_ci(boot, 0.9) == pytest.approx(tuple(np.percentile(boot, [5, 95])))


def test_identical_values_give_zero_difference_and_p_one():
    x = np.random.default_rng(1).uniform(0, 100, 200)
    res = bootstrap_mean_diff(x, x.copy(), rounds=300, seed=5)
    assert (res.estimate, res.ci_low, res.ci_high, res.p_value) == (0.0, 0.0, 0.0, 1.0)
    assert (res.n, res.rounds, res.seed, res.confidence) == (200, 300, 5, 0.95)


def test_mean_difference_estimate_ci_and_mirror():
    rng = np.random.default_rng(2)
    a, b = rng.normal(1.0, 1.0, 300), rng.normal(0.0, 1.0, 300)
    res = bootstrap_mean_diff(a, b, rounds=1000, seed=9)
    assert res.estimate == pytest.approx(a.mean() - b.mean())
    assert (res.a_value, res.b_value) == (pytest.approx(a.mean()), pytest.approx(b.mean()))
    assert res.ci_low < res.estimate < res.ci_high
    # the CI width is about 2 * 1.96 * sd(a - b) / sqrt(n)
    assert res.ci_high - res.ci_low == pytest.approx(2 * 1.96 * np.std(a - b) / np.sqrt(300), rel=0.15)
    assert res.p_value == pytest.approx(1 / 1001)
    mirror = bootstrap_mean_diff(b, a, rounds=1000, seed=9)
    assert mirror.estimate == pytest.approx(-res.estimate)
    assert (mirror.ci_low, mirror.ci_high) == (pytest.approx(-res.ci_high), pytest.approx(-res.ci_low))
    assert mirror.p_value == res.p_value


def test_seed_and_rounds_change_the_draws_only():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=100), rng.normal(size=100)
    r1 = bootstrap_mean_diff(a, b, rounds=200, seed=1)
    r2 = bootstrap_mean_diff(a, b, rounds=200, seed=2)
    assert r1.estimate == r2.estimate and r1.ci_low != r2.ci_low
    assert bootstrap_mean_diff(a, b, rounds=200, seed=1) == r1


def test_pairs_with_a_missing_side_are_dropped():
    a = np.array([1.0, np.nan, 3.0, 4.0])
    b = np.array([0.0, 2.0, np.nan, 1.0])
    x, y = paired_arrays(a, b)
    assert x.tolist() == [1.0, 4.0] and y.tolist() == [0.0, 1.0]
    assert bootstrap_mean_diff(a, b, rounds=10, seed=0).n == 2


def test_wilcoxon_diff_uses_the_signed_rank_p_and_bootstrap_ci():
    rng = np.random.default_rng(4)
    q = rng.uniform(2, 9, 80)
    a = np.clip(np.rint(q + 0.8 + rng.normal(0, 1.5, 80)), 1, 10)
    b = np.clip(np.rint(q + rng.normal(0, 1.5, 80)), 1, 10)
    res = wilcoxon_diff(a, b, rounds=500, seed=0)
    ref = scipy.stats.wilcoxon(a, b)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert res.statistic == pytest.approx(ref.statistic)
    assert res.estimate == pytest.approx(np.mean(a - b))
    assert res.details["p_method"] == "asymptotic"
    assert res.details["n_zero_differences"] == int((a == b).sum())
    assert res.ci_low < res.estimate < res.ci_high


@pytest.mark.parametrize(("kwargs", "msg"), [
    ({"rounds": 0}, "rounds"), ({"rounds": 2.5}, "rounds"), ({"seed": -1}, "seed"), ({"seed": 2**32}, "seed"),
    ({"confidence": 1.0}, "confidence"), ({"confidence": 0}, "confidence"),
])
def test_bad_settings_are_user_errors(kwargs, msg):
    with pytest.raises(HarnessError, match=msg):
        bootstrap_mean_diff([1.0, 2.0], [1.0, 3.0], **kwargs)


def test_bad_values_are_user_errors():
    with pytest.raises(HarnessError, match="length"):
        bootstrap_mean_diff([1.0, 2.0], [1.0])
    with pytest.raises(HarnessError, match="both"):
        bootstrap_mean_diff([np.nan], [1.0])
    with pytest.raises(HarnessError, match="finite"):
        bootstrap_mean_diff([np.inf], [1.0])


def test_a_single_item_cannot_be_bootstrapped():
    with pytest.raises(HarnessError, match="at least 2 paired items"):
        bootstrap_mean_diff([60.0], [40.0])
