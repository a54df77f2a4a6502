from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.errors import HarnessError
from harness.stats import Battles, arena_scores, bootstrap_elo, bootstrap_indices, fit_elo, win_rate
from tests.helpers.arena_reference import compute_mle_elo, official_scores, synthetic_battles

BASE = "gpt-4-0314"
Y = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5}


def _battles(df: pd.DataFrame) -> Battles:
    return Battles.from_rows(df.model_a.tolist(), df.model_b.tolist(), df.winner.map(Y).tolist())


def test_star_design_has_the_closed_form_answer():
    # baseline vs one model: the MLE makes P(model wins) equal to the model's mean score.
    rows = ([(BASE, "m", "model_b")] * 30 + [(BASE, "m", "model_a")] * 10 + [(BASE, "m", "tie")] * 8)
    df = pd.DataFrame(rows, columns=["model_a", "model_b", "winner"])
    elo = fit_elo(_battles(df), baseline=BASE)
    p_model = (30 + 0.5 * 8) / 48
    assert elo[BASE] == 1000.0
    assert elo["m"] == pytest.approx(1000 + 400 * math.log10(p_model / (1 - p_model)), abs=1e-9)
    assert 100 * win_rate(elo["m"], elo[BASE]) == pytest.approx(100 * p_model, abs=1e-9)


def test_recovers_true_ratings_from_many_battles():
    rng = np.random.default_rng(3)
    rows = []
    for name, true_elo in {"strong": 1150, "weak": 850}.items():
        p = float(win_rate(true_elo, 1000))
        rows += [(BASE, name, "model_b" if rng.random() < p else "model_a") for _ in range(20000)]
    elo = fit_elo(_battles(pd.DataFrame(rows, columns=["model_a", "model_b", "winner"])), baseline=BASE)
    assert elo["strong"] == pytest.approx(1150, abs=12)
    assert elo["weak"] == pytest.approx(850, abs=12)


def test_round_robin_solution_satisfies_the_likelihood_equations():
    rng = np.random.default_rng(0)
    names = ["a", "b", "c", "d"]
    rows = []
    for _ in range(400):
        i, j = rng.choice(4, size=2, replace=False)
        rows.append((names[i], names[j], rng.choice([1.0, 0.5, 0.0], p=[0.5, 0.2, 0.3])))
    bt = Battles.from_rows([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    elo = fit_elo(bt, baseline="a")
    # at the MLE each model's expected score equals its actual score
    for m in names:
        exp = act = 0.0
        for a, b, y in rows:
            p = float(win_rate(elo[a], elo[b]))
            if a == m:
                exp, act = exp + p, act + y
            elif b == m:
                exp, act = exp + 1 - p, act + 1 - y
        assert exp == pytest.approx(act, abs=1e-7)


def test_fit_agrees_with_sklearn_on_a_general_graph():
    rng = np.random.default_rng(7)
    names = ["gpt-4-0314", "x", "y", "z"]
    rows = []
    for _ in range(600):
        i, j = rng.choice(4, size=2, replace=False)
        rows.append({"model_a": names[i], "model_b": names[j],
                     "winner": rng.choice(["model_a", "model_b", "tie"], p=[0.4, 0.45, 0.15])})
    df = pd.DataFrame(rows)
    ref = compute_mle_elo(df, baseline_model=BASE).to_dict()
    ours = fit_elo(_battles(df), baseline=BASE)
    for m in names:
        assert ours[m] == pytest.approx(ref[m], abs=1e-4)  # Elo units; sklearn's own tol is ~1e-6
        assert 100 * win_rate(ours[m], 1000) == pytest.approx(100 * win_rate(ref[m], 1000), abs=1e-6)


def test_bootstrap_draws_are_the_official_pandas_draws():
    df = pd.DataFrame({"i": np.arange(257)})
    np.random.seed(42)
    expected = [df.sample(frac=1.0, replace=True)["i"].to_numpy() for _ in range(5)]
    got = bootstrap_indices(257, 5, seed=42)
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_array_equal(e, g)


def test_scores_and_ci_agree_with_the_per_round_sklearn_procedure():
    df = synthetic_battles(120, {"m1": 1080, "m2": 960}, seed=11)
    ref = official_scores(df, BASE, num_rounds=25)
    ours = arena_scores(_battles(df), BASE, num_rounds=25)
    for m, r in ref.items():
        assert ours[m].score == pytest.approx(r["score"], abs=1e-6)
        assert ours[m].lower == pytest.approx(r["lower"], abs=1e-6)
        assert ours[m].upper == pytest.approx(r["upper"], abs=1e-6)


@pytest.mark.slow
def test_full_100_round_bootstrap_agrees_with_sklearn():
    df = synthetic_battles(500, {"m1": 1100, "m2": 900, "m3": 1010}, seed=5)
    ref = official_scores(df, BASE, num_rounds=100)
    ours = arena_scores(_battles(df), BASE, num_rounds=100)
    assert max(abs(ours[m].score - r["score"]) for m, r in ref.items()) < 1e-6
    assert max(abs(ours[m].lower - r["lower"]) for m, r in ref.items()) < 1e-6
    assert max(abs(ours[m].upper - r["upper"]) for m, r in ref.items()) < 1e-6


def test_bootstrap_is_deterministic_and_anchored():
    bt = _battles(synthetic_battles(50, {"m": 1050}, seed=2))
    a, b = bootstrap_elo(bt, 10, seed=42, baseline=BASE), bootstrap_elo(bt, 10, seed=42, baseline=BASE)
    np.testing.assert_array_equal(a, b)
    assert (a[:, bt.models.index(BASE)] == 1000).all()
    assert not np.array_equal(a, bootstrap_elo(bt, 10, seed=1, baseline=BASE))


def test_separated_battles_give_finite_extreme_scores():
    df = pd.DataFrame([(BASE, "m", "model_b")] * 20, columns=["model_a", "model_b", "winner"])
    s = arena_scores(_battles(df), BASE, num_rounds=5)["m"]
    assert math.isfinite(s.elo) and s.score > 99.99 and s.lower > 99.99


def test_bad_input_is_a_harness_error():
    with pytest.raises(HarnessError):
        Battles.from_rows(["a"], ["b"], [2.0])
    with pytest.raises(HarnessError):
        Battles.from_rows(["a"], ["b", "c"], [1.0])
    with pytest.raises(HarnessError):
        arena_scores(Battles.from_rows(["a"], ["b"], [1.0]), "nobody")


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from([1.0, 0.5, 0.0]), min_size=1, max_size=60))
def test_star_score_is_the_mean_model_score(outcomes):
    """Property: against one baseline the BT win rate is the model's mean score (ties half)."""
    bt = Battles.from_rows([BASE] * len(outcomes), ["m"] * len(outcomes), outcomes)
    score = fit_elo(bt, BASE)
    p_model = 1 - sum(outcomes) / len(outcomes)
    assert 100 * float(win_rate(score["m"], score[BASE])) == pytest.approx(100 * p_model, abs=1e-6)
