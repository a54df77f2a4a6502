"""Bradley-Terry (Elo-scaled) fits and bootstrap, vectorised over bootstrap rounds.

Reproduces arena-hard-auto v0.1 ``show_result.py``:

- ``compute_mle_elo``: every battle row is duplicated; a row scores 1 when ``model_a`` wins,
  0 when ``model_b`` wins, and a tie scores 1 in the first copy and 0 in the second. An
  unpenalised, intercept-free logistic regression on ``X[a] = +ln 10, X[b] = -ln 10`` gives
  coefficients ``c``; ratings are ``400 c + 1000`` shifted so the baseline sits at 1000.
  Duplicating rows doubles the log-likelihood, so the optimum is that of the per-row soft
  label ``y in {1, 0.5, 0}``; that is what is fitted here.
- ``get_bootstrap_result``: ``np.random.seed(42)`` then ``battles.sample(frac=1, replace=True)``
  per round, which is ``RandomState(42).randint(0, n, size=n)`` round after round; the same
  index draws are used here, so the bootstrap matches the official one draw for draw.

Instead of one scikit-learn fit per round, battles are reduced to per-round weights of the
distinct (pair, outcome) cells (a ``bincount``) and all rounds are solved at once by damped
Newton steps on the batched (models x models) Hessians. Newton steps use the pseudo-inverse
(min-norm) so the iterate stays orthogonal to the Hessian's null space, exactly like
lbfgs started from zero in scikit-learn; anchoring then fixes the gauge.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.errors import HarnessError

SCALE = 400.0
BASE = 10.0
INIT_RATING = 1000.0
LN_BASE = math.log(BASE)


@dataclass(frozen=True)
class Battles:
    """Battle rows: indices into ``models`` and the score of ``model_a`` (1, 0.5 or 0)."""

    models: tuple[str, ...]
    a: np.ndarray  # int, shape (n,)
    b: np.ndarray  # int, shape (n,)
    y: np.ndarray  # float, shape (n,)

    @classmethod
    def from_rows(cls, model_a: Sequence[str], model_b: Sequence[str], outcome: Sequence[float]) -> Battles:
        """Models are numbered in order of first appearance over ``model_a`` then ``model_b``
        (``pd.concat([model_a, model_b]).unique()``, as the official code does)."""
        if not (len(model_a) == len(model_b) == len(outcome)):
            raise HarnessError("battle columns differ in length")
        order: dict[str, int] = {}
        for name in list(model_a) + list(model_b):
            order.setdefault(name, len(order))
        a = np.fromiter((order[m] for m in model_a), dtype=np.int64, count=len(model_a))
        b = np.fromiter((order[m] for m in model_b), dtype=np.int64, count=len(model_b))
        y = np.asarray(outcome, dtype=np.float64)
        if y.size and not np.isin(y, (0.0, 0.5, 1.0)).all():
            raise HarnessError("battle outcomes must be 1 (model_a wins), 0.5 (tie) or 0 (model_b wins)")
        return cls(tuple(order), a, b, y)

    def __len__(self) -> int:
        return int(self.a.size)


def _cells(battles: Battles) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (a, b, y) cells and each row's cell code."""
    stacked = np.stack([battles.a, battles.b, np.rint(battles.y * 2).astype(np.int64)], axis=1)
    uniq, codes = np.unique(stacked, axis=0, return_inverse=True)
    return uniq[:, 0], uniq[:, 1], uniq[:, 2] / 2.0, codes.reshape(-1)


def _design(ca: np.ndarray, cb: np.ndarray, n_models: int) -> np.ndarray:
    d = np.zeros((ca.size, n_models))
    d[np.arange(ca.size), ca] += LN_BASE
    d[np.arange(ca.size), cb] -= LN_BASE
    return d


def _newton(ca: np.ndarray, cb: np.ndarray, cy: np.ndarray, weights: np.ndarray, n_models: int) -> np.ndarray:
    return fit_logistic_batched(_design(ca, cb, n_models), cy, weights)


def fit_logistic_batched(d: np.ndarray, cy: np.ndarray, weights: np.ndarray, max_iter: int = 100,
                         tol: float = 1e-11) -> np.ndarray:
    """Unpenalised, intercept-free logistic regression with soft labels, many weightings at once.

    ``d`` (cells, params) design, ``cy`` (cells,) labels in [0, 1], ``weights`` (rounds, cells)
    -> coefficients (rounds, params) minimising sum_k w_k * logloss(cy_k, sigmoid(d_k . c)).
    Damped Newton with min-norm (pseudo-inverse) steps from zero.
    """
    rounds = weights.shape[0]
    coef = np.zeros((rounds, d.shape[1]))

    current = _loss_rows(coef, d, weights, cy)
    active = np.ones(rounds, dtype=bool)
    for _ in range(max_iter):
        if not active.any():
            break
        c = coef[active]
        w = weights[active]
        z = c @ d.T
        p = 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid without overflow warnings
        grad = (w * (p - cy)) @ d
        h = w * p * (1.0 - p)
        hess = np.matmul(d.T[None, :, :] * h[:, None, :], d)
        step = -np.einsum("rij,rj->ri", np.linalg.pinv(hess, hermitian=True), grad)
        # backtracking: never accept a step that increases the loss
        t = np.ones(c.shape[0])
        base_loss = current[active]
        new = c + step
        new_loss = _loss_rows(new, d, w, cy)
        for _ in range(30):
            worse = new_loss > base_loss + 1e-12 * np.abs(base_loss)
            if not worse.any():
                break
            t[worse] *= 0.5
            new[worse] = c[worse] + t[worse, None] * step[worse]
            new_loss[worse] = _loss_rows(new[worse], d, w[worse], cy)
        idx = np.flatnonzero(active)
        coef[idx] = new
        current[idx] = new_loss
        moved = np.abs(t[:, None] * step).max(axis=1)
        active[idx[moved < tol]] = False
    return coef


def _loss_rows(c: np.ndarray, d: np.ndarray, w: np.ndarray, cy: np.ndarray) -> np.ndarray:
    z = c @ d.T
    return (w * (np.logaddexp(0.0, -z) * cy + np.logaddexp(0.0, z) * (1 - cy))).sum(axis=1)


def _anchor(coef: np.ndarray, models: tuple[str, ...], baseline: str | None) -> np.ndarray:
    elo = SCALE * coef + INIT_RATING
    if baseline is not None and baseline in models:
        j = models.index(baseline)
        elo = elo + (INIT_RATING - elo[..., j : j + 1])
    return elo


def fit_elo(battles: Battles, baseline: str | None = None) -> dict[str, float]:
    """Official ``compute_mle_elo`` on all battles: model -> Elo (baseline anchored at 1000)."""
    if len(battles) == 0:
        raise HarnessError("no battles to fit")
    ca, cb, cy, codes = _cells(battles)
    w = np.bincount(codes, minlength=ca.size).astype(np.float64)[None, :]
    elo = _anchor(_newton(ca, cb, cy, w, len(battles.models)), battles.models, baseline)[0]
    return dict(zip(battles.models, elo.tolist(), strict=True))


def bootstrap_weights(n: int, num_rounds: int, seed: int = 42) -> np.ndarray:
    """How often each of ``n`` rows is drawn in each official bootstrap round, (rounds, n)."""
    idx = bootstrap_indices(n, num_rounds, seed)
    offsets = (np.arange(num_rounds) * n)[:, None]
    return np.bincount((idx + offsets).ravel(), minlength=num_rounds * n).reshape(num_rounds, n).astype(np.float64)


def bootstrap_indices(n: int, num_rounds: int, seed: int = 42) -> np.ndarray:
    """The official bootstrap draws: ``np.random.seed(seed)`` + ``DataFrame.sample(frac=1,
    replace=True)`` per round == ``RandomState(seed).randint(0, n, size=n)`` per round."""
    rs = np.random.RandomState(seed)
    return rs.randint(0, n, size=(num_rounds, n))


def bootstrap_elo(battles: Battles, num_rounds: int = 100, seed: int = 42,
                  baseline: str | None = None) -> np.ndarray:
    """Elo of every model in every bootstrap round, shape (num_rounds, len(models))."""
    if len(battles) == 0:
        raise HarnessError("no battles to bootstrap")
    ca, cb, cy, codes = _cells(battles)
    idx = bootstrap_indices(len(battles), num_rounds, seed)
    sampled = codes[idx]  # (rounds, n)
    offsets = (np.arange(num_rounds) * ca.size)[:, None]
    w = np.bincount((sampled + offsets).ravel(), minlength=num_rounds * ca.size)
    w = w.reshape(num_rounds, ca.size).astype(np.float64)
    return _anchor(_newton(ca, cb, cy, w, len(battles.models)), battles.models, baseline)


def win_rate(elo: float | np.ndarray, baseline_elo: float | np.ndarray) -> float | np.ndarray:
    """Official ``predict_win_rate``: P(model beats baseline) = 1 / (1 + 10^((Rb - Rm) / 400))."""
    return 1.0 / (1.0 + BASE ** ((np.asarray(baseline_elo) - np.asarray(elo)) / SCALE))


@dataclass(frozen=True)
class ModelScore:
    model: str
    elo: float
    elo_lower: float
    elo_upper: float
    score: float  # win rate vs the baseline, percent, full precision
    lower: float
    upper: float

    def official(self) -> dict[str, float]:
        """``get_win_rate_column`` values: percent rounded to 2 decimals (what show_result prints)."""
        return {"score": round(self.score, 2), "lower": round(self.lower, 2), "upper": round(self.upper, 2)}


def arena_scores(battles: Battles, baseline: str, num_rounds: int = 100, seed: int = 42) -> dict[str, ModelScore]:
    """Score, 95% CI (2.5/97.5 percentiles of bootstrap Elo) and win rate vs ``baseline``."""
    if baseline not in battles.models:
        raise HarnessError(f"baseline {baseline!r} is in no battle")
    point = fit_elo(battles, baseline)
    boot = bootstrap_elo(battles, num_rounds, seed, baseline)
    base_elo = point[baseline]
    out: dict[str, ModelScore] = {}
    for j, model in enumerate(battles.models):
        lo = float(np.percentile(boot[:, j], 2.5))
        hi = float(np.percentile(boot[:, j], 97.5))
        out[model] = ModelScore(
            model=model, elo=point[model], elo_lower=lo, elo_upper=hi,
            score=100.0 * float(win_rate(point[model], base_elo)),
            lower=100.0 * float(win_rate(lo, base_elo)), upper=100.0 * float(win_rate(hi, base_elo)),
        )
    return out
