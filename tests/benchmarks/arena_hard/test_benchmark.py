from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from harness.benchmarks import get_spec
from harness.benchmarks.arena_hard.benchmark import ArenaHard, protocol, score_games, score_official_judgments
from harness.benchmarks.arena_hard.tokens import count_tokens
from harness.benchmarks.base import JudgeOptions, ScoreOptions
from harness.errors import HarnessError
from harness.store.jsonl import append_jsonl, read_jsonl
from harness.store.layout import RunDir
from tests.helpers.arena_reference import official_scores
from tests.helpers.fake_judge import FakeJudgeClient

MODEL = "tiny-model"


@pytest.fixture(scope="module")
def items(shared_dir):
    return ArenaHard().load_items(shared_dir / "data" / "arena_hard_v0.1", limit=12)


def write_generations(run: RunDir, items, outputs: dict[str, str]) -> None:
    append_jsonl(run.ensure().generations, [
        {"key": f"k{i}", "item_id": it.item_id, "turn": 0, "sample_index": 0, "model": MODEL,
         "prompt": it.turns[0], "output": outputs[it.item_id], "num_prompt_tokens": 5,
         "num_output_tokens": 7, "finish_reason": "stop", "seconds": 0.1, "params": {}, "template_hash": "t"}
        for i, it in enumerate(items)])


def _slots(req) -> tuple[str, str]:
    user = req.messages[1][1]
    a = re.search(r"<\|The Start of Assistant A's Answer\|>\n(.*)\n<\|The End of Assistant A's Answer\|>", user, re.S)
    b = re.search(r"<\|The Start of Assistant B's Answer\|>\n(.*)\n<\|The End of Assistant B's Answer\|>", user, re.S)
    return a.group(1), b.group(1)


def verdict_judge(req) -> str:
    """Prefers whichever answer says GOOD (strongly), BAD loses slightly; otherwise a tie."""
    a, b = _slots(req)
    if "GOOD" in a:
        return "reasoning ... My final verdict is: [[A>>B]]"
    if "GOOD" in b:
        return "reasoning ... My final verdict is: [[B>>A]]"
    if "BAD" in a:
        return "[[B>A]]"
    if "BAD" in b:
        return "[[A>B]]"
    return "My final verdict is tie: [[A=B]]"


def test_registry_and_items(items):
    assert get_spec("arena_hard").load_class() is ArenaHard
    assert len(items) == 12 and all(it.reference for it in items)
    assert items[0].item_id == "328c149ed45a41c0b9d6f14659e63599"
    assert ArenaHard().load_items(Path(items[0].metadata["source"]).parents[1])[0].item_id == items[0].item_id


def test_missing_data_is_a_one_line_error(tmp_path):
    with pytest.raises(HarnessError, match="question.jsonl"):
        ArenaHard().load_items(tmp_path)
    (tmp_path / "question.jsonl").write_text('{"uid": "1", "prompt": "hi"}\n')
    with pytest.raises(HarnessError, match="gpt-4-0314"):
        ArenaHard().load_items(tmp_path)


def test_judge_then_score_from_files(tmp_path, items):
    outputs = {it.item_id: ("GOOD answer" if i % 3 == 0 else "BAD answer" if i % 3 == 1 else "plain answer")
               for i, it in enumerate(items)}
    run = RunDir(tmp_path, MODEL, "arena_hard")
    write_generations(run, items, outputs)
    client = FakeJudgeClient(verdict_judge)
    bench = ArenaHard()
    bench.judge(run.path, client, items, JudgeOptions())
    assert len(client.requests) == 2 * len(items)
    req = client.requests[0]
    assert req.model == "gpt-4-1106-preview" and req.temperature == 0.0 and req.max_tokens == 4096
    assert req.messages[0] == ("system", protocol.SYSTEM_PROMPT)
    # game 0: baseline in A; game 1: model in A
    assert _slots(client.requests[0])[1] == outputs[items[0].item_id]
    assert _slots(client.requests[1])[0] == outputs[items[0].item_id]

    rows = list(read_jsonl(run.annotations))
    assert len(rows) == 24 and {r["score"] for r in rows} == {"A>>B", "B>>A", "A>B", "B>A", "A=B"}
    bench.judge(run.path, client, items, JudgeOptions())  # resumed: nothing left to judge
    assert len(client.requests) == 24

    scores = bench.score(run.path, ScoreOptions())
    # 4 GOOD questions -> 2 strong wins each (weight 3), 4 BAD -> 2 slight losses, 4 ties;
    # battle rows in question order, game 0 then game 1 (the bootstrap depends on row order)
    order = {it.item_id: i for i, it in enumerate(items)}
    games = sorted(rows, key=lambda r: (order[r["item_id"]], r["game"]))
    battles = [(b["model_a"], b["model_b"], b["winner"]) for b in protocol.battles_from_games(games)]
    assert sorted(w for _, _, w in battles) == ["model_a"] * 8 + ["model_b"] * 24 + ["tie"] * 8
    ref = official_scores(pd.DataFrame(battles, columns=["model_a", "model_b", "winner"]), "gpt-4-0314")[MODEL]
    assert scores["metrics"]["ah"] == round(ref["score"], 2)
    assert scores["details"]["score_exact"] == pytest.approx((24 + 4) / 40 * 100, abs=1e-6)
    assert scores["ci"]["ah"] == [round(ref["lower"], 2), round(ref["upper"], 2)]
    assert scores["details"]["n_battles"] == 40 and scores["n"] == 12
    counts, _ = count_tokens(list(outputs.values()))
    expected_len = sum(counts) / 12 if counts is not None else 7.0  # fallback: stored num_output_tokens
    assert scores["metrics"]["ah_length"] == pytest.approx(expected_len)
    assert ("FALLBACK" in scores["details"]["token_count_source"]) == (counts is None)
    assert scores["manifest"]["bootstrap_seed"] == 42
    json.dumps(scores)  # JSON-serialisable


def test_unparsable_verdict_is_asked_again_once_then_dropped(tmp_path, items):
    few = items[:2]
    run = RunDir(tmp_path, MODEL, "arena_hard")
    write_generations(run, few, {it.item_id: "plain" for it in few})
    calls: list[int] = []

    def judge(req):
        calls.append(1)
        if len(calls) == 1:
            return "I think both are fine."  # no label: the official loop asks once more
        user = req.messages[1][1]
        if few[1].turns[0] in user and _slots(req)[0] == "plain":
            return "Still undecided."  # this game never gets a label
        return "[[A>B]]"

    client = FakeJudgeClient(judge)
    ArenaHard().judge(run.path, client, few, JudgeOptions())
    rows = list(read_jsonl(run.annotations))
    assert len(rows) == 4
    retried = [r for r in rows if r["attempts"] == 2]
    assert retried, "a game without a label must be judged a second time"
    second = [q for q in client.requests if len(q.messages) == 4]
    assert second and second[0].messages[-1] == ("user", protocol.CONTINUE_PROMPT)
    assert second[0].messages[-2] == ("assistant", "I think both are fine.")
    assert all(r["judgment"].startswith("\n") for r in rows)
    assert retried[0]["judgment"] == "\nI think both are fine.\n[[A>B]]" and retried[0]["score"] == "A>B"
    undecided = [r for r in rows if r["score"] is None]
    assert len(undecided) == 1 and undecided[0]["error"] is None and undecided[0]["attempts"] == 2
    ArenaHard().judge(run.path, client, few, JudgeOptions())  # a finished game without verdict is not judged again
    assert len(calls) == 6  # 4 first attempts + 2 second attempts, nothing on the rerun
    assert ArenaHard(num_rounds=5).score(run.path, ScoreOptions())["details"]["n_games_without_verdict"] == 1


def test_failed_calls_are_recorded_and_retried(tmp_path, items):
    few = items[:3]
    run = RunDir(tmp_path, MODEL, "arena_hard")
    write_generations(run, few, {it.item_id: "GOOD" for it in few})
    flaky = FakeJudgeClient(lambda req: None)
    ArenaHard().judge(run.path, flaky, few, JudgeOptions())
    rows = list(read_jsonl(run.annotations))
    assert len(rows) == 6 and all(r["error"] for r in rows)
    with pytest.raises(HarnessError, match=r"^6 judge calls failed .*HTTP 500 from fake judge"):
        ArenaHard().score(run.path, ScoreOptions())
    good = FakeJudgeClient(verdict_judge)
    ArenaHard().judge(run.path, good, few, JudgeOptions())
    assert len(good.requests) == 6
    assert ArenaHard(num_rounds=10).score(run.path, ScoreOptions())["metrics"]["ah"] == 100.0


def test_changed_answer_is_judged_again(tmp_path, items):
    few = items[:1]
    run = RunDir(tmp_path, MODEL, "arena_hard")
    write_generations(run, few, {few[0].item_id: "BAD"})
    client = FakeJudgeClient(verdict_judge)
    ArenaHard().judge(run.path, client, few, JudgeOptions())
    run.generations.unlink()
    write_generations(run, few, {few[0].item_id: "GOOD"})
    ArenaHard().judge(run.path, client, few, JudgeOptions())
    assert len(client.requests) == 4
    assert ArenaHard(num_rounds=5).score(run.path, ScoreOptions())["details"]["verdicts"] == {"A>>B": 1, "B>>A": 1}


def test_no_generations_is_a_harness_error(tmp_path, items):
    with pytest.raises(HarnessError, match="generate"):
        ArenaHard().judge(tmp_path, FakeJudgeClient(verdict_judge), items, JudgeOptions())


def test_score_official_judgment_file(tmp_path):
    recs = [{"question_id": f"q{i}", "model": "m", "judge": "gpt-4-1106-preview",
             "games": [{"score": s0, "judgment": "", "user_prompt": ""}, {"score": s1, "judgment": "", "user_prompt": ""}]}
            for i, (s0, s1) in enumerate([("B>A", "A>B"), ("A=B", "A=B"), ("A>>B", "B>>A"), ("B>>A", None)])]
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    out = score_official_judgments(path, num_rounds=20)
    # model score: (1+1) + (0.5+0.5) + 0 + 3 over 1+1+1+1+3+3+3 = 13 rows
    assert out["details"]["score_exact"] == pytest.approx(100 * 6 / 13, abs=1e-6)
    assert out["details"]["n_games_without_verdict"] == 1


def test_score_games_requires_valid_verdicts():
    with pytest.raises(HarnessError, match="no judged game"):
        score_games([{"item_id": "q", "game": 0, "model": "m", "score": None}], "m")


def test_cl100k_counts_match_tiktoken():
    counts, how = count_tokens(["hello world", "The quick brown fox <|endoftext|> jumps", ""])
    if counts is None:
        pytest.skip(f"no cl100k encoding available: {how}")
    assert counts == [2, 11, 0]
    assert "cl100k" in how


def test_token_count_fallback_is_recorded(tmp_path, items, monkeypatch):
    import harness.benchmarks.arena_hard.benchmark as bm

    few = items[:2]
    run = RunDir(tmp_path, MODEL, "arena_hard")
    write_generations(run, few, {it.item_id: "GOOD" for it in few})
    ArenaHard().judge(run.path, FakeJudgeClient(verdict_judge), few, JudgeOptions())
    monkeypatch.setattr(bm, "count_tokens", lambda texts: (None, "tiktoken.get_encoding: ConnectionError"))
    s = ArenaHard(num_rounds=5).score(run.path, ScoreOptions())
    assert s["metrics"]["ah_length"] == 7.0
    assert s["details"]["token_count_source"].startswith("FALLBACK") and "ConnectionError" in s["details"]["token_count_source"]


def test_score_ignores_judgments_of_answers_that_are_no_longer_generated(tmp_path, items):
    """Re-generated, orphaned or lost answers: their old verdicts are never scored."""
    few = items[:3]
    run = RunDir(tmp_path, MODEL, "arena_hard")
    write_generations(run, few, {it.item_id: "GOOD" for it in few})
    ArenaHard().judge(run.path, FakeJudgeClient(verdict_judge), few, JudgeOptions())
    assert ArenaHard(num_rounds=5).score(run.path, ScoreOptions())["details"]["n_stale_judgments"] == 0
    run.generations.unlink()  # re-generated: item 0 changed, item 2 lost
    write_generations(run, few[:2], {few[0].item_id: "BAD", few[1].item_id: "GOOD"})
    details = ArenaHard(num_rounds=5).score(run.path, ScoreOptions())["details"]
    assert details["n_stale_judgments"] == 4 and details["n_answers"] == 2 and details["n_unjudged_answers"] == 1
    assert details["verdicts"] == {"A>>B": 1, "B>>A": 1}  # only item 1's two games
    run.generations.unlink()
    write_generations(run, few[:1], {few[0].item_id: "BAD"})
    with pytest.raises(HarnessError, match="no Arena-Hard judgments of the current generations.*6 judged games"):
        ArenaHard(num_rounds=5).score(run.path, ScoreOptions())


def test_malformed_generation_record_is_one_error(tmp_path, items):
    run = RunDir(tmp_path, MODEL, "arena_hard")
    write_generations(run, items[:1], {items[0].item_id: "GOOD"})
    append_jsonl(run.generations, [{"key": "k9", "item_id": "x", "turn": 0, "sample_index": 0, "output": 12345}])
    with pytest.raises(HarnessError, match="record 2 is not a generation record"):
        ArenaHard(num_rounds=5).score(run.path, ScoreOptions())
