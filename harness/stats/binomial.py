"""Exact McNemar test: a two-sided binomial test of the discordant pairs at probability 1/2.

For p = 1/2 the binomial distribution is symmetric, so the two-sided p-value of
``scipy.stats.binomtest(k, n, 0.5)`` (the total probability of outcomes no more likely than ``k``)
is ``min(1, 2 * P(X <= min(k, n - k)))``. It is computed here in exact integer arithmetic.
"""

from __future__ import annotations

from harness.errors import HarnessError


def binomial_two_sided_half(k: int, n: int) -> float:
    """Two-sided exact p-value of ``k`` successes in ``n`` trials with success probability 1/2."""
    if n < 0 or not 0 <= k <= n:
        raise HarnessError(f"binomial test needs 0 <= k <= n, got k={k}, n={n}")
    low = min(k, n - k)
    if 2 * low == n:
        return 1.0
    term, tail = 1, 1  # comb(n, 0)
    for i in range(low):
        term = term * (n - i) // (i + 1)
        tail += term
    # P(X <= low) = tail / 2**n; doubled: tail / 2**(n-1). Python's int division rounds correctly.
    return min(1.0, tail / (1 << (n - 1)))


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Exact McNemar p-value from the discordant counts (A right & B wrong, A wrong & B right).
    No discordant pair means no evidence of a difference: p = 1."""
    if only_a < 0 or only_b < 0:
        raise HarnessError("discordant counts must be non-negative")
    if only_a + only_b == 0:
        return 1.0
    return binomial_two_sided_half(min(only_a, only_b), only_a + only_b)
