from __future__ import annotations

import math

import numpy as np
import pytest

from harness.compare import KINDS, Comparison, align, compare_items, holm, unavailable
from harness.errors import HarnessError

BASE = "gpt-4-0314"


def _battles(rng: np.random.Generator, model: str, n: int) -> dict[str, list[dict[str, str]]]:
    out = {}
    for q in range(n):
        rows = []
        for _ in range(2):
            winner = rng.choice(["model_a", "model_b", "tie"], p=[0.4, 0.4, 0.2])
            rows += [{"question_id": f"q{q}", "model_a": BASE, "model_b": model, "winner": winner}] * (
                3 if winner != "tie" and rng.random() < 0.3 else 1)
        out[f"q{q}"] = rows
    return out


def _same_items(kind: str) -> dict:
    rng = np.random.default_rng(0)
    if kind == "bootstrap_mean":
        return {f"i{k}": float(v) for k, v in enumerate(100 * rng.uniform(size=50))}
    if kind == "wilcoxon":
        return {(f"q{k}", t): float(rng.integers(1, 11)) for k in range(30) for t in (1, 2)}
    if kind == "mcnemar":
        return {f"i{k}": bool(v) for k, v in enumerate(rng.random(80) < 0.6)}
    return _battles(rng, "m", 30)


@pytest.mark.parametrize("kind", KINDS)
def test_a_versus_a_gives_zero_difference_and_p_one(kind):
    items = _same_items(kind)
    res = compare_items(kind, items, dict(items), rounds=200, seed=3)
    assert res.estimate == pytest.approx(0.0, abs=1e-9)
    assert res.ci_low == pytest.approx(0.0, abs=1e-9) and res.ci_high == pytest.approx(0.0, abs=1e-9)
    assert res.p_value == 1.0
    assert (res.n_paired, res.n_only_a, res.n_only_b) == (len(items), 0, 0)
    assert (res.rounds, res.seed, res.kind) == (200, 3, kind)


def test_items_of_one_model_only_are_counted_and_named():
    a = {"x": 1.0, "y": 2.0, "z": 3.0, "only_a": 5.0, "nan_b": 1.0}
    b = {"x": 0.0, "y": 1.0, "z": 1.0, "only_b1": 1.0, "only_b2": 2.0, "nan_b": math.nan}
    res = compare_items("bootstrap_mean", a, b, rounds=50, seed=0)
    assert (res.n_paired, res.n_only_a, res.n_only_b) == (3, 2, 2)
    assert res.only_a_examples == ("nan_b", "only_a") and res.only_b_examples == ("only_b1", "only_b2")
    assert res.estimate == pytest.approx((1 + 1 + 2) / 3)
    assert "4 item(s) present for one model only" in res.note and "only 3 paired items" in res.note


def test_pairs_follow_sorted_keys_not_dict_order():
    rng = np.random.default_rng(1)
    keys = [f"k{i:03d}" for i in range(60)]
    a = {k: float(v) for k, v in zip(keys, rng.normal(size=60), strict=True)}
    b = {k: float(v) for k, v in zip(keys, rng.normal(size=60), strict=True)}
    shuffled = {k: a[k] for k in reversed(keys)}
    r1 = compare_items("bootstrap_mean", a, b, rounds=100, seed=2)
    assert compare_items("bootstrap_mean", shuffled, b, rounds=100, seed=2) == r1
    mirror = compare_items("bootstrap_mean", b, a, rounds=100, seed=2)
    assert mirror.estimate == pytest.approx(-r1.estimate)
    assert (mirror.ci_low, mirror.ci_high) == pytest.approx((-r1.ci_high, -r1.ci_low))


def test_align_handles_mixed_key_types():
    paired, only_a, only_b = align({1: 1.0, "a": 2.0, (1, 2): 3.0}, {1: 0.0, (1, 2): None})
    assert set(paired) == {1} and set(only_a) == {"a", (1, 2)} and only_b == []


def test_bradley_terry_values_from_both_slot_orders():
    """A battle written with the baseline as model_b is read from the model's side as well."""
    rng = np.random.default_rng(2)
    a = _battles(rng, "A", 40)
    b = _battles(rng, "B", 40)
    flipped = {q: [{**r, "model_a": r["model_b"], "model_b": r["model_a"],
                    "winner": {"model_a": "model_b", "model_b": "model_a", "tie": "tie"}[r["winner"]]}
                   for r in rows] for q, rows in b.items()}
    r1 = compare_items("bradley_terry", a, b, rounds=100, seed=0)
    r2 = compare_items("bradley_terry", a, flipped, rounds=100, seed=0, baseline=BASE)
    assert r1.details["baseline"] == BASE
    assert (r1.estimate, r1.ci_low, r1.p_value) == pytest.approx((r2.estimate, r2.ci_low, r2.p_value))


def test_bradley_terry_question_without_verdict_is_paired_but_adds_no_battle():
    rng = np.random.default_rng(3)
    a, b = _battles(rng, "A", 20), _battles(rng, "B", 20)
    a["q_unjudgeable"] = []
    b["q_unjudgeable"] = _battles(rng, "B", 1)["q0"]
    res = compare_items("bradley_terry", a, b, rounds=50, seed=0)
    assert res.n_paired == 21
    assert res.details["n_battles_a"] == sum(len(v) for v in a.values())


@pytest.mark.parametrize(("kind", "a", "b", "msg"), [
    ("t_test", {"x": 1.0}, {"x": 1.0}, "unknown comparison kind"),
    ("bootstrap_mean", {"x": 1.0}, {"y": 1.0}, "no .* item in common"),
    ("bootstrap_mean", {"x": "high"}, {"x": 1.0}, "finite numbers"),
    ("bootstrap_mean", {"x": True}, {"x": 1.0}, "finite numbers"),
    ("mcnemar", {"x": 0.5}, {"x": True}, "correctness"),
    ("bradley_terry", {"q": "A>B"}, {"q": []}, "lists of battle rows"),
    ("bradley_terry", {"q": [{"model_a": BASE, "model_b": "A", "winner": "A"}]},
     {"q": [{"model_a": BASE, "model_b": "B", "winner": "tie"}]}, "winner"),
    ("bradley_terry", {"q": [{"model_a": "X", "model_b": "A", "winner": "tie"}]},
     {"q": [{"model_a": "Y", "model_b": "B", "winner": "tie"}]}, "cannot tell the baseline"),
])
def test_bad_input_is_a_user_error(kind, a, b, msg):
    with pytest.raises(HarnessError, match=msg):
        compare_items(kind, a, b, rounds=10, seed=0)


def test_holm_fills_adjusted_p_values_of_one_call():
    rng = np.random.default_rng(4)
    results = []
    for shift in (0.0, 0.3, 1.0):
        a = {i: float(v) + shift for i, v in enumerate(rng.normal(size=80))}
        b = {i: float(v) for i, v in enumerate(rng.normal(size=80))}
        results.append(compare_items("bootstrap_mean", a, b, rounds=500, seed=1))
    results.append(unavailable("bootstrap_mean", "LC unavailable: no GLM weights", metric="LC"))
    adjusted = holm(results)
    assert [r.p_holm is None for r in adjusted] == [False, False, False, True]
    raw = [r.p_value for r in results[:3]]
    order = np.argsort(raw)
    assert adjusted[order[0]].p_holm == pytest.approx(min(1.0, 3 * raw[order[0]]))
    assert all(r.p_holm >= r.p_value for r in adjusted[:3])
    assert all(isinstance(r, Comparison) for r in adjusted)


def test_unavailable_records_the_reason_and_settings():
    res = unavailable("bootstrap_mean", "LC unavailable: no GLM weights", rounds=100, seed=7, metric="LC")
    assert res.estimate is None and res.p_value is None and res.note.startswith("LC unavailable")
    assert (res.rounds, res.seed) == (100, 7)
    assert res.to_dict()["note"] == res.note
