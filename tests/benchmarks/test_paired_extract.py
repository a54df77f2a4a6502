"""Per-item values for `compare` that each benchmark package extracts from its rows."""

from __future__ import annotations

import math

import pytest

from harness.benchmarks.alpaca_eval.paired import preference_values
from harness.benchmarks.arena_hard.paired import question_battles
from harness.benchmarks.mt_bench.paired import turn_grades
from harness.benchmarks.zeroeval.paired import item_correctness
from harness.errors import HarnessError


def test_alpaca_values_read_preferences_like_alpaca_eval():
    rows = [
        {"instruction": "a", "preference": 2.0},
        {"instruction": "b", "preference": "1.25"},  # official files sometimes store strings
        {"instruction": "c", "preference": None},  # not annotated
        {"instruction": "d", "preference": 0},  # legacy draw
        {"instruction": "e", "preference": math.nan},
        {"instruction": "f", "preference": 1.0},
    ]
    assert preference_values(rows) == {"a": 100.0, "b": 25.0, "d": 50.0, "f": 0.0}


def test_alpaca_later_row_replaces_earlier_one():
    rows = [{"instruction": "a", "preference": None}, {"instruction": "a", "preference": 1.75},
            {"instruction": "b", "preference": 1.5}, {"instruction": "b", "preference": None}]
    assert preference_values(rows) == {"a": 75.0}


@pytest.mark.parametrize("row", [{"instruction": "a", "preference": 3.0}, {"instruction": "a", "preference": "win"},
                                 {"instruction": 5, "preference": 1.5}, {"instruction": "a", "preference": True}])
def test_alpaca_bad_rows_are_user_errors(row):
    with pytest.raises(HarnessError):
        preference_values([row])


def test_arena_games_become_battles_per_question():
    games = [
        {"item_id": "q1", "game": 0, "score": "A>>B", "model": "m"},  # baseline (A) much better: 3 rows
        {"item_id": "q1", "game": 1, "score": "A>B", "model": "m"},  # model in slot A wins
        {"item_id": "q2", "game": 0, "score": None, "model": "m"},  # no verdict
        {"item_id": "q2", "game": 1, "score": "A=B]]x", "model": "m"},
        {"item_id": 3, "game": "1", "score": "A=B", "model": "m"},
    ]
    out = question_battles(games)
    assert [r["winner"] for r in out["q1"]] == ["model_a"] * 3 + ["model_b"]
    assert all(r["model_a"] == "gpt-4-0314" and r["model_b"] == "m" for r in out["q1"])
    assert out["q2"] == []  # judged, no usable verdict
    assert [r["winner"] for r in out["3"]] == ["tie"]


def test_arena_rejects_mixed_models_and_bad_games():
    with pytest.raises(HarnessError, match="several models"):
        question_battles([{"item_id": "q", "game": 0, "score": "A>B", "model": "x"},
                            {"item_id": "q", "game": 1, "score": "A>B", "model": "y"}])
    with pytest.raises(HarnessError, match="game 0 or 1"):
        question_battles([{"item_id": "q", "game": 2, "score": "A>B", "model": "x"}])


def test_mt_bench_drops_unparsed_and_averages_repeats():
    rows = [
        {"item_id": "81", "turn": 1, "score": 8},
        {"item_id": "81", "turn": 1, "score": 6},  # the same turn judged twice
        {"question_id": 81, "turn": 2, "score": -1},  # unparsed
        {"item_id": "82", "turn": 2, "score": None},
        {"item_id": "82", "turn": 1, "score": 7.5},
    ]
    assert turn_grades(rows) == {("81", 1): 7.0, ("82", 1): 7.5}


@pytest.mark.parametrize("row", [{"item_id": "1", "turn": 1, "score": "8"}, {"item_id": "1", "turn": "1", "score": 8},
                                 {"turn": 1, "score": 8}, {"item_id": "1", "turn": 1, "score": math.inf}])
def test_mt_bench_bad_rows_are_user_errors(row):
    with pytest.raises(HarnessError):
        turn_grades([row])


def test_item_correctnessness_skips_missing_generations():
    rows = [{"id": "1", "matched": True}, {"id": "2", "parsed": False, "matched": False},
            {"id": "3", "missing": True, "matched": False}, {"id": 4, "matched": False}]
    assert item_correctness(rows) == {"1": True, "2": False, "4": False}
    with pytest.raises(HarnessError, match="matched"):
        item_correctness([{"id": "1", "matched": 1}])
    with pytest.raises(HarnessError, match="no 'id'"):
        item_correctness([{"matched": True}])
