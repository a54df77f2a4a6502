"""Tables mark a reproduced number whose judge is not the benchmark's official judge (model at
OpenAI's endpoint, ``JudgeSpec.is_official``) with a dagger and a footnote naming the judge."""

from __future__ import annotations

import json

import pytest

from harness.registry.models import load_registry
from harness.store.judgments import OPENAI_ENDPOINT
from harness.store.layout import RunDir
from harness.tables.paper import JUDGE_FLAG, add_reproduced, footnotes, paper_table, read_reproduced
from harness.tables.render import render

MODEL = "gemma-2-9b-it-SimPO"


def _scores(root, benchmark, metrics, judge_model=None, endpoint=None, **extra):
    run = RunDir(root, MODEL, benchmark).ensure()
    run.scores.write_text(json.dumps({"benchmark": benchmark, "model": MODEL, "metrics": metrics, "ci": {},
                                      "details": {"judge_model": judge_model, "judge_endpoint": endpoint}, **extra}))


@pytest.mark.parametrize(("model", "endpoint", "note"), [
    ("gpt-4-1106-preview", OPENAI_ENDPOINT, None),
    (None, None, None),  # no judge recorded (an old or imported score): not marked
    ("gpt-4-1106-preview", "http://127.0.0.1:8000/v1", "judged by gpt-4-1106-preview @ http://127.0.0.1:8000/v1"),
    ("meta-llama/Llama-3.1-70B-Instruct", "vllm-serve:llama-3.1-70b-instruct",
     "judged by meta-llama/Llama-3.1-70B-Instruct @ vllm-serve:llama-3.1-70b-instruct, not the official judge "
     "(gpt-4-1106-preview at OpenAI's endpoint)"),
    ("smollm2-135m-instruct", "embedded:smollm2-135m-instruct", "judged by smollm2-135m-instruct the embedded local"),
    ("gpt-4-1106-preview", None, "(endpoint not recorded)"),
])
def test_non_official_judges_are_marked(tmp_path, model, endpoint, note):
    _scores(tmp_path, "arena_hard", {"ah": 40.0}, model, endpoint)
    rep = read_reproduced(tmp_path, [MODEL])
    if note is None:
        assert rep.judges == {}
    else:
        assert set(rep.judges) == {"ah"} and note in rep.judges["ah"]
        assert rep.judges["ah"].startswith(f"{JUDGE_FLAG} {MODEL} arena_hard: ")


def test_incomplete_and_non_official_show_both_marks_and_footnotes(tmp_path):
    _scores(tmp_path, "arena_hard", {"ah": 41.23}, "gpt-4.1-2025-04-14", OPENAI_ENDPOINT, status="incomplete",
            incomplete={"reason": "193 of 1000 games scored"})
    _scores(tmp_path, "alpaca_eval", {"ae2_lc": 72.5}, "gpt-4-1106-preview", OPENAI_ENDPOINT)  # official: unmarked
    rows, cols = add_reproduced(*paper_table(load_registry(), "gemma"), tmp_path)
    notes = footnotes(rows)
    assert notes[0].startswith("* ") and notes[1].startswith(f"{JUDGE_FLAG} {MODEL} arena_hard: judged by gpt-4.1")
    text = render(rows, cols, "markdown", notes)
    assert f"41.2*{JUDGE_FLAG}" in text and "72.5 " in text and f"72.5{JUDGE_FLAG}" not in text
    assert f"41.2*{JUDGE_FLAG}" in render(rows, cols, "csv", notes)
