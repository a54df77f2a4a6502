"""The lm-evaluation-harness-style 5-shot GSM8K variant: prompt, shot sampling, strict/flexible match."""

from __future__ import annotations

import json
import random

import pytest

from harness.benchmarks import get_spec
from harness.benchmarks.base import ScoreOptions
from harness.benchmarks.gsm8k_lmeval.benchmark import (
    FALLBACK,
    FLEXIBLE_REGEX,
    STRICT_REGEX,
    GSM8KLmEval,
    exact_match,
    fewshot_prompt,
    reference_answer,
    regex_filter,
    sample_shots,
    truncate_at_stop,
)
from harness.errors import HarnessError
from harness.store.jsonl import append_jsonl
from harness.store.layout import RunDir
from tests.benchmarks.zeroeval.test_data import write_jsonl

TRAIN = [{"question": f"train q{i}?", "answer": f"step {i}\n#### {i}"} for i in range(12)]
TEST = [
    {"question": "How many?", "answer": "3+4=7\n#### 7"},
    {"question": "Total cost?", "answer": "so\n#### 1,234"},
    {"question": "Debt?", "answer": "#### -5"},
]


@pytest.fixture
def data_dir(tmp_path):
    write_jsonl(tmp_path / "gsm8k" / "train.jsonl", TRAIN)
    write_jsonl(tmp_path / "gsm8k" / "test.jsonl", TEST)
    return tmp_path


def test_registry():
    assert get_spec("gsm8k_lmeval").load_class() is GSM8KLmEval


def test_prompt_format_exact():
    shots = [{"question": "a?", "raw_answer": "x\n#### 1"}, {"question": "b?", "raw_answer": "#### 2"}]
    assert fewshot_prompt("c?", shots) == (
        "Question: a?\nAnswer: x\n#### 1\n\nQuestion: b?\nAnswer: #### 2\n\nQuestion: c?\nAnswer:")


def test_shots_follow_lm_eval_sampler(data_dir):
    items = GSM8KLmEval().load_items(data_dir)
    rnd = random.Random(1234)  # lm-eval: one fewshot_rnd, rnd.sample(train_docs, 5) per doc in order
    for item in items:
        docs = rnd.sample(TRAIN, 5)
        expected = "".join(f"Question: {d['question']}\nAnswer: {d['answer']}\n\n" for d in docs)
        assert item.turns[0] == expected + f"Question: {TEST[int(item.item_id.split('#')[1])]['question']}\nAnswer:"
    # --limit keeps each doc's shots
    assert [it.turns for it in GSM8KLmEval().load_items(data_dir, limit=2)] == [it.turns for it in items[:2]]
    assert sample_shots(2, TRAIN) == sample_shots(2, TRAIN)
    with pytest.raises(HarnessError):
        sample_shots(1, TRAIN[:3])


def test_missing_train_split(tmp_path):
    write_jsonl(tmp_path / "gsm8k" / "test.jsonl", TEST)
    with pytest.raises(HarnessError, match=r"train\.jsonl"):
        GSM8KLmEval().load_items(tmp_path)


@pytest.mark.parametrize("response, strict, flexible", [
    ("3+4=7\n#### 7", "7", "7"),
    ("#### 1,234.", "1,234.", "1,234."),
    ("The answer is 7.", FALLBACK, "7."),
    ("#### 5 then #### 6", "5", "6"),
    ("#### $5", FALLBACK, "$5"),
    ("nothing", FALLBACK, FALLBACK),
    ("#### -5", "-5", "-5"),
])
def test_filters(response, strict, flexible):
    assert regex_filter(response, STRICT_REGEX) == strict
    assert regex_filter(response, FLEXIBLE_REGEX, group_select=-1) == flexible


@pytest.mark.parametrize("prediction, reference, ok", [
    ("7", "3+4=7\n#### 7", True),
    ("1,234.", "so\n#### 1,234", True),  # commas and a final "." ignored
    ("$5", "#### 5", True),
    ("7.0", "#### 7", False),  # exact match, not numeric
    (FALLBACK, "#### 7", False),
])
def test_exact_match(prediction, reference, ok):
    assert exact_match(prediction, reference) is ok


def test_truncate_and_reference():
    assert truncate_at_stop("#### 5\n\nQuestion: next #### 6") == "#### 5\n\n"
    assert truncate_at_stop("a<|im_end|>b</s>c") == "a"
    assert reference_answer("# 72") == "#### 72" and reference_answer("x\n#### 72") == "x\n#### 72"


def test_score(tmp_path, data_dir):
    run = RunDir(tmp_path / "results", "m", "gsm8k_lmeval").ensure()
    outs = {"gsm8k-main-test-#0": " 3+4=7\n#### 7\n\nQuestion: more #### 9",
            "gsm8k-main-test-#1": " The total is 1,234."}
    append_jsonl(run.generations, [{"key": f"k{i}", "item_id": k, "turn": 0, "sample_index": 0, "model": "m",
                                    "output": v, "run_config": "c"} for i, (k, v) in enumerate(outs.items())])
    (run.path / "generation_manifest.json").write_text(json.dumps({"run_config": "c", "limit": None}))
    payload = GSM8KLmEval().score(run.path, ScoreOptions(data_dir=data_dir))
    assert payload["metrics"]["gsm"] == pytest.approx(100 / 3)
    assert payload["metrics"]["gsm_flexible_extract"] == pytest.approx(200 / 3)
    d = payload["details"]
    assert (d["n_total"], d["n_missing"], d["n_parse_failures"]) == (3, 1, 1)
    assert d["protocol"].startswith("lm-eval gsm8k") and "strict-match" in d["protocol"]


def test_end_to_end_tiny_model(tmp_path, data_dir):
    pytest.importorskip("transformers")
    tiny_model = pytest.importorskip("tests.helpers.tiny_model")
    pytest.importorskip("harness.generation")
    from harness.cli import main

    model_dir = tiny_model.build_tiny_llama(tmp_path / "tiny")
    results = tmp_path / "results"
    rc = main(["generate", "--model", str(model_dir), "--template", "llama3", "--benchmark", "gsm8k_lmeval",
               "--data-dir", str(data_dir), "--backend", "transformers", "--max-new-tokens", "8",
               "--results-dir", str(results), "--limit", "2", "--no-progress"])
    assert rc == 0
    (run_dir,) = [p for p in results.glob("*/gsm8k_lmeval") if p.is_dir()]
    payload = GSM8KLmEval().score(run_dir, ScoreOptions(data_dir=data_dir))
    assert payload["n"] == 2 and payload["details"]["n_missing"] == 0
    assert 0.0 <= payload["metrics"]["gsm"] <= 100.0
    gens = [json.loads(line) for line in (run_dir / "generations.jsonl").read_text().splitlines()]
    assert all(g["prompt"].count("Question: ") == 6 for g in gens)  # 5 shots + the test question
