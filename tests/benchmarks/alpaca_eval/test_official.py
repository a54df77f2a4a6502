"""alpaca_eval's own results folders through `import` and `score` (the published leaderboard
numbers), `export` read back by alpaca-eval 0.6.2's own loader and metric, and the round trip."""

from __future__ import annotations

import pandas as pd
import pytest

from harness.store.jsonl import write_json_atomic
from tests.helpers.imports import OFFICIAL, cli, manifest, score, stored

MODELS = ("claude-2", "alpaca-7b", "gpt35_turbo_instruct", "phi-2", "alpaca-7b_verbose")
COMPLETE = ("claude-2", "alpaca-7b")


@pytest.fixture(scope="module")
def imported(shared_dir, tmp_path_factory):
    results = tmp_path_factory.mktemp("ae") / "results"
    data = shared_dir / "alpaca_eval_validation_data"
    assert cli("import", "--format", "alpaca_eval", shared_dir / OFFICIAL / "alpaca_eval/results",
               "--results-dir", results, "--data-dir", data) == 0
    return results, data


@pytest.mark.parametrize("model", MODELS)
def test_imported_folders_score_to_the_published_leaderboard(imported, model, monkeypatch):
    """WR and SE (1e-9), LC (1e-6) and length as alpaca-eval 0.6.2 published them, through the CLI
    alone; the files with fewer than 805 rows are scored as alpaca-eval does and flagged incomplete."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    results, data = imported
    board = pd.read_csv(data / "leaderboards/weighted_alpaca_eval_gpt4_turbo_leaderboard.v0.6.2.csv", index_col=0)
    published = board.loc[model]
    rc, s = score(results, model, "alpaca_eval", "--data-dir", data, "--allow-incomplete")
    assert rc == 0
    assert s["metrics"]["ae2_wr"] == pytest.approx(published["win_rate"], abs=1e-9)
    assert s["details"]["se"] == pytest.approx(published["standard_error"], abs=1e-9)
    assert s["metrics"]["ae2_lc"] == pytest.approx(published["length_controlled_winrate"], abs=1e-6)
    assert s["metrics"]["ae2_length"] == published["avg_length"]
    assert s["status"] == ("complete" if model in COMPLETE else "incomplete")
    assert s["details"]["judge_model"] == "gpt-4-1106-preview" and s["details"]["judge_endpoint"] == \
        "https://api.openai.com/v1"
    if model not in COMPLETE:  # without --allow-incomplete the partial file's score exits 1
        assert score(results, model, "alpaca_eval", "--data-dir", data)[0] == 1
    m = manifest(results, model, "alpaca_eval")
    assert m["n_items"] == 805 and m["imported_from"]["judge"]["model"] == "gpt-4-1106-preview"
    assert m["imported_from"]["prompt_checks"]["match"] == len(stored(results, model, "alpaca_eval")[1])
    assert s["manifest"]["generation"]["source_files"] == m["source_files"]


def test_item_ids_are_reference_positions(imported):
    results, data = imported
    from harness.benchmarks.alpaca_eval.data import load_reference

    reference = load_reference(data)[0]
    gens, rows = stored(results, "phi-2", "alpaca_eval")
    assert len(gens) == 803 and all(reference[int(g["item_id"])]["instruction"] == r["instruction"]
                                    for g, r in zip(gens, rows, strict=True))
    assert all(g["item_index"] == int(g["item_id"]) for g in gens)


def test_reimport_is_a_no_op(imported, shared_dir, capsys):
    results, data = imported
    before = {m: stored(results, m, "alpaca_eval") for m in ("claude-2",)}
    assert cli("import", "--format", "alpaca_eval", shared_dir / OFFICIAL / "alpaca_eval/results/claude-2",
               "--results-dir", results, "--data-dir", data) == 0
    assert capsys.readouterr().out.startswith("unchanged: claude-2 alpaca_eval")
    assert stored(results, "claude-2", "alpaca_eval") == before["claude-2"]


def test_export_reads_back_in_alpaca_eval_and_round_trips(imported, tmp_path, monkeypatch):
    """The export is what alpaca-eval 0.6.2 loads and scores (same WR); importing it gives the same records."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    results, data = imported
    out = tmp_path / "export"
    assert cli("export", "--format", "alpaca_eval", "--model", "phi-2", "--results-dir", results, "--out", out,
               "--data-dir", data) == 0
    from harness.benchmarks.alpaca_eval.protocol import import_quietly

    utils, metrics = import_quietly("alpaca_eval.utils"), import_quietly("alpaca_eval.metrics")
    ann = utils.load_or_convert_to_dataframe(out / "phi-2/weighted_alpaca_eval_gpt4_turbo/annotations.json")
    outputs = utils.load_or_convert_to_dataframe(out / "phi-2/model_outputs.json")
    ours = score(results, "phi-2", "alpaca_eval", "--allow-incomplete")[1]
    assert metrics.get_winrate(ann)["win_rate"] == pytest.approx(ours["metrics"]["ae2_wr"], abs=1e-12)
    assert len(outputs) == 803 and set(outputs.columns) >= {"instruction", "output", "generator"}
    again = tmp_path / "again"
    assert cli("import", "--format", "alpaca_eval", out, "--results-dir", again, "--data-dir", data) == 0
    assert stored(again, "phi-2", "alpaca_eval") == stored(results, "phi-2", "alpaca_eval")


def test_a_judged_output_that_is_not_the_saved_one_is_reported(shared_dir, tmp_path):
    """The verdict belongs to output_2: that is what is imported (the saved output kept beside it)."""
    from harness.store.jsonl import read_records

    src = shared_dir / OFFICIAL / "alpaca_eval/results/alpaca-7b"
    outputs = read_records(src / "model_outputs.json.gz")[:3]
    annotations = read_records(src / "weighted_alpaca_eval_gpt4_turbo/annotations.json.gz")[:3]
    outputs[1] = {**outputs[1], "output": "a different saved output"}
    folder = tmp_path / "results" / "alpaca-7b"
    write_json_atomic(folder / "model_outputs.json", outputs)
    write_json_atomic(folder / "weighted_alpaca_eval_gpt4_turbo" / "annotations.json", annotations)
    results = tmp_path / "store"
    assert cli("import", "--format", "alpaca_eval", folder, "--results-dir", results, "--data-dir",
               shared_dir / "alpaca_eval_validation_data") == 0
    gens, _ = stored(results, "alpaca-7b", "alpaca_eval")
    assert [g["output"] for g in gens] == [a["output_2"] for a in annotations]
    assert gens[1]["saved_output"] == "a different saved output"
    (diff,) = manifest(results, "alpaca-7b", "alpaca_eval")["imported_from"]["prompt_checks"]["differences"]
    assert diff["source"].endswith("annotations.json:record 2") and "differs from the saved output" in diff["what"]
