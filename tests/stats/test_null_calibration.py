"""Issue 16, deliverable 3: under simulated nulls the paired tests reject at about their level.

Each simulation draws per-item data in which A's and B's values are exchangeable (see
tests/helpers/paired_nulls.py), runs the test at alpha = 0.05, and the false-positive rate over
400 simulations must lie in [0.02, 0.08]. Sizes are small so the file runs in seconds; seeds are
fixed, so it is deterministic. ``bench/paired_calibration.py`` measures the rates with many more
simulations and other sizes (e.g. the centred bootstrap is slightly liberal below ~50 items).
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.stats import bootstrap_mean_diff
from tests.helpers.paired_nulls import alpaca_pair, rejection_rate

LOW, HIGH = 0.02, 0.08


@pytest.mark.parametrize(("kind", "n", "rounds", "seed"), [
    ("bootstrap_mean", 100, 400, 101),  # AlpacaEval-like, 100 instructions
    ("wilcoxon", 80, 10, 202),  # MT-Bench-like, 80 (question, turn) pairs; CI rounds unused by p
    ("mcnemar", 200, 10, 303),  # GSM8K-like, 200 items
    ("bradley_terry", 150, 200, 404),  # Arena-Hard-like, 150 questions, BT refit per round
])
def test_false_positive_rate_under_the_null(kind, n, rounds, seed):
    rate = rejection_rate(kind, sims=400, n=n, rounds=rounds, seed=seed)
    assert LOW <= rate <= HIGH, f"{kind}: false-positive rate {rate:.4f}"


def test_bootstrap_mean_has_power_against_a_real_difference():
    """The calibration is not bought by never rejecting: a shift of 8 points on 100 items is found."""
    rng = np.random.default_rng(505)
    p = [bootstrap_mean_diff(*alpaca_pair(rng, 100, shift=8.0), rounds=400, seed=s).p_value for s in range(100)]
    assert np.mean(np.array(p) < 0.05) > 0.5
