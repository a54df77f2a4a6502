"""A straightforward re-implementation of arena-hard-auto v0.1's ``show_result.py`` statistics
(one scikit-learn logistic regression per bootstrap round), used as the reference the
vectorised ``harness.stats`` must agree with, in tests and in ``bench/arena_stats.py``.

Battles are a DataFrame with columns ``model_a``, ``model_b``, ``winner`` in
{"model_a", "model_b", "tie"}, strong verdicts already repeated (weight 3), as the official
``get_battles_from_judgment`` builds them.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression


def compute_mle_elo(df: pd.DataFrame, scale: float = 400, base: float = 10, init_rating: float = 1000,
                    baseline_model: str = "gpt-4-0314") -> pd.Series:
    models = pd.concat([df["model_a"], df["model_b"]]).unique()
    models = pd.Series(np.arange(len(models)), index=models)
    df = pd.concat([df, df], ignore_index=True)  # duplicate battles
    p, n = len(models.index), df.shape[0]
    x = np.zeros([n, p])
    x[np.arange(n), models[df["model_a"]]] = +math.log(base)
    x[np.arange(n), models[df["model_b"]]] = -math.log(base)
    y = np.zeros(n)
    y[(df["winner"] == "model_a").to_numpy()] = 1.0
    tie_idx = ((df["winner"] == "tie") | (df["winner"] == "tie (bothbad)")).to_numpy().copy()
    tie_idx[len(tie_idx) // 2 :] = False  # one tie => one A win + one B win
    y[tie_idx] = 1.0
    with warnings.catch_warnings():  # penalty=None is deprecated in scikit-learn 1.8; same fit
        warnings.simplefilter("ignore", FutureWarning)
        lr = LogisticRegression(fit_intercept=False, penalty=None, tol=1e-8)
        lr.fit(x, y)
    elo = scale * lr.coef_[0] + init_rating
    if baseline_model in models.index:
        elo += 1000 - elo[models[baseline_model]]
    return pd.Series(elo, index=models.index).sort_values(ascending=False)


def get_bootstrap_result(battles: pd.DataFrame, num_round: int, baseline_model: str = "gpt-4-0314",
                         seed: int = 42) -> pd.DataFrame:
    np.random.seed(seed)
    rows = [compute_mle_elo(battles.sample(frac=1.0, replace=True), baseline_model=baseline_model)
            for _ in range(num_round)]
    df = pd.DataFrame(rows)
    return df[df.median().sort_values(ascending=False).index]


def win_rate_vs(elo: dict[str, float], baseline: str) -> dict[str, float]:
    """``predict_win_rate(...)[baseline]`` in percent, unrounded."""
    return {m: 100.0 / (1 + 10 ** ((elo[baseline] - e) / 400)) for m, e in elo.items()}


def official_scores(battles: pd.DataFrame, baseline: str, num_rounds: int = 100, seed: int = 42) -> dict[str, dict]:
    """score / lower / upper (percent, unrounded) and Elo as the official script derives them."""
    point = compute_mle_elo(battles, baseline_model=baseline).to_dict()
    boot = get_bootstrap_result(battles, num_rounds, baseline, seed)
    lower = {m: float(np.percentile(boot[m], 2.5)) for m in point}
    upper = {m: float(np.percentile(boot[m], 97.5)) for m in point}
    s, lo, hi = win_rate_vs(point, baseline), win_rate_vs(lower, baseline), win_rate_vs(upper, baseline)
    return {m: {"elo": point[m], "score": s[m], "lower": lo[m], "upper": hi[m]} for m in point}


def synthetic_battles(n_questions: int, models: dict[str, float], baseline: str = "gpt-4-0314",
                      seed: int = 0, weight: int = 3) -> pd.DataFrame:
    """Two games per question per model against ``baseline`` with verdicts drawn from a BT model
    with the given true Elo; strong verdicts (1 in 3 decisive games) repeated ``weight`` times."""
    rng = np.random.default_rng(seed)
    rows = []
    for model, true_elo in models.items():
        p_model = 1 / (1 + 10 ** ((1000 - true_elo) / 400))
        for _ in range(n_questions):
            for _game in range(2):
                u = rng.random()
                if u < 0.15:
                    winner, w = "tie", 1
                else:
                    winner = "model_b" if rng.random() < p_model else "model_a"
                    w = weight if rng.random() < 1 / 3 else 1
                rows.extend([{"model_a": baseline, "model_b": model, "winner": winner}] * w)
    return pd.DataFrame(rows)
