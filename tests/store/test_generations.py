from __future__ import annotations

import json

import pytest

from harness.errors import HarnessError
from harness.store import (
    GENERATION_MANIFEST,
    GenerationRecord,
    GenerationStore,
    current_generations,
    generation_key,
)
from harness.store.jsonl import read_jsonl
from harness.store.layout import RunDir


def _rec(key: str, item: str, turn: int = 0, sample: int = 0, output: str = "out", run_config: str = "c1",
         **extra) -> GenerationRecord:
    return GenerationRecord(key=key, item_id=item, turn=turn, sample_index=sample, model="m", prompt="p",
                            output=output, num_prompt_tokens=3, num_output_tokens=2, finish_reason="stop",
                            seconds=0.1, params={"temperature": 0.0}, template_hash="h", run_config=run_config,
                            **extra)


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
    assert GenerationStore(path).load()["a"].output == "out"


def test_torn_last_line_ending_in_a_brace_is_dropped_but_a_bad_middle_line_is_an_error(tmp_path, capsys):
    """A kill mid-write can leave ``{"key": "c", "params": {"t": 1}`` (it ends in ``}``): a torn tail."""
    path = tmp_path / "g.jsonl"
    store = GenerationStore(path)
    store.append(_rec("a", "1"))
    with path.open("ab") as fh:
        fh.write(b'{"key": "c", "item_id": "3", "params": {"t": 1}')
    assert list(GenerationStore(path).load()) == ["a"]
    assert "dropped a torn last line" in capsys.readouterr().err
    fresh = GenerationStore(path)
    fresh.append(_rec("c", "3"))  # the torn line is replaced, never left in the middle
    assert [r["key"] for r in read_jsonl(path)] == ["a", "c"]
    path.write_text(path.read_text().replace('"key": "a"', '"key": "a"}{', 1))
    with pytest.raises(HarnessError, match=r"g\.jsonl:1: malformed generation record"):
        GenerationStore(path).load()


def test_a_complete_last_record_without_its_newline_is_kept(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text(json.dumps(_rec("a", "1").to_dict()))  # written by another tool, no final newline
    store = GenerationStore(path)
    store.append(_rec("b", "2"))
    assert list(GenerationStore(path).load()) == ["a", "b"]


def test_a_foreign_record_is_one_clear_error(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text('{"key": "a", "item_id": "1"}\n')
    with pytest.raises(HarnessError, match="record 1 is not a generation record"):
        GenerationStore(path).load()


def test_current_generations_filters_to_last_config_and_sorts(tmp_path):
    run = RunDir(tmp_path, "org/model", "toy").ensure()
    store = GenerationStore(run.generations)
    store.append(_rec("k1", "b", turn=1, run_config="c1"))
    store.append(_rec("k2", "b", turn=0, run_config="c1"))
    store.append(_rec("k3", "a", run_config="c1"))
    store.append(_rec("k4", "a", run_config="c2", output="new"))
    assert [r.key for r in current_generations(run, all_configs=True)] == ["k2", "k1", "k4"]
    (run.path / GENERATION_MANIFEST).write_text(json.dumps({"run_config": "c1"}))
    assert [r.key for r in current_generations(run)] == ["k2", "k1", "k3"]
    assert [r.key for r in current_generations(run.path)] == ["k2", "k1", "k3"]


def test_current_generations_use_benchmark_item_order(tmp_path):
    store = GenerationStore(tmp_path / "generations.jsonl")
    for key, item, idx in [("x", "b", 1), ("y", "c", 2), ("z", "a", 0)]:
        store.append(_rec(key, item, item_index=idx))
    assert [r.item_id for r in current_generations(tmp_path)] == ["a", "b", "c"]


def test_unknown_fields_survive_a_round_trip():
    rec = GenerationRecord.from_dict({**_rec("a", "1").to_dict(), "imported_from": "x.json"})
    assert rec.extra == {"imported_from": "x.json"} and rec.to_dict()["imported_from"] == "x.json"
