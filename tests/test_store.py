from __future__ import annotations

import json

import pytest

from harness.results import RunDir
from harness.store import GENERATION_MANIFEST, GenerationStore, generation_key, records_for_run


def _rec(key: str, item: str, turn: int = 0, sample: int = 0, output: str = "out", run_config: str = "c1"):
    return {"key": key, "item_id": item, "turn": turn, "sample_index": sample, "model": "m", "prompt": "p",
            "output": output, "num_prompt_tokens": 3, "num_output_tokens": 2, "finish_reason": "stop",
            "seconds": 0.1, "params": {"temperature": 0.0}, "template_hash": "h", "run_config": run_config}


def test_generation_key_depends_on_every_input():
    base = {"model_id": "org/m@main", "template_hash": "t", "params": {"temperature": 0.0, "max_new_tokens": 8},
            "seed": 42, "item_id": "1", "turn": 0, "sample_index": 0}
    k0 = generation_key(**base)
    assert k0 == generation_key(**dict(base))
    variants = [("model_id", "org/m@rev2"), ("template_hash", "u"), ("params", {"temperature": 0.7}),
                ("seed", 1), ("item_id", "2"), ("turn", 1), ("sample_index", 1)]
    keys = {generation_key(**{**base, k: v}) for k, v in variants}
    assert len(keys) == len(variants) and k0 not in keys


def test_append_load_dedup_and_torn_tail(tmp_path):
    path = tmp_path / "g.jsonl"
    store = GenerationStore(path)
    assert store.append(_rec("a", "1")) is True
    assert store.append(_rec("a", "1", output="other")) is False  # never duplicated
    assert store.append(_rec("b", "2")) is True
    with path.open("ab") as fh:  # a writer killed mid-line
        fh.write(b'{"key": "c", "item_id": "3", "out')
    fresh = GenerationStore(path)
    assert list(fresh.load()) == ["a", "b"]
    assert fresh.append(_rec("c", "3")) is True
    lines = path.read_text().splitlines()
    assert [json.loads(x)["key"] for x in lines] == ["a", "b", "c"]
    assert GenerationStore(path).load()["a"]["output"] == "out"


def test_append_rejects_incomplete_record(tmp_path):
    rec = _rec("a", "1")
    del rec["output"]
    with pytest.raises(ValueError, match="output"):
        GenerationStore(tmp_path / "g.jsonl").append(rec)


def test_records_for_run_filters_to_last_config_and_sorts(tmp_path):
    run = RunDir(tmp_path, "org/model", "toy").ensure()
    store = GenerationStore(run.generations)
    store.append(_rec("k1", "b", turn=1, run_config="c1"))
    store.append(_rec("k2", "b", turn=0, run_config="c1"))
    store.append(_rec("k3", "a", run_config="c1"))
    store.append(_rec("k4", "a", run_config="c2", output="new"))
    assert [r["key"] for r in records_for_run(run, all_configs=True)] == ["k2", "k1", "k4"]
    (run.path / GENERATION_MANIFEST).write_text(json.dumps({"run_config": "c1"}))
    assert [r["key"] for r in records_for_run(run)] == ["k2", "k1", "k3"]
    assert [r["key"] for r in records_for_run(run.generations)] == ["k2", "k1", "k3"]
    assert store.records_for_run(["k4", "missing"])[0]["output"] == "new"


def test_records_for_run_uses_benchmark_item_order(tmp_path):
    store = GenerationStore(tmp_path / "generations.jsonl")
    for key, item, idx in [("x", "b", 1), ("y", "c", 2), ("z", "a", 0)]:
        store.append({**_rec(key, item), "item_index": idx})
    assert [r["item_id"] for r in records_for_run(tmp_path)] == ["a", "b", "c"]
