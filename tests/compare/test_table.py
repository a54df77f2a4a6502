from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from harness.compare import COLUMNS, compare_items, format_rows, holm, render_comparisons, unavailable
from harness.errors import HarnessError


@pytest.fixture(scope="module")
def results():
    rng = np.random.default_rng(0)
    a = {f"i{k}": float(v) for k, v in enumerate(rng.normal(60, 20, 120))}
    b = {f"i{k}": float(v) for k, v in enumerate(rng.normal(50, 20, 119))}
    wr = compare_items("bootstrap_mean", a, b, rounds=500, seed=42, model_a="mine", model_b="SimPO",
                       benchmark="alpaca_eval", metric="ae2_wr")
    ca = {f"g{k}": bool(v) for k, v in enumerate(rng.random(300) < 0.7)}
    cb = {f"g{k}": bool(v) for k, v in enumerate(rng.random(300) < 0.68)}
    gsm = compare_items("mcnemar", ca, cb, rounds=500, seed=42, model_a="mine", model_b="SimPO", benchmark="gsm8k",
                        metric="gsm")
    lc = unavailable("bootstrap_mean", "LC unavailable: no GLM weights for 'mine'", rounds=500, seed=42,
                     model_a="mine", model_b="SimPO", benchmark="alpaca_eval", metric="ae2_lc")
    return holm([wr, gsm, lc])


def test_rows_carry_every_column_and_the_settings(results):
    rows = format_rows(results)
    assert {c.key for c in COLUMNS} <= set(rows[0])
    wr, gsm, lc = rows
    assert wr["ci"] == [results[0].ci_low, results[0].ci_high]
    assert (wr["rounds"], wr["seed"], wr["n_paired"], wr["n_only_a"]) == (500, 42, 119, 1)
    assert wr["sig"] == "*" and wr["p_holm"] == results[0].p_holm
    assert gsm["sig"] == ("*" if results[1].p_holm < 0.05 else "")
    assert lc["delta"] is None and lc["sig"] is None and lc["note"].startswith("LC unavailable")


@pytest.mark.parametrize("fmt", ["markdown", "csv", "latex"])
def test_renders_through_the_project_table_renderer(results, fmt):
    text = render_comparisons(results, fmt)
    assert text.endswith("\n")
    assert "alpaca_eval" in text.replace("\\_", "_") and "LC unavailable" in text
    assert f"{results[0].estimate:+.3f}" in text
    if fmt == "csv":
        table = list(csv.reader(io.StringIO(text)))
        assert table[0] == [c.header for c in COLUMNS] and len(table) == 4


def test_json_keeps_full_precision(results):
    payload = json.loads(render_comparisons(results, "json"))
    assert payload[0]["delta"] == results[0].estimate
    assert payload[0]["rounds"] == 500 and payload[0]["seed"] == 42
    assert payload[2]["p"] is None


def test_unknown_format_is_a_user_error(results):
    with pytest.raises(HarnessError, match="unknown table format"):
        render_comparisons(results, "html")
