"""``python -m harness.benchmarks.zeroeval.prepare`` writes a data dir the loaders read back."""

from __future__ import annotations

from harness.benchmarks.gsm8k_lmeval.benchmark import GSM8KLmEval
from harness.benchmarks.zeroeval import data, prepare
from harness.benchmarks.zeroeval.benchmark import GSM8KZeroEval, MMLUReduxZeroEval


def fake_hub(path, name, split, *, expected):
    if path == data.GSM8K_HUB[0]:
        return [{"question": f"{split} q{i}", "answer": f"r\n#### {i}"} for i in range(6)]
    if path == data.ZEROEVAL_HUB:
        return [{"id": "mmlu-redux-a-#0", "question": "q", "choices": ["x", "y"], "correct_answer": "y",
                 "config": "a", "source": "edinburgh-dawg/mmlu-redux", "task_type": "multiple_choice"}]
    base = {"question": "q", "choices": ["x", "y"], "answer": 0, "correct_answer": None}
    return [{**base, "error_type": "ok"}, {**base, "error_type": "bad_question_clarity"}]


def test_prepare_roundtrip(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(data, "hub_rows", fake_hub)
    assert prepare.main(["--out", str(tmp_path)]) == 0
    assert "gsm8k/test.jsonl: 6 items" in capsys.readouterr().out
    gsm = GSM8KZeroEval().load_items(tmp_path)
    assert gsm[2].item_id == "gsm8k-main-test-#2" and gsm[2].reference == "# 2"
    assert len(GSM8KLmEval().load_items(tmp_path, limit=1)[0].turns[0].split("Question: ")) == 7
    mm = MMLUReduxZeroEval().load_items(tmp_path)
    assert [(m.item_id, m.reference) for m in mm] == [("mmlu-redux-a-#0", "B")]


def test_prepare_mmlu_from_raw(tmp_path, monkeypatch):
    import sys
    import types

    monkeypatch.setattr(data, "hub_rows", fake_hub)
    fake = types.ModuleType("datasets")
    fake.get_dataset_config_names = lambda name: ["anatomy", "virology"]
    monkeypatch.setitem(sys.modules, "datasets", fake)
    assert prepare.main(["--out", str(tmp_path), "--only", "mmlu", "--mmlu-from-raw"]) == 0
    ids = [m.item_id for m in MMLUReduxZeroEval().load_items(tmp_path)]
    assert ids == ["mmlu-redux-anatomy-#0", "mmlu-redux-virology-#0"]


def test_prepare_offline_error(tmp_path, monkeypatch, capsys):
    import pytest

    datasets = pytest.importorskip("datasets")

    def not_cached(*args, **kwargs):
        raise FileNotFoundError("not in the cache")

    monkeypatch.setattr(data, "hub_reachable", lambda timeout=3.0: False)
    monkeypatch.setattr(datasets, "load_dataset", not_cached)
    assert prepare.main(["--out", str(tmp_path), "--only", "gsm8k"]) == 2
    assert "--data-dir" in capsys.readouterr().err
