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


def test_significance_marks_hook_gets_the_baseline(tmp_path):
    results = tmp_path / "results"
    for name, lc in (("base", 20.0), ("better", 25.0)):
        _scores(results, name, "alpaca_eval", {"ae2_lc": lc, "ae2_wr": lc, "ae2_length": 1000})
    seen = {}

    def marks(rows, columns, *, baseline, results_dir):
        seen.update(baseline=baseline, results_dir=results_dir)
        return [{**r, "name": r["name"] + ("" if r["name"] == baseline else " (vs base)")} for r in rows], columns

    rows, _, _ = study_table(["base", "better"], ["alpaca_eval"], results, baseline="base", marks=marks)
    assert seen == {"baseline": "base", "results_dir": results}
    assert [r["name"] for r in rows] == ["base", "better (vs base)"]
    rows, _, _ = study_table(["base", "better"], ["alpaca_eval"], results, marks=marks)  # no baseline: no marks
    assert [r["name"] for r in rows] == ["base", "better"]
