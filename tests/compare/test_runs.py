"""compare.runs names no benchmark: a benchmark defined only in tests (the toy one) is compared through
its own ``paired_values``; pairs, missing benchmarks and notes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.benchmarks.base import JudgeOptions, ScoreOptions
from harness.compare.runs import CompareSettings, compare_pairs, compare_runs, model_pairs
from harness.errors import HarnessError
from harness.store.jsonl import append_jsonl, write_json_atomic
from tests.helpers.fake_judge import FakeJudgeClient
from tests.report.builders import generation_record


def _toy_run(results: Path, model: str, grade: dict[int, int], n: int = 6) -> Path:
    from tests.helpers.toy_benchmark import ToyBenchmark

    run = results / model / "toy"
    run.mkdir(parents=True)
    append_jsonl(run / "generations.jsonl", [generation_record(model, f"q{i}", f"answer {i}", index=i) for i in range(n)])
    items = ToyBenchmark().load_items()
    ToyBenchmark().judge(run, FakeJudgeClient(lambda req: f"[[{grade[int(req.messages[0][1].split('answer ')[-1])]}]]"),
                         items, JudgeOptions())
    write_json_atomic(run / "scores.json", ToyBenchmark().score(run, ScoreOptions()))
    return run


def test_a_benchmark_defined_only_in_tests_is_compared(toy, tmp_path):
    _toy_run(tmp_path, "a", {i: 8 + i % 3 for i in range(6)})
    _toy_run(tmp_path, "b", {i: 2 + i % 2 for i in range(6)})
    result = compare_runs(tmp_path, ["a", "b"], settings=CompareSettings(rounds=300, seed=5))
    (c,) = result.comparisons
    assert (c.benchmark, c.metric, c.kind, c.n_paired) == ("toy", "toy_score", "wilcoxon", 6)
    for model, value in (("a", c.a_value), ("b", c.b_value)):
        assert value == pytest.approx(json.loads((tmp_path / model / "toy/scores.json").read_text())["metrics"]["toy_score"])
    assert c.estimate > 0 and c.p_holm == c.p_value and (c.rounds, c.seed) == (300, 5)


def test_pairs():
    assert model_pairs(["a", "b", "c"]) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert model_pairs(["a", "b", "c"], baseline="b") == [("a", "b"), ("c", "b")]


def test_missing_runs_are_rows_or_notes(toy, tmp_path):
    runs = {"a": {"toy": _toy_run(tmp_path, "a", dict.fromkeys(range(6), 5))}, "b": {}}
    asked = compare_pairs(runs, [("a", "b")], ["toy"])
    assert [c.note for c in asked.comparisons] == ["no scored toy run of b"] and asked.comparisons[0].p_value is None
    default = compare_pairs(runs, [("a", "b")])
    assert default.comparisons == [] and default.notes == ["a vs b: not compared on toy (scored for one of them only)"]


def test_too_few_items_in_common_is_an_unavailable_row(toy, tmp_path):
    a = _toy_run(tmp_path, "a", dict.fromkeys(range(6), 5))
    b = _toy_run(tmp_path, "b", dict.fromkeys(range(6), 7), n=1)
    (c,) = compare_pairs({"a": {"toy": a}, "b": {"toy": b}}, [("a", "b")]).comparisons
    assert c.method == "unavailable" and (c.n_only_a, c.n_only_b) == (5, 0) and "only 1 item(s) in common" in c.note


def test_settings_and_benchmarks_without_a_paired_test_are_user_errors(tmp_path):
    with pytest.raises(HarnessError, match="rounds must be a positive integer"):
        CompareSettings(rounds=0)
    import dataclasses

    from harness.benchmarks import register, unregister
    from harness.benchmarks.spec import DataSpec, MetricSpec
    from tests.helpers.toy_benchmark import TOY

    register(dataclasses.replace(TOY, name="untested", paired_test=None,
                                 data=DataSpec(subdirs=(), files="", public=""), metrics=(MetricSpec("u", "U", 1),)))
    try:
        with pytest.raises(HarnessError, match="'untested' has no paired comparison"):
            compare_pairs({}, [("a", "b")], ["untested"])
    finally:
        unregister("untested")
