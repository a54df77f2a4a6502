"""Local-file and hub loading of GSM8K and MMLU-Redux (no network is used)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from harness.benchmarks.zeroeval import data
from harness.errors import HarnessError


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_gsm8k_raw_and_zeroeval_answers(tmp_path):
    write_jsonl(tmp_path / "gsm8k" / "test.jsonl", [
        {"question": "q0", "answer": "Step <<2*3=6>>6\n#### 6"},
        {"question": "q1", "answer": "# 1,000"},
        {"question": "q2", "answer": "12", "id": "custom"},
    ])
    rows, source = data.load_gsm8k(tmp_path)
    assert [r["id"] for r in rows] == ["gsm8k-main-test-#0", "gsm8k-main-test-#1", "custom"]
    assert [r["answer"] for r in rows] == ["# 6", "# 1,000", "12"]  # ZeroEval's split("###")[1].strip()
    assert rows[0]["raw_answer"].endswith("#### 6")
    assert source.endswith("test.jsonl")


def test_missing_file_names_it(tmp_path):
    with pytest.raises(HarnessError, match=r"gsm8k[/\\]test\.jsonl"):
        data.load_gsm8k(tmp_path)
    with pytest.raises(HarnessError, match=r"mmlu_redux[/\\]test\.jsonl"):
        data.load_mmlu_redux(tmp_path)


def test_malformed_rows(tmp_path):
    p = tmp_path / "gsm8k" / "test.jsonl"
    p.parent.mkdir()
    p.write_text('{"question": "q"}\n', encoding="utf-8")
    with pytest.raises(HarnessError, match="missing field"):
        data.load_gsm8k(tmp_path)
    p.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(HarnessError, match="malformed JSON"):
        data.load_gsm8k(tmp_path)


def test_mmlu_zeroeval_format(tmp_path):
    write_jsonl(tmp_path / "mmlu_redux" / "test.jsonl", [
        {"id": "mmlu-redux-anatomy-#0", "question": "q", "choices": ["a", "b"], "correct_answer": "b"}])
    rows, _ = data.load_mmlu_redux(tmp_path)
    assert rows[0]["correct_answer"] == "b"
    write_jsonl(tmp_path / "mmlu_redux" / "test.jsonl", [{"question": "q", "choices": ["a"], "correct_answer": "z"}])
    with pytest.raises(HarnessError, match="not one of the choices"):
        data.load_mmlu_redux(tmp_path)


def test_mmlu_raw_subject_files_filtered_like_zeroeval(tmp_path):
    base = {"question": "q", "choices": ["w", "x", "y", "z"], "answer": 1}
    write_jsonl(tmp_path / "mmlu_redux" / "virology.jsonl", [
        {**base, "error_type": "ok", "correct_answer": None},
        {**base, "error_type": "wrong_groundtruth", "correct_answer": "D"},
        {**base, "error_type": "wrong_groundtruth", "correct_answer": "2"},  # not a letter: dropped
        {**base, "error_type": "multiple_correct_answers", "correct_answer": None},
        {**base, "error_type": "bad_question_clarity", "correct_answer": None},
    ])
    write_jsonl(tmp_path / "mmlu_redux" / "anatomy.jsonl", [{**base, "error_type": "ok", "correct_answer": None}])
    rows, source = data.load_mmlu_redux(tmp_path)
    assert [(r["id"], r["correct_answer"]) for r in rows] == [
        ("mmlu-redux-anatomy-#0", "x"), ("mmlu-redux-virology-#0", "x"), ("mmlu-redux-virology-#1", "z")]
    assert "filtered" in source


def test_hub_offline_fails_fast_from_cache_only(monkeypatch):
    datasets = pytest.importorskip("datasets")
    import huggingface_hub.constants as hub_constants

    seen = {}
    before = (datasets.config.HF_HUB_OFFLINE, hub_constants.HF_HUB_OFFLINE)

    def fake_load(path, name=None, split=None):
        seen["offline"] = (datasets.config.HF_HUB_OFFLINE, hub_constants.HF_HUB_OFFLINE)
        raise ConnectionError("not cached")

    monkeypatch.setattr(data, "hub_reachable", lambda timeout=3.0: False)
    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    start = time.perf_counter()
    with pytest.raises(HarnessError, match=r"--data-dir DIR with gsm8k/test\.jsonl"):
        data.load_gsm8k(None)
    assert time.perf_counter() - start < 5
    assert seen["offline"] == (True, True)
    assert before == (datasets.config.HF_HUB_OFFLINE, hub_constants.HF_HUB_OFFLINE)  # restored


def test_hub_rows_online_path_reformats(monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(data, "hub_reachable", lambda timeout=3.0: True)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    calls = []

    def fake_load(path, name=None, split=None):
        calls.append((path, name, split))
        return [{"question": "q", "answer": "r\n#### 5"}]

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    rows, source = data.load_gsm8k(None)
    assert calls == [("openai/gsm8k", "main", "test")]
    assert rows[0]["answer"] == "# 5" and source == "hub:openai/gsm8k/main/test"


def test_hub_reachable_is_quick_for_an_unresolvable_endpoint(monkeypatch):
    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "https://nonexistent.invalid")
    start = time.perf_counter()
    assert data.hub_reachable(timeout=1.0) is False
    assert time.perf_counter() - start < 5
