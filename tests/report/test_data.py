"""The report data contract: JSON round trip, validation, item summaries."""

from __future__ import annotations

import json
import math

import pytest

from harness.errors import HarnessError
from harness.report.data import (
    RATING_GAP,
    BenchmarkSection,
    Figure,
    Item,
    ReportData,
    Verdict,
    disagree,
    model_outcome,
)
from tests.report.builders import synthetic_report


def _report(**section: object) -> ReportData:
    base = {"benchmark": "alpaca_eval", "kind": "pairwise", "models": ["a", "b"],
            "items": [Item("1", ["q"], answers={"a": ["x"]}, verdicts={"a": [Verdict("win", score=2.0)]})]}
    base.update(section)
    return ReportData(title="t", generated="g", results_dir="r", models=["a", "b"], benchmarks=["alpaca_eval"],
                      sections=[BenchmarkSection(**base)])  # type: ignore[arg-type]


def test_json_round_trip_is_lossless_and_strict_json():
    report = synthetic_report(n_items=30, n_models=3, words=20)
    as_dict = report.to_dict()
    text = json.dumps(as_dict, allow_nan=False)  # strict JSON: would raise on NaN / objects
    back = ReportData.from_dict(json.loads(text))
    assert back == report
    item = as_dict["sections"][0]["items"][0]
    assert set(item["summary"]) == {"model-0", "model-1", "model-2"} and isinstance(item["disagree"], bool)


def test_nan_becomes_null():
    report = _report(items=[Item("1", ["q"], verdicts={"a": [Verdict("unparsed", score=math.nan)]})])
    assert report.to_dict()["sections"][0]["items"][0]["verdicts"]["a"][0]["score"] is None


@pytest.mark.parametrize(("section", "message"), [
    ({"kind": "stars"}, "kind must be one of"),
    ({"items": [Item("1", ["q"], verdicts={"a": [Verdict("great")]})]}, "outcome 'great' is not one of"),
    ({"items": [Item("1", ["q"], answers={"c": ["x"]})]}, "names models not in the section"),
    ({"items": [Item("1", ["q"]), Item("1", ["q"])]}, "appears twice"),
    ({"items": [Item("1", ["q"], answers={"a": [3]})]}, "must be lists of strings"),  # type: ignore[list-item]
    ({"kind": "rating", "items": [Item("1", ["q"], verdicts={"a": [Verdict("win")]})]}, "is not one of"),
])
def test_invalid_sections_are_one_line_errors(section, message):
    with pytest.raises(HarnessError, match=message):
        _report(**section).to_dict()


def test_from_dict_errors_name_the_problem():
    good = _report().to_dict()
    with pytest.raises(HarnessError, match="schema_version"):
        ReportData.from_dict({**good, "schema_version": 99})
    with pytest.raises(HarnessError, match="JSON object"):
        ReportData.from_dict([good])
    broken = json.loads(json.dumps(good))
    del broken["sections"][0]["items"][0]["item_id"]
    with pytest.raises(HarnessError, match=r"report\.sections\[0\]\.items\[0\].*item_id"):
        ReportData.from_dict(broken)
    broken = json.loads(json.dumps(good))
    broken["sections"][0]["items"][0]["verdicts"] = {"a": {"outcome": "win"}}
    with pytest.raises(HarnessError, match="expected a list"):
        ReportData.from_dict(broken)


def test_figures_must_be_svg():
    report = _report()
    report.figures = [Figure("ok", '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
                      Figure("also ok", "<svg></svg>")]
    report.validate()
    report.figures.append(Figure("png", "\x89PNG..."))
    with pytest.raises(HarnessError, match="figure 'png': not an SVG"):
        report.validate()


def test_model_outcomes_per_kind():
    v = Verdict
    assert model_outcome("pairwise", [v("loss", score=1.1)]) == "loss"
    assert model_outcome("pairwise", []) is None
    assert model_outcome("games", [v("win", game=1), v("loss", game=2)]) == "tie"
    assert model_outcome("games", [v("win", game=1), v("tie", game=2)]) == "win"
    assert model_outcome("games", [v("unparsed", game=1), v("loss", game=2)]) == "loss"
    assert model_outcome("games", [v("unparsed"), v("unparsed")]) == "unparsed"
    assert model_outcome("games", [v("error"), v("error")]) == "error"
    assert model_outcome("rating", [v("8", score=8.0, turn=1), v("5", score=5.0, turn=2)]) == "6.5"
    assert model_outcome("rating", [v("unparsed", turn=1), v("7", score=7.0, turn=2)]) == "7.0"
    assert model_outcome("exact", [v("wrong", parse_failure=True)]) == "wrong"


def test_disagreement_rules():
    assert disagree("pairwise", {"a": "win", "b": "loss"})
    assert not disagree("pairwise", {"a": "win", "b": "win"})
    assert not disagree("pairwise", {"a": "win"})  # one model: nothing to disagree with
    assert not disagree("pairwise", {"a": "win", "b": "unparsed"})  # no verdict is not a disagreement
    assert disagree("exact", {"a": "correct", "b": "wrong", "c": "correct"})
    assert disagree("rating", {"a": "8.0", "b": f"{8.0 - RATING_GAP:.1f}"})
    assert not disagree("rating", {"a": "8.0", "b": "6.5"})
