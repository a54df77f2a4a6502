from __future__ import annotations

import itertools

import pytest

from harness.errors import HarnessError
from harness.stats import holm_adjust


def _holm_by_definition(p: list[float]) -> list[float]:
    """Reject H_i at level a iff all hypotheses with smaller p are rejected at a / (m - rank):
    the adjusted p is the smallest level rejecting it."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    adj = [0.0] * m
    for pos, i in enumerate(order):
        adj[i] = min(1.0, max((m - k) * p[order[k]] for k in range(pos + 1)))
    return adj


def test_textbook_example():
    # m = 4: sorted p 0.01, 0.02, 0.03, 0.04 -> 0.04, 0.06, 0.06, 0.06
    assert holm_adjust([0.03, 0.01, 0.04, 0.02]) == pytest.approx([0.06, 0.04, 0.06, 0.06])


def test_agrees_with_the_definition():
    grid = [0.001, 0.01, 0.02, 0.2, 0.5, 0.9]
    for p in itertools.permutations(grid, 4):
        assert holm_adjust(list(p)) == pytest.approx(_holm_by_definition(list(p)))


def test_none_is_skipped_and_not_counted():
    assert holm_adjust([None, 0.01, None, 0.04]) == [None, pytest.approx(0.02), None, pytest.approx(0.04)]
    assert holm_adjust([]) == []


def test_adjusted_never_below_raw_and_capped_at_one():
    adj = holm_adjust([0.5, 0.6, 0.9])
    assert adj == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), "0.1", True])
def test_invalid_p_is_a_user_error(bad):
    with pytest.raises(HarnessError):
        holm_adjust([0.1, bad])
