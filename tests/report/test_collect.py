"""Building the report data from results directories as `run` / `judge` / `score` leave them."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from harness.benchmarks.arena_hard.benchmark import ArenaHard
from harness.benchmarks.base import JudgeOptions, ScoreOptions
from harness.benchmarks.mt_bench.benchmark import MTBench
from harness.benchmarks.zeroeval.benchmark import GSM8KZeroEval
from harness.errors import HarnessError
from harness.report.collect import collect_report, collect_section, discover
from harness.report.data import ReportData
from harness.store.jsonl import append_jsonl, read_jsonl
from tests.helpers.fake_judge import FakeJudgeClient
from tests.report.builders import generation_record

LABELS = ("A>>B", "A>B", "A=B", "B>A", "B>>A")


def _outcome(pref: str | float | None) -> str:
    p = float(pref) if pref is not None else float("nan")
    return "win" if p > 1.5 else "loss" if p < 1.5 else "tie" if p == 1.5 else "unparsed"


def test_official_alpaca_eval_runs(official_results, official_annotations, alpaca_data, offline):
    report = collect_report(official_results, data_dir=alpaca_data)
    assert report.models == ["alpaca-7b", "claude-2"] and report.benchmarks == ["alpaca_eval"]
    (section,) = report.sections
    assert section.kind == "pairwise" and len(section.items) == 805 and section.notes == []
    by_instruction = {it.turns[0]: it for it in section.items}
    for model, rows in official_annotations.items():
        for row in rows:
            it = by_instruction[row["instruction"]]
            assert it.answers[model] == [row["output_2"]] and it.reference == [row["output_1"]]
            assert it.category == row["dataset"]
            (v,) = it.verdicts[model]
            assert v.outcome == _outcome(row["preference"]) and v.text is None
    (judge,) = report.judges
    assert judge.name == "gpt-4-1106-preview" and judge.official and judge.benchmarks == ["alpaca_eval"]
    # the table holds what `score` computed: the published leaderboard's win rates
    rows = {r.values["name"]: r for r in report.table.rows}
    assert rows["claude-2"].values["ae2_wr_repro"] == pytest.approx(17.188240356708075, abs=1e-9)
    assert rows["alpaca-7b"].values["ae2_wr_repro"] == pytest.approx(2.591450540223603, abs=1e-9)
    assert not any(r.incomplete for r in report.table.rows)
    data = report.to_dict()
    n_disagree = sum(_outcome(a["preference"]) != _outcome(b["preference"])
                     for a, b in zip(*(sorted(official_annotations[m], key=lambda r: r["instruction"])
                                       for m in ("claude-2", "alpaca-7b")), strict=True))
    assert sum(it["disagree"] for it in data["sections"][0]["items"]) == n_disagree > 0
    assert ReportData.from_dict(json.loads(json.dumps(data))) == report


def test_without_data_the_run_files_are_shown(official_results, offline, tmp_path):
    section = collect_section(official_results, "alpaca_eval", ["claude-2"], data_dir=tmp_path)
    assert "questions/references not loaded" in section.notes[0]
    assert len(section.items) == 805 and all(it.turns[0] and it.reference for it in section.items)


def test_the_tiny_pipeline_run(baseline):
    """A real `run` (tiny model, local judge server): answers and verdicts are the stored ones; a
    judge behind --judge-base-url is not labelled official."""
    from tests.helpers import run_env

    report = collect_report(baseline.results_dir, data_dir=baseline.env.data_dir)
    (section,) = report.sections
    outputs, prefs = run_env.outputs_by_item(baseline.results_dir), run_env.preferences_by_item(baseline.results_dir)
    assert [it.item_id for it in section.items] == sorted(outputs)
    for it in section.items:
        assert it.answers == {run_env.MODEL_NAME: [outputs[it.item_id]]}
        assert it.verdicts[run_env.MODEL_NAME][0].score == pytest.approx(prefs[it.item_id])
    (judge,) = report.judges
    assert not judge.official and "served at http://127.0.0.1" in judge.note
    row = report.table.rows[0].values
    assert row["name"] == run_env.MODEL_NAME and row["ae2_wr_repro"] == pytest.approx(
        run_env.scores(baseline.results_dir)["metrics"]["ae2_wr"])


def test_arena_hard_games(tmp_path, shared_dir):
    data = shared_dir / "data" / "arena_hard_v0.1"
    items = ArenaHard().load_items(data)[:5]
    results = tmp_path / "results"
    for model in ("model-a", "model-b"):
        run = results / model / "arena_hard"
        run.mkdir(parents=True)
        append_jsonl(run / "generations.jsonl", [generation_record(model, it.item_id, f"{model} answer {k}", index=k)
                                                 for k, it in enumerate(items)])
        for _ in range(2):  # the rerun retries the failed games (and fails again): two error rows each
            ArenaHard().judge(run, FakeJudgeClient(_judge_by_position), items, JudgeOptions())
    section = collect_section(results, "arena_hard", ["model-a", "model-b"], data_dir=data)
    assert section.kind == "games" and section.reference_label == "gpt-4-0314 (baseline answer)"
    assert [it.item_id for it in section.items] == [it.item_id for it in items]
    first = section.items[0]
    assert first.turns == list(items[0].turns) and first.reference == [items[0].reference]
    assert first.category == items[0].metadata["cluster"]
    games = first.verdicts["model-a"]
    assert [(v.game, v.label) for v in games] == [(1, "B>>A"), (2, "B>A")]
    assert [v.outcome for v in games] == ["win", "loss"]  # game 2: the model is A
    assert "A = gpt-4-0314" in games[0].note and games[0].text.startswith("\nReasons")
    failed = section.items[4].verdicts["model-b"]
    assert [v.outcome for v in failed] == ["error", "error"] and failed[0].text == "HTTP 500 from fake judge"


ANSWER = re.compile(r"model-[abc] answer (\d+)")


def _judge_by_position(req) -> str | None:
    """Game 0 (baseline first): B>>A; game 1 (the model first): B>A; item 4's calls fail; item 3 has no label."""
    text = req.messages[1][1]  # the first prompt (a second attempt appends a "continue" turn)
    n = int(ANSWER.search(text).group(1))
    model_is_a = ANSWER.search(text.split("<|The End of Assistant A's Answer|>")[0]) is not None
    if n == 4:
        return None
    if n == 3:
        return "I cannot decide."
    return "Reasons... [[B>A]]" if model_is_a else "Reasons... [[B>>A]]"


def test_arena_label_without_verdict_is_a_parse_failure(tmp_path, shared_dir):
    data = shared_dir / "data" / "arena_hard_v0.1"
    items = ArenaHard().load_items(data)[:4]
    run = tmp_path / "model-c" / "arena_hard"
    run.mkdir(parents=True)
    append_jsonl(run / "generations.jsonl", [generation_record("model-c", it.item_id, f"model-c answer {k}", index=k)
                                             for k, it in enumerate(items)])
    ArenaHard().judge(run, FakeJudgeClient(_judge_by_position), items, JudgeOptions())
    (v1, v2) = collect_section(tmp_path, "arena_hard", ["model-c"], data_dir=data).items[3].verdicts["model-c"]
    assert v1.outcome == v2.outcome == "unparsed" and v1.parse_failure and v1.label == "no verdict"


def test_mt_bench_turns_and_references(tmp_path, shared_dir):
    data = shared_dir / "data" / "mt_bench"
    all_items = MTBench().load_items(data)
    items = [next(it for it in all_items if it.category == cat) for cat in ("writing", "math")]

    def grader(grade: int):  # grades turn 2 (its prompt holds the answer "... turn 1"), not turn 1
        return lambda req: f"Fine.\n\nRating: [[{grade}]]" if "turn 1" in req.messages[-1][1] else "No grade."

    for model, grade in (("model-a", 9), ("model-b", 3)):
        run = tmp_path / model / "mt_bench"
        run.mkdir(parents=True)
        append_jsonl(run / "generations.jsonl", [
            generation_record(model, it.item_id, f"{model} turn {t}", turn=t, index=k)
            for k, it in enumerate(items) for t in range(2)])
        MTBench().judge(run, FakeJudgeClient(grader(grade)), items, JudgeOptions(data_dir=data))
    section = collect_section(tmp_path, "mt_bench", ["model-a", "model-b"], data_dir=data)
    assert section.kind == "rating"
    writing, math_item = section.items
    assert writing.turns == list(items[0].turns) and writing.reference is None
    refs = {str(json.loads(x)["question_id"]): json.loads(x)["choices"][0]["turns"]
            for x in (data / "reference_answer.gpt-4.jsonl").read_text().splitlines()}
    assert math_item.reference == refs[math_item.item_id] and section.reference_label == "gpt-4 reference answer"
    assert writing.answers["model-a"] == ["model-a turn 0", "model-a turn 1"]
    # turn 2's judge prompt holds both turns, "turn 1" included -> graded; turn 1 holds only "turn 0"
    va = writing.verdicts["model-a"]
    assert [(v.turn, v.outcome, v.parse_failure) for v in va] == [(1, "unparsed", True), (2, "9", False)]
    assert va[1].text == "Fine.\n\nRating: [[9]]" and va[1].label == "9/10"
    summary = ReportData("t", "g", "r", ["model-a", "model-b"], ["mt_bench"], sections=[section]).to_dict()
    assert summary["sections"][0]["items"][0]["summary"] == {"model-a": "9.0", "model-b": "3.0"}
    assert summary["sections"][0]["items"][0]["disagree"] is True


def test_gsm8k_parses_from_score(tmp_path, shared_dir):
    """Two ZeroEval GSM8K output files (real model outputs) scored by GSM8KZeroEval.score."""
    n = 40
    rows = {}
    for model in ("gemma-2-9b-it", "Meta-Llama-3.1-8B-Instruct"):
        with gzip.open(shared_dir / "official_files" / "zeroeval" / "gsm" / f"{model}.json.gz", "rt") as fh:
            rows[model] = json.load(fh)[:n]
    data = tmp_path / "data"
    (data / "gsm8k").mkdir(parents=True)
    first = rows["gemma-2-9b-it"]
    (data / "gsm8k" / "test.jsonl").write_text("".join(
        json.dumps({"id": r["id"], "question": r["question"], "answer": r["answer"]}) + "\n" for r in first))
    results = tmp_path / "results"
    for model, recs in rows.items():
        run = results / model / "gsm8k"
        run.mkdir(parents=True)
        append_jsonl(run / "generations.jsonl", [generation_record(model, r["id"], r["output"][0], index=k)
                                                 for k, r in enumerate(recs)])
        GSM8KZeroEval().score(run, ScoreOptions(data_dir=data))
    section = collect_section(results, "gsm8k", list(rows), data_dir=data)
    assert section.kind == "exact" and len(section.items) == n
    parsed = {m: {r["id"]: r for r in read_jsonl(results / m / "gsm8k" / "parsed.jsonl")} for m in rows}
    seen = set()
    for it, src in zip(section.items, first, strict=True):
        assert it.turns == [src["question"]] and it.gold == str(parsed["gemma-2-9b-it"][it.item_id]["gold"])
        for m in rows:
            (v,) = it.verdicts[m]
            p = parsed[m][it.item_id]
            assert v.outcome == ("correct" if p["matched"] else "wrong") and v.parse_failure == (not p["parsed"])
            assert v.parsed == (None if p["model_answer"] is None else str(p["model_answer"]))
            seen.add(v.outcome)
    assert seen == {"correct", "wrong"}


def test_incomplete_scores_are_flagged(tmp_path, shared_dir, alpaca_data, offline):
    from harness.benchmarks.alpaca_eval.benchmark import AlpacaEval2
    from harness.store.jsonl import write_json_atomic
    from tests.report.builders import write_official_alpaca_run

    ids = {it.turns[0]: it.item_id for it in AlpacaEval2().load_items(alpaca_data)}
    run = write_official_alpaca_run(tmp_path, shared_dir / "official_files/alpaca_eval/results", "claude-2", ids, 100)
    write_json_atomic(run / "scores.json", AlpacaEval2().score(run, ScoreOptions(data_dir=alpaca_data)))
    (row,) = collect_report(tmp_path, ["claude-2"], data_dir=alpaca_data).table.rows
    assert row.incomplete["ae2_wr_repro"].startswith("* claude-2 alpaca_eval: incomplete (100 of 805 instructions scored")
    assert {"ae2_wr_repro", "ae2_length_repro"} <= set(row.incomplete)


def test_arena_questions_from_judge_prompts_without_data(tmp_path, shared_dir):
    data = shared_dir / "data" / "arena_hard_v0.1"
    items = ArenaHard().load_items(data)[:2]
    run = tmp_path / "model-a" / "arena_hard"
    run.mkdir(parents=True)
    append_jsonl(run / "generations.jsonl", [generation_record("model-a", it.item_id, f"model-a answer {k}", index=k)
                                             for k, it in enumerate(items)])
    ArenaHard().judge(run, FakeJudgeClient(_judge_by_position), items, JudgeOptions())
    section = collect_section(tmp_path, "arena_hard", ["model-a"], data_dir=tmp_path / "no-data")
    assert "questions/references not loaded" in section.notes[0]
    assert [it.turns for it in section.items] == [list(it.turns) for it in items]


def test_registry_models_are_found_by_hf_repo(tmp_path, alpaca_data, offline):
    run = tmp_path / "Llama-3-Instruct-8B-SimPO" / "alpaca_eval"
    run.mkdir(parents=True)
    append_jsonl(run / "generations.jsonl", [generation_record("Llama-3-Instruct-8B-SimPO", "002", "hello")])
    report = collect_report(tmp_path, ["princeton-nlp/Llama-3-Instruct-8B-SimPO"], data_dir=alpaca_data)
    assert report.models == ["Llama-3-Instruct-8B-SimPO"]
    (item,) = report.sections[0].items
    assert item.item_id == "002" and item.answers == {"Llama-3-Instruct-8B-SimPO": ["hello"]} and item.verdicts == {}
    (row,) = report.table.rows  # no scores: the published row, reproduced columns absent
    assert row.values["ae2_lc"] == pytest.approx(44.7, abs=0.05) and "ae2_lc_repro" not in row.values


def test_user_mistakes_are_one_line_errors(official_results, tmp_path):
    with pytest.raises(HarnessError, match="results directory not found"):
        discover(tmp_path / "nope")
    with pytest.raises(HarnessError, match=r"no results for gpt-5 .*found: alpaca-7b, claude-2"):
        collect_report(official_results, ["gpt-5"], table=False)
    with pytest.raises(HarnessError, match="no results for benchmark"):
        collect_report(official_results, ["claude-2"], ["mt_bench"], table=False)
    with pytest.raises(HarnessError, match="no item browser"):
        collect_section(official_results, "nope", ["claude-2"])
    assert discover(official_results) == {"alpaca-7b": ["alpaca_eval"], "claude-2": ["alpaca_eval"]}
