"""Wilcoxon signed-rank test, two-sided, as ``scipy.stats.wilcoxon(d)`` computes it with its defaults
(``zero_method="wilcox"``, ``correction=False``, ``method="auto"``; scipy 1.17):

- zero differences are dropped before ranking; ``|d|`` gets average ranks (ties share a rank);
- the statistic is ``min(R+, R-)``;
- ``method="auto"``: with at most 50 differences (zeros included) and neither ties nor zeros, the
  exact null distribution of ``R+``; with ties or zeros and at most 13 differences, the exact
  sign-flip permutation distribution (what scipy's ``PermutationMethod`` enumerates there); otherwise
  the normal approximation with the tie correction ``sum(t^3 - t) / 48`` in the variance.

One deliberate difference: when every difference is zero there is no evidence either way and the
p-value is 1 (scipy returns NaN for more than 13 such differences).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from harness.errors import HarnessError

EXACT_MAX_N = 50
PERMUTATION_MAX_N = 13


@dataclass(frozen=True)
class SignedRank:
    statistic: float  # min(R+, R-)
    r_plus: float
    p_value: float
    method: str  # "exact", "permutation (exact)", "asymptotic" or "no non-zero differences"
    n_nonzero: int
    n_zero: int


def average_ranks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average ranks (1-based) of ``x`` and the size of each group of equal values."""
    uniq, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    del uniq
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    group_rank = start + (counts + 1) / 2.0
    return group_rank[inverse.reshape(-1)], counts


def _null_counts(doubled_ranks: np.ndarray) -> np.ndarray:
    """Number of sign patterns giving each value of 2*R+ (subset sums of the doubled ranks)."""
    counts = np.zeros(int(doubled_ranks.sum()) + 1)
    counts[0] = 1.0
    top = 0
    for r in doubled_ranks.astype(np.int64):
        top += int(r)
        counts[r : top + 1] = counts[r : top + 1] + counts[: top + 1 - r].copy()
    return counts


def _exact_p(r_plus: float, n: int) -> float:
    """scipy's exact branch: ``2 * min(sf(floor(R+)), cdf(ceil(R+)))`` of the R+ null."""
    pmf = _null_counts(2.0 * np.arange(1, n + 1))[::2] / 2.0**n
    sf = float(pmf[int(math.floor(r_plus)):].sum())
    cdf = float(pmf[: int(math.ceil(r_plus)) + 1].sum())
    return min(1.0, 2.0 * min(sf, cdf))


def _permutation_p(r_plus: float, ranks: np.ndarray) -> float:
    """Exact sign-flip distribution of R+ over the non-zero differences (zeros flip to themselves,
    which only repeats every pattern), two-sided as scipy's ``permutation_test``."""
    doubled = np.rint(2.0 * ranks)
    counts = _null_counts(doubled)
    total = counts.sum()
    t = int(round(2.0 * r_plus))
    less = counts[: t + 1].sum() / total
    greater = counts[t:].sum() / total
    return float(min(1.0, 2.0 * min(less, greater)))


def _asymptotic_p(r_plus: float, n: int, tie_counts: np.ndarray) -> float:
    mean = n * (n + 1) / 4.0
    var = (n * (n + 1) * (2 * n + 1) - float((tie_counts**3 - tie_counts).sum()) / 2.0) / 24.0
    z = (r_plus - mean) / math.sqrt(var)
    return float(math.erfc(abs(z) / math.sqrt(2.0)))


def signed_rank_test(d: np.ndarray) -> SignedRank:
    """Two-sided Wilcoxon signed-rank test of the paired differences ``d`` (see the module doc)."""
    d = np.asarray(d, dtype=np.float64).reshape(-1)
    if not np.isfinite(d).all():
        raise HarnessError("Wilcoxon signed-rank test needs finite differences")
    n_total = d.size
    nz = d[d != 0]
    n, n_zero = int(nz.size), int(n_total - nz.size)
    if n == 0:
        return SignedRank(0.0, 0.0, 1.0, "no non-zero differences", 0, n_zero)
    ranks, tie_counts = average_ranks(np.abs(nz))
    r_plus = float(ranks[nz > 0].sum())
    r_minus = float(ranks[nz < 0].sum())
    has_ties = bool((tie_counts > 1).any())
    if n_total <= EXACT_MAX_N and not has_ties and n_zero == 0:
        p, method = _exact_p(r_plus, n), "exact"
    elif n_total <= PERMUTATION_MAX_N:
        p, method = _permutation_p(r_plus, ranks), "permutation (exact)"
    else:
        p, method = _asymptotic_p(r_plus, n, tie_counts), "asymptotic"
    return SignedRank(min(r_plus, r_minus), r_plus, p, method, n, n_zero)
