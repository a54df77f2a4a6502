"""ZeroEval result files through `import` and `score` with no data at all (the files carry their
gold answers): the published GSM8K numbers, the partial runs, and `export` -> `import`."""

from __future__ import annotations

import json

import pytest

from tests.helpers.imports import OFFICIAL, cli, score, stored

GSM = [  # model, accuracy, reasoning length (ZeroEval's gsm.summary.json / the SimPO README)
    ("gemma-2-9b-it", 87.41, 394.83),
    ("Meta-Llama-3-8B-Instruct", 78.47, 429.39),
    ("Meta-Llama-3.1-8B-Instruct", 84.00, 511.97),
    ("reka-core-20240501", 87.41, 414.70),
]


@pytest.fixture(scope="module")
def imported(shared_dir, tmp_path_factory):
    results = tmp_path_factory.mktemp("ze") / "results"
    assert cli("import", "--format", "zeroeval", shared_dir / OFFICIAL / "zeroeval", "--results-dir", results) == 0
    return results


@pytest.fixture(autouse=True)
def _no_data(offline):
    """No hub, no --data-dir: the gold answers come from the imported files only."""


@pytest.mark.parametrize(("model", "acc", "length"), GSM)
def test_gsm_files_score_as_zeroeval_without_data(imported, model, acc, length):
    rc, s = score(imported, model, "gsm8k")
    assert rc == 0 and s["status"] == "complete" and s["n"] == 1319
    assert round(s["metrics"]["gsm"], 2) == acc and round(s["metrics"]["gsm_length"], 2) == length
    assert s["details"]["gold_source"].endswith("gold.jsonl")


def test_the_llama31_boxed_rescue_reaches_imported_runs(shared_dir, tmp_path):
    """ZeroEval's Llama-3.1 rescue (a \\boxed{} answer in the last 30 characters) keys on the model
    name (and generator), which an import takes from the file. (The real Llama-3.1 file has no \\boxed output:
    its 84.00 does not depend on the rescue.) Two real records, their outputs made \\boxed-only."""
    from harness.store.jsonl import read_records, write_json_atomic

    records = read_records(shared_dir / OFFICIAL / "zeroeval/gsm/Meta-Llama-3.1-8B-Instruct.json.gz")[:2]
    gold = [r["answer"].replace("#", "").strip() for r in records]
    boxed = [{**r, "output": [f"Working it out... so the answer is \\boxed{{{g}}}"]} for r, g in zip(records, gold, strict=True)]
    results = tmp_path / "results"
    for name in ("Meta-Llama-3.1-8B-Instruct", "Meta-Llama-3-8B-Instruct"):
        write_json_atomic(tmp_path / "gsm" / f"{name}.json", [{**r, "generator": f"meta-llama/{name}"} for r in boxed])
        assert cli("import", "--format", "zeroeval", tmp_path / "gsm" / f"{name}.json", "--results-dir", results) == 0
    rescued = score(results, "Meta-Llama-3.1-8B-Instruct", "gsm8k", "--allow-incomplete")[1]
    plain = score(results, "Meta-Llama-3-8B-Instruct", "gsm8k", "--allow-incomplete")[1]
    assert rescued["metrics"]["gsm"] == 100.0 and rescued["details"]["n_parsed"] == 2
    assert plain["metrics"]["gsm"] == 0.0 and plain["details"]["n_parse_failures"] == 2


def test_gemini_partial_run_is_zeroevals_number_flagged_incomplete(imported, shared_dir):
    """681 of 1,319 items: ZeroEval's 95.01 divides by the items in the file; the score is incomplete
    and gives the full-set accuracy (missing = wrong) beside it."""
    summary = {r["Model"]: r for r in json.loads((shared_dir / OFFICIAL / "zeroeval/gsm.summary.json").read_text())}
    published = summary["gemini-1.5-flash-exp-0827"]
    assert score(imported, "gemini-1.5-flash-exp-0827", "gsm8k")[0] == 1
    rc, s = score(imported, "gemini-1.5-flash-exp-0827", "gsm8k", "--allow-incomplete")
    assert rc == 0 and s["status"] == "incomplete" and published["Total"] == 681
    assert f"{s['metrics']['gsm']:.2f}" == published["Acc"] == "95.01"
    assert f"{s['metrics']['gsm_length']:.2f}" == published["Reason Lens"]
    assert s["details"]["n_present"] == 681 and s["details"]["n_total"] == 1319
    assert s["details"]["accuracy_full_set"] == pytest.approx(95.01 * 681 / 1319, abs=0.01)
    assert "681 of 1319 items scored" in s["incomplete"]["reason"]


def test_mmlu_partial_and_its_first_304_items(imported, shared_dir, tmp_path):
    """Qwen2-72B-Instruct's in-progress MMLU-Redux file: the summary at jxiw/ZeroEval f272b8e counted
    its first 304 items (85.53 / 423.45); `import --limit 304` reproduces that snapshot."""
    rc, s = score(imported, "Qwen2-72B-Instruct.partial", "mmlu", "--allow-incomplete")
    assert rc == 0 and s["status"] == "incomplete" and s["n"] == 376
    results = tmp_path / "results"
    assert cli("import", "--format", "zeroeval", shared_dir / OFFICIAL / "zeroeval/mmlu-redux", "--limit", "304",
               "--model", "Qwen2-72B-Instruct", "--results-dir", results) == 0
    s = score(results, "Qwen2-72B-Instruct", "mmlu", "--allow-incomplete")[1]
    assert (round(s["metrics"]["mmlu"], 2), round(s["metrics"]["mmlu_length"], 2)) == (85.53, 423.45)


@pytest.mark.parametrize(("model", "bench"), [("gemini-1.5-flash-exp-0827", "gsm8k"),
                                                  ("Qwen2-72B-Instruct.partial", "mmlu")])
def test_export_then_import_round_trips(imported, tmp_path, model, bench):
    out = tmp_path / "export"
    assert cli("export", "--format", "zeroeval", "--benchmark", bench, "--model", model, "--results-dir",
               imported, "--out", out) == 0
    again = tmp_path / "again"
    assert cli("import", "--format", "zeroeval", out, "--results-dir", again) == 0
    assert stored(again, model, bench) == stored(imported, model, bench)
    assert (again / model / bench / "gold.jsonl").read_text() == (imported / model / bench / "gold.jsonl").read_text()
