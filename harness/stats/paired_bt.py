"""Arena-Hard: paired bootstrap over questions of a Bradley-Terry win-rate difference.

Models A and B were each judged against the same baseline on (partly) the same questions. One
Bradley-Terry model over {baseline, A, B} is fitted to all battles jointly (as ``show_result.py``
fits a leaderboard); A's and B's scores are their win rates against the baseline (percent),
``Δ = WR(A) - WR(B)``.

The bootstrap resamples *questions* (the same draws for A and B), never single battle rows, so
the two games of a question and the three copies of a strong verdict stay together and the
pairing of A and B on a question is kept. A round's battles are reduced to weights of the six
(model, outcome) cells, ``weights = draws @ counts`` with ``counts[q, cell]`` the battles of
question ``q`` in each cell, and every round is solved at once by
:func:`harness.stats.bradley_terry.fit_logistic_batched` (as ``bootstrap_elo`` does with rows).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.errors import HarnessError
from harness.stats.bradley_terry import LN_BASE, SCALE, fit_logistic_batched, win_rate
from harness.stats.paired import (
    DEFAULT_CONFIDENCE,
    DEFAULT_ROUNDS,
    DEFAULT_SEED,
    PairedResult,
    bootstrap_weight_chunks,
    centred_p_value,
    check_settings,
    percentile_ci,
    require_items,
)

# parameters: 0 = baseline, 1 = A, 2 = B; cells: (model slot m in {0: A, 1: B}) x (score 0, 0.5, 1)
_N_CELLS = 6


def _design() -> tuple[np.ndarray, np.ndarray]:
    d = np.zeros((_N_CELLS, 3))
    cy = np.zeros(_N_CELLS)
    for m in (0, 1):
        for s in (0, 1, 2):
            cell = 3 * m + s
            d[cell, 1 + m] = LN_BASE
            d[cell, 0] = -LN_BASE
            cy[cell] = s / 2.0
    return d, cy


def _check_side(q: Any, y: Any, n_questions: int, which: str) -> tuple[np.ndarray, np.ndarray]:
    q = np.asarray(q).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if q.shape != y.shape:
        raise HarnessError(f"battles of {which}: question indices and outcomes differ in length")
    if q.size == 0:
        raise HarnessError(f"{which} has no battle with a verdict on the paired questions; nothing to fit")
    if not np.issubdtype(q.dtype, np.integer) or q.min() < 0 or q.max() >= n_questions:
        raise HarnessError(f"battles of {which}: question indices must be integers in [0, {n_questions})")
    if not np.isin(y, (0.0, 0.5, 1.0)).all():
        raise HarnessError(f"battles of {which}: outcomes must be 1 (model wins), 0.5 (tie) or 0 (baseline wins)")
    return q.astype(np.int64), y


def cell_counts(q_a: np.ndarray, y_a: np.ndarray, q_b: np.ndarray, y_b: np.ndarray, n_questions: int) -> np.ndarray:
    """``counts[q, cell]``: battles of question ``q`` in each (model, outcome) cell, ``(n_questions, 6)``."""
    cells = np.concatenate([np.rint(2 * y_a).astype(np.int64), 3 + np.rint(2 * y_b).astype(np.int64)])
    qs = np.concatenate([q_a, q_b])
    flat = np.bincount(qs * _N_CELLS + cells, minlength=n_questions * _N_CELLS)
    return flat.reshape(n_questions, _N_CELLS).astype(np.float64)


def win_rates(cell_weights: np.ndarray) -> np.ndarray:
    """Win rates (percent) of A and B against the baseline for each row of cell weights, ``(rounds, 2)``.

    A model with no battle in a round has no rating there: NaN."""
    d, cy = _design()
    coef = fit_logistic_batched(d, cy, cell_weights)
    elo = SCALE * coef
    out = 100.0 * np.stack([win_rate(elo[:, 1], elo[:, 0]), win_rate(elo[:, 2], elo[:, 0])], axis=1)
    empty = np.stack([cell_weights[:, :3].sum(axis=1) == 0, cell_weights[:, 3:].sum(axis=1) == 0], axis=1)
    out[empty] = np.nan
    return out


def _difference(rates: np.ndarray) -> np.ndarray:
    return rates[:, 0] - rates[:, 1]


def paired_bradley_terry(q_a: Any, y_a: Any, q_b: Any, y_b: Any, n_questions: int, *,
                         rounds: int = DEFAULT_ROUNDS, seed: int = DEFAULT_SEED,
                         confidence: float = DEFAULT_CONFIDENCE) -> PairedResult:
    """Paired bootstrap over ``n_questions`` questions of WR(A vs baseline) - WR(B vs baseline).

    ``q_x``: question index (0..n_questions-1) of each battle row of model x; ``y_x``: x's score in
    it against the baseline (1 win, 0.5 tie, 0 loss), strong verdicts already repeated. Rounds in
    which A or B drew no battle at all (possible only with very few questions) are left out of the
    CI and p-value and counted in ``details["n_degenerate_rounds"]``."""
    check_settings(rounds, seed, confidence)
    if isinstance(n_questions, bool) or not isinstance(n_questions, (int, np.integer)) or n_questions < 1:
        raise HarnessError(f"n_questions must be a positive integer, got {n_questions!r}")
    require_items(n_questions)
    qa, ya = _check_side(q_a, y_a, n_questions, "A")
    qb, yb = _check_side(q_b, y_b, n_questions, "B")
    counts = cell_counts(qa, ya, qb, yb, n_questions)
    point = win_rates(counts.sum(axis=0)[None, :])[0]
    est = float(point[0] - point[1])
    boot = np.concatenate([_difference(win_rates(w @ counts))
                           for w in bootstrap_weight_chunks(n_questions, rounds, seed)])
    ok = np.isfinite(boot)
    if not ok.any():
        raise HarnessError("every bootstrap round lacks battles of A or B; too few questions to compare")
    lo, hi = percentile_ci(boot[ok], confidence)
    return PairedResult(
        method="paired bootstrap over questions (Bradley-Terry refit per round; centred bootstrap p)",
        estimate=est, ci_low=lo, ci_high=hi, p_value=centred_p_value(boot[ok], est), n=int(n_questions),
        rounds=int(rounds), seed=int(seed), confidence=float(confidence), a_value=float(point[0]),
        b_value=float(point[1]),
        details={"p_method": "centred bootstrap", "n_battles_a": int(qa.size), "n_battles_b": int(qb.size),
                 "n_degenerate_rounds": int((~ok).sum())},
    )
