"""Paired comparisons of two models on the same items.

Every function here takes plain numpy arrays, aligned item by item (row ``i`` of ``a`` and of ``b``
is the same item), and returns a :class:`PairedResult`: the difference A - B, a percentile
bootstrap CI of it, a two-sided p-value, the number of paired items, and the bootstrap
``rounds``/``seed`` (always recorded, even where the p-value is not a bootstrap one).

Bootstrap draws are the official arena-hard ones (:func:`harness.stats.bradley_terry.bootstrap_indices`,
``RandomState(seed).randint(0, n, size=n)`` per round), drawn in chunks so memory stays bounded
for many rounds; the same items are drawn for both models in a round (paired bootstrap).

Bootstrap p-value (shifted / centred bootstrap): with ``D`` the observed difference and ``D*`` its
bootstrap replicates, ``D* - D`` approximates the null distribution of ``D - E[D]``, so
``p = (1 + #{|D* - D| >= |D|}) / (rounds + 1)``. The ``+1`` keeps it valid for a finite number of
rounds (never 0); identical inputs give ``D = 0`` and ``p = 1``.

AlpacaEval LC: pass per-instruction LC values (see :mod:`harness.compare.alpaca_lc`) to
:func:`bootstrap_mean_diff`. With the GLM weights held fixed, the LC of a resample is the mean of its
resampled per-instruction predictions, i.e. each bootstrap round re-predicts LC on that resample;
the GLM is not refitted per round.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.errors import HarnessError
from harness.stats.binomial import mcnemar_exact
from harness.stats.signed_rank import signed_rank_test

DEFAULT_ROUNDS = 2000
DEFAULT_SEED = 42
DEFAULT_CONFIDENCE = 0.95
CHUNK_CELLS = 4_000_000  # rounds x items drawn at once (32 MB of int64 indices)
MIN_BOOTSTRAP_ITEMS = 2
P_ATOL = 1e-9  # differences below this (in the units of the values) are numerical noise


@dataclass(frozen=True)
class PairedResult:
    """One paired comparison of A and B (``estimate`` = A - B, in the units of the values)."""

    method: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int  # paired items used
    rounds: int
    seed: int
    confidence: float
    a_value: float  # A's score on the paired items (same units)
    b_value: float
    statistic: float | None = None  # test statistic where there is one (Wilcoxon W, McNemar's smaller count)
    details: Mapping[str, Any] = field(default_factory=dict)


def check_settings(rounds: int, seed: int, confidence: float) -> None:
    if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or rounds < 1:
        raise HarnessError(f"bootstrap rounds must be a positive integer, got {rounds!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise HarnessError(f"bootstrap seed must be an integer in [0, 2**32), got {seed!r}")
    if not 0.0 < float(confidence) < 1.0:
        raise HarnessError(f"confidence must be strictly between 0 and 1, got {confidence!r}")


def bootstrap_weight_chunks(n: int, rounds: int, seed: int, chunk_cells: int = CHUNK_CELLS) -> Iterator[np.ndarray]:
    """How often each of ``n`` items is drawn in each round, ``(rounds_in_chunk, n)`` at a time.

    Concatenated over chunks this equals ``bootstrap_weights(n, rounds, seed)`` (one RandomState
    drawing round after round), without holding all ``rounds x n`` draws at once."""
    rs = np.random.RandomState(seed)
    step = max(1, chunk_cells // max(n, 1))
    for start in range(0, rounds, step):
        r = min(step, rounds - start)
        idx = rs.randint(0, n, size=(r, n))
        offsets = (np.arange(r) * n)[:, None]
        yield np.bincount((idx + offsets).ravel(), minlength=r * n).reshape(r, n).astype(np.float64)


def bootstrap_means(values: np.ndarray, rounds: int, seed: int) -> np.ndarray:
    """Mean of ``values`` over each bootstrap resample of its rows, shape ``(rounds,)``."""
    n = values.size
    return np.concatenate([w @ values / n for w in bootstrap_weight_chunks(n, rounds, seed)])


def centred_p_value(replicates: np.ndarray, estimate: float) -> float:
    """Two-sided shifted-bootstrap p-value: ``(1 + #{|D* - D| >= |D|}) / (rounds + 1)``.

    The comparison allows a slack of 1e-12 relative plus ``P_ATOL`` absolute, so that deviations
    equal up to rounding count as equal: identical inputs give exactly 1 even where a refit (the
    Bradley-Terry one) leaves ~1e-14 of numerical noise in Δ."""
    dev = np.abs(replicates - estimate)
    thr = abs(estimate) * (1.0 - 1e-12) - P_ATOL
    return float((1 + np.count_nonzero(dev >= thr)) / (replicates.size + 1))


def percentile_ci(replicates: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = 100.0 * (1.0 - confidence) / 2.0
    lo, hi = np.percentile(replicates, [alpha, 100.0 - alpha])
    return float(lo), float(hi)


def paired_arrays(a: Any, b: Any, *, numeric: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Two equal-length 1-d float arrays; pairs where either side is NaN are dropped."""
    x = np.asarray(a, dtype=np.float64).reshape(-1)
    y = np.asarray(b, dtype=np.float64).reshape(-1)
    if x.shape != y.shape:
        raise HarnessError(f"paired values differ in length ({x.size} vs {y.size})")
    if numeric and (np.isinf(x).any() or np.isinf(y).any()):
        raise HarnessError("paired values must be finite numbers (NaN marks a missing value)")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if x.size == 0:
        raise HarnessError("no item has a value for both models; nothing to compare")
    return x, y


def require_items(n: int) -> None:
    """A bootstrap p-value needs at least two items: resampling one item has no spread, so any
    difference would look certain."""
    if n < MIN_BOOTSTRAP_ITEMS:
        raise HarnessError(f"a bootstrap test needs at least {MIN_BOOTSTRAP_ITEMS} paired items, got {n}")


def _bootstrap_part(x: np.ndarray, y: np.ndarray, rounds: int, seed: int,
                    confidence: float) -> tuple[float, float, float, float]:
    """(estimate, ci_low, ci_high, centred bootstrap p) of mean(x - y)."""
    d = x - y
    est = float(d.mean())
    boot = bootstrap_means(d, rounds, seed)
    lo, hi = percentile_ci(boot, confidence)
    return est, lo, hi, centred_p_value(boot, est)


def bootstrap_mean_diff(a: Any, b: Any, *, rounds: int = DEFAULT_ROUNDS, seed: int = DEFAULT_SEED,
                        confidence: float = DEFAULT_CONFIDENCE) -> PairedResult:
    """Paired bootstrap over items of ``mean(a) - mean(b)`` (any per-item values).

    AlpacaEval WR: per-instruction ``100 * (preference - 1)``; LC: per-instruction LC values.
    NaN on either side drops the pair; the result says how many pairs were used."""
    check_settings(rounds, seed, confidence)
    x, y = paired_arrays(a, b)
    require_items(x.size)
    est, lo, hi, p = _bootstrap_part(x, y, rounds, seed, confidence)
    return PairedResult(method="paired bootstrap (mean difference; centred bootstrap p)", estimate=est,
                        ci_low=lo, ci_high=hi, p_value=p, n=int(x.size), rounds=int(rounds), seed=int(seed),
                        confidence=float(confidence), a_value=float(x.mean()), b_value=float(y.mean()),
                        details={"p_method": "centred bootstrap"})


def wilcoxon_diff(a: Any, b: Any, *, rounds: int = DEFAULT_ROUNDS, seed: int = DEFAULT_SEED,
                  confidence: float = DEFAULT_CONFIDENCE) -> PairedResult:
    """Mean difference with its paired bootstrap CI, p-value from the Wilcoxon signed-rank test
    (scipy's defaults: zeros dropped, no continuity correction, exact/asymptotic as ``method="auto"``).
    The centred bootstrap p is kept in ``details["p_bootstrap"]``."""
    check_settings(rounds, seed, confidence)
    x, y = paired_arrays(a, b)
    est, lo, hi, p_boot = _bootstrap_part(x, y, rounds, seed, confidence)
    test = signed_rank_test(x - y)
    return PairedResult(method="Wilcoxon signed-rank (CI: paired bootstrap of the mean difference)", estimate=est,
                        ci_low=lo, ci_high=hi, p_value=test.p_value, n=int(x.size), rounds=int(rounds),
                        seed=int(seed), confidence=float(confidence), a_value=float(x.mean()),
                        b_value=float(y.mean()), statistic=test.statistic,
                        details={"p_method": test.method, "n_zero_differences": test.n_zero,
                                 "p_bootstrap": p_boot})


def _as_correct(values: Any, which: str) -> np.ndarray:
    arr = np.asarray(values).reshape(-1)
    if arr.dtype == bool:
        return arr.astype(np.float64)
    try:
        f = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise HarnessError(f"McNemar needs per-item correctness (true/false) for {which}") from None
    if not np.isin(f, (0.0, 1.0)).all():
        raise HarnessError(f"McNemar needs per-item correctness (true/false or 0/1) for {which}")
    return f


def mcnemar_diff(a: Any, b: Any, *, rounds: int = DEFAULT_ROUNDS, seed: int = DEFAULT_SEED,
                 confidence: float = DEFAULT_CONFIDENCE) -> PairedResult:
    """Accuracy difference (percentage points) with its paired bootstrap CI; p-value from the exact
    McNemar test (two-sided binomial test of the discordant pairs at 1/2)."""
    check_settings(rounds, seed, confidence)
    x, y = _as_correct(a, "A"), _as_correct(b, "B")
    if x.shape != y.shape:
        raise HarnessError(f"paired values differ in length ({x.size} vs {y.size})")
    if x.size == 0:
        raise HarnessError("no item has a value for both models; nothing to compare")
    est, lo, hi, p_boot = _bootstrap_part(100.0 * x, 100.0 * y, rounds, seed, confidence)
    only_a = int(np.count_nonzero((x == 1) & (y == 0)))
    only_b = int(np.count_nonzero((x == 0) & (y == 1)))
    p = mcnemar_exact(only_a, only_b)
    return PairedResult(method="exact McNemar (CI: paired bootstrap of the accuracy difference)", estimate=est,
                        ci_low=lo, ci_high=hi, p_value=p, n=int(x.size), rounds=int(rounds), seed=int(seed),
                        confidence=float(confidence), a_value=100.0 * float(x.mean()), b_value=100.0 * float(y.mean()),
                        statistic=float(min(only_a, only_b)),
                        details={"p_method": "exact binomial", "only_a_correct": only_a, "only_b_correct": only_b,
                                 "p_bootstrap": p_boot})


PAIRED_TESTS: dict[str, Callable[..., PairedResult]] = {
    "bootstrap_mean": bootstrap_mean_diff,
    "wilcoxon": wilcoxon_diff,
    "mcnemar": mcnemar_diff,
}
