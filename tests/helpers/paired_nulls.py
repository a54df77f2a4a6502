"""Simulated nulls for the paired tests: A's and B's per-item values are exchangeable (drawn from
the same item-specific law), so every rejection is a false positive. Shared by
tests/stats/test_null_calibration.py and bench/paired_calibration.py."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from harness.stats import bootstrap_mean_diff, mcnemar_diff, paired_bradley_terry, wilcoxon_diff


def alpaca_pair(rng: np.random.Generator, n: int, shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Per-instruction 100 * (preference - 1) in [0, 100], instruction-specific Beta laws; A shifted."""
    shape_a, shape_b = rng.uniform(0.2, 5, n), rng.uniform(0.2, 5, n)
    a = np.clip(100 * rng.beta(shape_a, shape_b) + shift, 0, 100)
    return a, 100 * rng.beta(shape_a, shape_b)


def mt_bench_pair(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer grades 1-10 around a per-(question, turn) quality: many ties and zero differences."""
    quality = rng.uniform(2, 9, n)
    a = np.clip(np.rint(quality + rng.normal(0, 1.5, n)), 1, 10)
    return a, np.clip(np.rint(quality + rng.normal(0, 1.5, n)), 1, 10)


def correctness_pair(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-item correctness with item-specific difficulty (GSM8K / MMLU-like)."""
    p = rng.uniform(size=n)
    return rng.random(n) < p, rng.random(n) < p


def arena_games(rng: np.random.Generator, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two games per question vs the baseline: win 0.8u, tie 0.2, loss 0.8(1-u); 30% of decisive
    verdicts strong (repeated 3 times, as battles_from_games does). -> (question index, score)."""
    qs, ys = [], []
    for _ in range(2):
        r = rng.random(u.size)
        y = np.where(r < 0.8 * u, 1.0, np.where(r < 0.8 * u + 0.2, 0.5, 0.0))
        rep = np.where((y != 0.5) & (rng.random(u.size) < 0.3), 3, 1)
        qs.append(np.repeat(np.arange(u.size), rep))
        ys.append(np.repeat(y, rep))
    return np.concatenate(qs), np.concatenate(ys)


def null_p_value(kind: str, rng: np.random.Generator, n: int, rounds: int, seed: int) -> float:
    """One simulation of ``kind`` under the null: its p-value."""
    if kind == "bradley_terry":
        u = rng.beta(1.5, 2.5, n)
        (qa, ya), (qb, yb) = arena_games(rng, u), arena_games(rng, u)
        return paired_bradley_terry(qa, ya, qb, yb, n, rounds=rounds, seed=seed).p_value
    make: dict[str, tuple[Callable, Callable]] = {
        "bootstrap_mean": (alpaca_pair, bootstrap_mean_diff),
        "wilcoxon": (mt_bench_pair, wilcoxon_diff),
        "mcnemar": (correctness_pair, mcnemar_diff),
    }
    gen, test = make[kind]
    a, b = gen(rng, n)
    return test(a, b, rounds=rounds, seed=seed).p_value


def rejection_rate(kind: str, sims: int, n: int, rounds: int, seed: int, alpha: float = 0.05) -> float:
    rng = np.random.default_rng(seed)
    p = np.array([null_p_value(kind, rng, n, rounds, s) for s in range(sims)])
    assert ((p > 0) & (p <= 1)).all()
    return float(np.mean(p < alpha))
