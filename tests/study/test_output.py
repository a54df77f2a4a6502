"""The study table: the study's models x its benchmarks' metrics, published vs reproduced, flags, the marks hook."""

from __future__ import annotations

import json
from pathlib import Path

from harness.study.output import study_table
from harness.tables.render import render

SIMPO = "Llama-3-Instruct-8B-SimPO"


def _scores(results: Path, model: str, benchmark: str, metrics: dict, incomplete: bool = False) -> None:
    path = results / model / benchmark / "scores.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": benchmark, "model": model, "metrics": metrics, "ci": {},
               "status": "incomplete" if incomplete else "complete",
               "incomplete": {"reason": "2 of 805 items unjudged"} if incomplete else None}
    path.write_text(json.dumps(payload), encoding="utf-8")


def test_study_table_published_vs_reproduced_for_the_study_benchmarks_only(tmp_path):
    from harness.registry.models import load_registry

    results = tmp_path / "results"
    _scores(results, SIMPO, "alpaca_eval", {"ae2_lc": 44.0, "ae2_wr": 40.0, "ae2_length": 1800})
    _scores(results, "ckpt-7", "alpaca_eval", {"ae2_lc": 30.5, "ae2_wr": 28.0, "ae2_length": 1500}, incomplete=True)
    rows, columns, notes = study_table([SIMPO, "ckpt-7", "never-ran"], ["alpaca_eval"], results)
    assert [r["name"] for r in rows] == [SIMPO, "ckpt-7"]  # a model without any score has no row
    keys = [c.key for c in columns]
    assert "ae2_lc_repro" in keys and "ae2_lc_delta" in keys and not any(k.startswith(("ah", "mt_bench")) for k in keys)
    published = load_registry().get(SIMPO).published.metrics()["ae2_lc"]
    assert abs(rows[0]["ae2_lc_delta"] - (44.0 - published)) < 1e-9
    assert rows[1]["ae2_lc_repro_flag"] == "*" and notes == ["* ckpt-7 alpaca_eval: incomplete (2 of 805 items unjudged)"]
    markdown = render(rows, columns, "markdown", notes)
    assert "30.5*" in markdown and "incomplete" in markdown
    assert "\\begin{tabular}" in render(rows, columns, "latex", notes)
    assert render(rows, columns, "csv", notes).splitlines()[0].startswith("Model,")


def test_the_study_table_marks_significant_differences_against_the_baseline(tmp_path, shared_dir, monkeypatch):
    """claude-2 vs alpaca-7b (published AlpacaEval runs), alpaca-7b the baseline: claude-2's WR cell is
    marked with the paired test's Holm-adjusted p in a footnote, as `table --baseline` does."""
    from tests.report.builders import official_alpaca_results

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    results = official_alpaca_results(tmp_path / "results", shared_dir)
    rows, columns, notes = study_table(["claude-2", "alpaca-7b"], ["alpaca_eval"], results, baseline="alpaca-7b",
                                       data_dir=shared_dir / "alpaca_eval_validation_data")
    claude = next(r for r in rows if r["name"] == "claude-2")
    assert "\u2020" in claude["ae2_wr_repro_flag"]
    text = render(rows, columns, "markdown", notes)
    assert "paired bootstrap" in text and "alpaca-7b" in text
