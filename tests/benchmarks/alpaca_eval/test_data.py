from __future__ import annotations

import gzip
import json

import pytest

from harness.benchmarks import get_spec
from harness.benchmarks.alpaca_eval import data as ae_data
from harness.benchmarks.alpaca_eval.benchmark import AlpacaEval2
from harness.errors import HarnessError
from harness.store.jsonl import read_records


def test_registered_and_loads_805_items(shared_dir):
    assert get_spec("alpaca_eval").load_class() is AlpacaEval2
    items = AlpacaEval2().load_items(shared_dir / "alpaca_eval_validation_data")
    assert len(items) == 805 and items[0].item_id == "000" and items[-1].item_id == "804"
    assert len({it.turns[0] for it in items}) == 805
    assert items[0].metadata["generator_1"] == "gpt4_1106_preview" and items[0].reference
    assert AlpacaEval2().load_items(shared_dir / "alpaca_eval_validation_data", limit=3)[2].item_id == "002"


def test_flat_data_dir_and_messages(tmp_path):
    rows = [{"instruction": "Say hi", "output": "Hi!", "generator": "gpt4_1106_preview", "dataset": "x"}]
    with gzip.open(tmp_path / "gpt4_1106_preview.model_outputs.json.gz", "wt") as fh:
        json.dump(rows, fh)
    bench = AlpacaEval2(tmp_path)
    (item,) = bench.load_items()
    assert bench.messages_for_turn(item, 0, []) == [{"role": "user", "content": "Say hi"}]


def test_missing_and_malformed_data_are_one_line_errors(tmp_path):
    with pytest.raises(HarnessError, match="reference outputs not found in --data-dir"):
        AlpacaEval2().load_items(tmp_path)
    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    with pytest.raises(HarnessError, match="not a readable JSON file"):
        read_records(bad)
    bad.write_text('{"a": 1}')
    with pytest.raises(HarnessError, match="expected a JSON list"):
        read_records(bad)
    dup = tmp_path / "gpt4_1106_preview.model_outputs.json"
    dup.write_text(json.dumps([{"instruction": "a", "output": "x"}, {"instruction": "a", "output": "y"}]))
    with pytest.raises(HarnessError, match="duplicate instructions"):
        ae_data.load_reference(tmp_path)


def test_gamed_file_absent_is_explained(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    ae_data.hub_file.cache_clear()
    path, why = ae_data.find_gamed_file(tmp_path)
    assert path is None and "df_gamed.csv" in why
