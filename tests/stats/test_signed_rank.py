from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from harness.errors import HarnessError
from harness.stats.signed_rank import average_ranks, signed_rank_test

_rng = np.random.default_rng(11)
DATASETS = {
    # exact branch: <= 50 differences, no ties, no zeros
    "exact_n10": _rng.normal(0.4, 1.0, 10),
    "exact_n50_boundary": _rng.normal(0.2, 1.0, 50),
    "exact_all_positive": np.arange(1.0, 9.0),
    # permutation branch: ties or zeros with <= 13 differences
    "perm_ties_n8": np.array([1.0, -1.0, 2.0, 2.0, 3.0, -0.5, 0.5, 4.0]),
    "perm_zeros_n11": np.array([0.0, 0.0, 1, 2, -1, 3, 3, 4, -2, 5, 0.0]),
    "perm_halfranks_n10": np.array([1, 1, 1, -1, 2, 2, -3, 4, 4, -4.0]),
    # asymptotic branch: ties/zeros with > 13 differences, or > 50 differences
    "asym_ties_n14": np.array([1, 1, -1, 2, 2, 2, -2, 3, 0, 0, 4, -4, 5, 1.0]),
    "asym_n51_continuous": _rng.normal(0.1, 1.0, 51),
    "asym_mt_bench_like": (_rng.integers(1, 11, 160) - _rng.integers(1, 11, 160)).astype(float),
    "asym_one_nonzero": np.array([0.0] * 20 + [3.0]),
    "asym_all_tied": np.array([2.0] * 30 + [-2.0] * 10),
}


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_equals_scipy_wilcoxon(name):
    d = DATASETS[name]
    ours = signed_rank_test(d)
    ref = scipy.stats.wilcoxon(d)
    assert ours.statistic == pytest.approx(float(ref.statistic), abs=1e-9)
    assert ours.p_value == pytest.approx(float(ref.pvalue), rel=1e-9, abs=1e-15)
    branch = {"exact": "exact", "perm": "permutation", "asym": "asymptotic"}[name.split("_")[0]]
    assert ours.method.startswith(branch)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_equals_scipy_on_many_random_data_sets():
    rng = np.random.default_rng(0)
    checked = 0
    for trial in range(150):
        # n > 13: scipy's permutation branch is slow (the named data sets cover it)
        n = int(rng.integers(14, 70)) if trial % 3 else int(rng.integers(2, 51))
        gen = trial % 3
        if gen == 0:
            d = rng.normal(0.3, 1.0, n)
        elif gen == 1:
            d = rng.integers(-3, 4, n).astype(float)
        else:
            d = np.round(rng.normal(0, 1, n), 1)
        if not d.any() and n > 13:
            continue  # scipy: NaN; ours: 1 (tested below)
        if n <= 13 and (np.unique(np.abs(d)).size < n or not d.all()):
            continue
        ref = scipy.stats.wilcoxon(d)
        ours = signed_rank_test(d)
        assert ours.p_value == pytest.approx(float(ref.pvalue), rel=1e-9, abs=1e-15), (trial, d)
        assert ours.statistic == pytest.approx(float(ref.statistic), abs=1e-9)
        checked += 1
    assert checked > 120


def test_branch_choice_follows_scipy_auto():
    assert signed_rank_test(DATASETS["exact_n10"]).method == "exact"
    assert signed_rank_test(DATASETS["perm_zeros_n11"]).method == "permutation (exact)"
    assert signed_rank_test(DATASETS["asym_ties_n14"]).method == "asymptotic"
    assert signed_rank_test(DATASETS["asym_n51_continuous"]).method == "asymptotic"


def test_zeros_are_dropped_and_counted():
    res = signed_rank_test(np.array([0.0, 0.0, 0.0, 1.0, 2.0, -3.0] * 5))
    assert (res.n_zero, res.n_nonzero) == (15, 15)


@pytest.mark.parametrize("n", [1, 5, 13, 14, 60])
def test_no_difference_at_all_gives_p_one(n):
    res = signed_rank_test(np.zeros(n))
    assert res.p_value == 1.0 and res.statistic == 0.0


def test_average_ranks_share_ties():
    ranks, counts = average_ranks(np.array([3.0, 1.0, 3.0, 2.0, 3.0]))
    assert ranks.tolist() == [4.0, 1.0, 4.0, 2.0, 4.0]
    assert sorted(counts.tolist()) == [1, 1, 3]


def test_rejects_non_finite():
    with pytest.raises(HarnessError):
        signed_rank_test(np.array([1.0, np.nan]))
