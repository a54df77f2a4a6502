from __future__ import annotations

import gzip
import json
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from harness.errors import HarnessError
from harness.stats import Battles, arena_scores, bootstrap_indices, paired_bradley_terry
from harness.stats.paired import percentile_ci
from tests.helpers.arena_reference import compute_mle_elo, win_rate_vs

BASE = "gpt-4-0314"
SCORE = {"model_b": 1.0, "tie": 0.5, "model_a": 0.0}


def _games(rng: np.random.Generator, nq: int, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """Two judged games per question, strong verdicts repeated 3 times: (question index, model score)."""
    u = np.clip(rng.beta(2, 2, nq) + strength, 0, 1)
    qs, ys = [], []
    for _ in range(2):
        r = rng.random(nq)
        y = np.where(r < 0.8 * u, 1.0, np.where(r < 0.8 * u + 0.2, 0.5, 0.0))
        rep = np.where((y != 0.5) & (rng.random(nq) < 0.3), 3, 1)
        qs.append(np.repeat(np.arange(nq), rep))
        ys.append(np.repeat(y, rep))
    return np.concatenate(qs), np.concatenate(ys)


def _frame(q: np.ndarray, y: np.ndarray, model: str) -> pd.DataFrame:
    winner = {1.0: "model_b", 0.5: "tie", 0.0: "model_a"}
    return pd.DataFrame({"question": q, "model_a": BASE, "model_b": model, "winner": [winner[v] for v in y]})


def test_point_scores_are_the_official_per_model_scores():
    rng = np.random.default_rng(0)
    (qa, ya), (qb, yb) = _games(rng, 60, 0.1), _games(rng, 60, -0.1)
    res = paired_bradley_terry(qa, ya, qb, yb, 60, rounds=50, seed=1)
    for y, value in ((ya, res.a_value), (yb, res.b_value)):
        battles = Battles.from_rows([BASE] * len(y), ["m"] * len(y), (1.0 - y).tolist())
        assert value == pytest.approx(arena_scores(battles, BASE, num_rounds=5)["m"].score, abs=1e-8)
    assert res.estimate == pytest.approx(res.a_value - res.b_value)


def test_rounds_refit_bradley_terry_on_resampled_questions():
    """Each round equals an independent scikit-learn fit of the battles of that round's questions."""
    rng = np.random.default_rng(1)
    nq, rounds, seed = 25, 12, 7
    (qa, ya), (qb, yb) = _games(rng, nq, 0.15), _games(rng, nq, -0.05)
    battles = pd.concat([_frame(qa, ya, "A"), _frame(qb, yb, "B")], ignore_index=True)
    by_q = {q: g for q, g in battles.groupby("question")}
    diffs = []
    for draw in bootstrap_indices(nq, rounds, seed):
        df = pd.concat([by_q[q] for q in draw if q in by_q], ignore_index=True)
        wr = win_rate_vs(compute_mle_elo(df, baseline_model=BASE).to_dict(), BASE)
        diffs.append(wr["A"] - wr["B"])
    res = paired_bradley_terry(qa, ya, qb, yb, nq, rounds=rounds, seed=seed)
    assert (res.ci_low, res.ci_high) == pytest.approx(percentile_ci(np.array(diffs), 0.95), abs=1e-5)
    point = win_rate_vs(compute_mle_elo(battles, baseline_model=BASE).to_dict(), BASE)
    assert res.estimate == pytest.approx(point["A"] - point["B"], abs=1e-5)


def test_identical_battles_give_zero_and_p_one():
    q, y = _games(np.random.default_rng(2), 30, 0.0)
    res = paired_bradley_terry(q, y, q, y, 30, rounds=200, seed=3)
    assert res.estimate == pytest.approx(0.0, abs=1e-9)
    assert res.ci_low == pytest.approx(0.0, abs=1e-9) and res.ci_high == pytest.approx(0.0, abs=1e-9)
    assert res.p_value == 1.0


def test_swapping_a_and_b_mirrors_the_result():
    rng = np.random.default_rng(3)
    (qa, ya), (qb, yb) = _games(rng, 40, 0.2), _games(rng, 40, 0.0)
    ab = paired_bradley_terry(qa, ya, qb, yb, 40, rounds=300, seed=4)
    ba = paired_bradley_terry(qb, yb, qa, ya, 40, rounds=300, seed=4)
    assert ba.estimate == pytest.approx(-ab.estimate)
    assert (ba.ci_low, ba.ci_high) == pytest.approx((-ab.ci_high, -ab.ci_low), abs=1e-9)
    assert ba.p_value == ab.p_value


def test_rounds_without_battles_of_one_model_are_counted_not_used():
    # A has battles on one question of four: about (3/4)^4 of the rounds draw none of them.
    qa, ya = np.array([0, 0]), np.array([1.0, 0.5])
    qb, yb = np.array([0, 1, 2, 3]), np.array([0.0, 1.0, 0.5, 0.0])
    res = paired_bradley_terry(qa, ya, qb, yb, 4, rounds=400, seed=0)
    assert 0.2 * 400 < res.details["n_degenerate_rounds"] < 0.45 * 400
    assert np.isfinite([res.ci_low, res.ci_high, res.p_value]).all()


def test_official_battles_of_two_leaderboard_models(shared_dir):
    """show_result.py's battles of gpt-4-0613 and gpt-3.5-turbo-0125 vs gpt-4-0314 (published
    37.9 and 23.3): the paired comparison reproduces both scores and finds the difference."""
    path = shared_dir / "official_files/arena_hard/arena_hard_battles.official_gpt-4-0613_gpt-3.5-turbo-0125.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    per_model: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        per_model[r["model_b"]][r["question_id"]].append(SCORE[r["winner"]])
    questions = sorted(set(per_model["gpt-4-0613"]) | set(per_model["gpt-3.5-turbo-0125"]))
    index = {q: i for i, q in enumerate(questions)}

    def arrays(model: str) -> tuple[np.ndarray, np.ndarray]:
        pairs = [(index[q], s) for q, ss in per_model[model].items() for s in ss]
        return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])

    res = paired_bradley_terry(*arrays("gpt-4-0613"), *arrays("gpt-3.5-turbo-0125"), len(questions),
                               rounds=500, seed=42)
    assert round(res.a_value, 1) == 37.9 and round(res.b_value, 1) == 23.3
    assert res.n == 500 and res.ci_low > 5 and res.p_value < 0.01


@pytest.mark.parametrize(("args", "msg"), [
    ((np.array([0]), np.array([2.0]), np.array([0]), np.array([1.0]), 2), "outcomes"),
    ((np.array([2]), np.array([1.0]), np.array([0]), np.array([1.0]), 2), "indices"),
    ((np.array([], dtype=int), np.array([]), np.array([0]), np.array([1.0]), 2), "no battle"),
    ((np.array([0]), np.array([1.0]), np.array([0]), np.array([1.0]), 0), "n_questions"),
    ((np.array([0]), np.array([1.0]), np.array([0]), np.array([0.0]), 1), "at least 2"),
])
def test_bad_battles_are_user_errors(args, msg):
    with pytest.raises(HarnessError, match=msg):
        paired_bradley_terry(*args, rounds=10, seed=0)
