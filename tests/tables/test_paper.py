"""Paper tables from the registry, plus reproduced columns read from scores.json files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.registry.models import load_registry
from harness.store.layout import RunDir
from harness.tables.paper import add_reproduced, models_table, paper_table, read_reproduced
from harness.tables.render import render


def write_scores(root: Path, model: str, benchmark: str, metrics: dict, ci: dict | None = None) -> Path:
    run = RunDir(root, model, benchmark).ensure()
    payload = {"benchmark": benchmark, "model": model, "metrics": metrics, "ci": ci or {}, "details": {}, "n": 1}
    run.scores.write_text(json.dumps(payload))
    return run.scores


def test_paper_tables_have_the_seed_layout():
    registry = load_registry()
    rows, cols = paper_table(registry, "gemma")
    assert [c.header for c in cols][:2] == ["Model", "AE2 LC"] and len(cols) == 10
    assert [r["hf_repo"] for r in rows][0] == "google/gemma-2-9b-it"
    rows, cols = paper_table(registry, "v0.1")
    assert [c.header for c in cols] == ["Model", "Checkpoint", "AE2 LC", "AE2 WR", "AH"]
    assert len(rows) == 40
    with pytest.raises(HarnessError, match="unknown paper table"):
        paper_table(registry, "v9")


def test_reproduced_columns_and_deltas(tmp_path):
    registry = load_registry()
    # stored under the HF repo id for one model, the short name for another
    write_scores(tmp_path, "princeton-nlp/gemma-2-9b-it-SimPO", "alpaca_eval",
                 {"ae2_lc": 71.93, "ae2_wr": 66.2, "ae2_length": 1840.2})
    write_scores(tmp_path, "gemma-2-9b-it-SimPO", "arena_hard", {"ah": 58.0, "ah_length": 700}, {"ah": [56.1, 60.3]})
    write_scores(tmp_path, "gemma-2-9b-it", "gsm8k", {"gsm": 87.41, "gsm_length": 394.83})
    rows, cols = add_reproduced(*paper_table(registry, "gemma"), tmp_path)
    headers = [c.header for c in cols]
    assert headers[:4] == ["Model", "AE2 LC", "AE2 LC (repro)", "Δ AE2 LC"]
    assert headers[headers.index("AH"):headers.index("AH") + 4] == ["AH", "AH (repro)", "AH 95% CI", "Δ AH"]
    assert "MMLU (repro)" not in headers  # no mmlu results anywhere: no empty column
    simpo = next(r for r in rows if r["name"] == "gemma-2-9b-it-SimPO")
    assert simpo["ae2_lc_delta"] == pytest.approx(71.93 - 72.4)
    assert simpo["ah_ci"] == [56.1, 60.3]
    header, *body = csv.reader(io.StringIO(render(rows, cols, "csv")))
    it = dict(zip(header, body[0], strict=True))
    assert (it["GSM"], it["GSM (repro)"], it["Δ GSM"], it["GSM Length (repro)"]) == ("87.4", "87.4", "+0.0", "395")
    assert it["AE2 LC (repro)"] == ""  # gemma-2-9b-it has no alpaca_eval results
    sim = dict(zip(header, body[2], strict=True))
    assert (sim["AE2 LC (repro)"], sim["Δ AE2 LC"], sim["Δ AH"], sim["AH 95% CI"]) == ("71.9", "-0.5", "-1.1", "[56.1, 60.3]")


def test_models_table_for_arbitrary_checkpoints(tmp_path):
    registry = load_registry()
    write_scores(tmp_path, "/ckpt/my-simpo", "mt_bench", {"mt_bench": 7.456})
    rows, cols = models_table(registry, ["Llama-3-Instruct-8B-SimPO", "/ckpt/my-simpo"], tmp_path)
    assert [r["name"] for r in rows] == ["Llama-3-Instruct-8B-SimPO", "/ckpt/my-simpo"]
    assert [c.key for c in cols] == ["name", "setting", "method", "table", "ae2_lc", "ae2_wr", "ah", "mt_bench"]
    rows, cols = add_reproduced(rows, cols, tmp_path)
    md = render(rows, cols, "markdown")
    assert "7.46" in md and "MT-Bench (repro)" in md
    with pytest.raises(HarnessError, match="unknown model 'Llama-3-Instruct-8B-SimP'; did you mean"):
        models_table(registry, ["Llama-3-Instruct-8B-SimP"], tmp_path)


def test_bad_scores_json_is_a_one_line_error(tmp_path):
    path = write_scores(tmp_path, "m", "gsm8k", {"gsm": 1.0})
    path.write_text("{not json")
    with pytest.raises(HarnessError, match=r"scores\.json: unreadable scores\.json"):
        read_reproduced(tmp_path, ["m"])
    path.write_text(json.dumps({"metrics": [1, 2]}))
    with pytest.raises(HarnessError, match="must be an object"):
        read_reproduced(tmp_path, ["m"])
    with pytest.raises(HarnessError, match="results directory not found"):
        add_reproduced([], [], tmp_path / "nope")


def test_nan_and_null_metrics_are_not_measured_but_text_is_an_error(tmp_path):
    write_scores(tmp_path, "m", "arena_hard", {"ah": float("nan"), "ah_length": None}, {"ah": [1, "b"]})
    rep = read_reproduced(tmp_path, ["m"])
    assert (rep.metrics, rep.cis, rep.flags) == ({}, {}, {})
    write_scores(tmp_path, "m", "arena_hard", {"ah": 30.0, "ah_length": "x"})
    with pytest.raises(HarnessError, match="metrics.ah_length must be a number"):
        read_reproduced(tmp_path, ["m"])


def test_incomplete_scores_are_flagged_with_a_footnote(tmp_path):
    from harness.tables.paper import footnotes

    run = RunDir(tmp_path, "gemma-2-9b-it-SimPO", "arena_hard").ensure()
    run.scores.write_text(json.dumps({
        "benchmark": "arena_hard", "model": "gemma-2-9b-it-SimPO", "metrics": {"ah": 41.23}, "ci": {},
        "status": "incomplete", "incomplete": {"reason": "193 of 1000 games scored"}}))
    rows, cols = add_reproduced(*paper_table(load_registry(), "gemma"), tmp_path)
    notes = footnotes(rows)
    assert notes == ["* gemma-2-9b-it-SimPO arena_hard: incomplete (193 of 1000 games scored)"]
    text = render(rows, cols, "markdown", notes)
    assert "41.2*" in text and text.rstrip().endswith(notes[0])
    header, *body = csv.reader(io.StringIO(render(rows, cols, "csv", notes)))
    assert dict(zip(header, body[2], strict=True))["AH (repro)"] == "41.2*"
    assert "\\footnotesize" in render(rows, cols, "latex", notes)


def test_paper_choices_of_the_table_command_are_the_layouts():
    import argparse

    from harness.cli import table
    from harness.tables.paper import paper_layouts

    parser = argparse.ArgumentParser()
    table.add_arguments(parser)
    paper = next(a for a in parser._actions if a.dest == "paper")
    assert set(paper.choices) == set(paper_layouts())
