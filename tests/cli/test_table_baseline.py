"""`simpo-harness table --models ... --baseline M`: reproduced cells significantly different from the
baseline's are marked, with a footnote naming the test and the Holm-adjusted p."""

from __future__ import annotations

import pytest

from harness.cli import main
from harness.compare.marks import MARK, significance_marks
from harness.compare.runs import CompareSettings, compare_runs
from tests.compare import native_runs as nr


def table(capsys, *argv: str) -> str:
    assert main(["table", *argv]) == 0
    return capsys.readouterr().out


def cells(text: str, model: str) -> list[str]:
    line = next(row for row in text.splitlines() if row.startswith(f"| {model} "))
    return [c.strip() for c in line.strip("|").split("|")]


def test_significant_cells_are_marked_with_test_and_holm_p(official, shared_dir, capsys, offline):
    data = shared_dir / "alpaca_eval_validation_data"
    out = table(capsys, "--models", "claude-2,alpaca-7b", "--results-dir", str(official), "--baseline", "alpaca-7b",
                "--data-dir", str(data), "--rounds", "1000", "--seed", "7")
    claude, alpaca = cells(out, "claude-2"), cells(out, "alpaca-7b")
    assert "17.2" + MARK in claude and "28.2" + MARK in claude and "1069" in claude  # the length is not tested
    assert not any(MARK in c for c in alpaca)
    expected = {c.metric: c for c in compare_runs(official, ["claude-2", "alpaca-7b"], baseline="alpaca-7b",
                                                  settings=CompareSettings(rounds=1000, seed=7), data_dir=data).comparisons}
    notes = [line for line in out.splitlines() if line.startswith(MARK)]
    assert notes[0].startswith(f"{MARK} reproduced number significantly different from alpaca-7b's")
    assert "Holm over 2 test(s)" in notes[0] and "1000 bootstrap rounds, seed 7" in notes[0]
    wr = next(n for n in notes if "AE2 WR" in n)
    assert wr.startswith(f"{MARK} claude-2 AE2 WR: differs from alpaca-7b (Δ +14.60")
    assert "paired bootstrap" in wr and f"Holm-adjusted p = {expected['ae2_wr'].p_holm:.2g}" in wr
    assert "lc_adjusted_values" in next(n for n in notes if "AE2 LC" in n)


def test_no_mark_without_a_significant_difference(native, native_data, capsys, offline):
    a, b = nr.GSM_MODELS
    out = table(capsys, "--models", f"{a},{b}", "--results-dir", str(native), "--baseline", a, "--rounds", "300")
    assert not any(MARK in c for c in cells(out, b)) and "GSM (repro)" in out
    assert "Holm over 1 test(s)" in out
    assert "*" in " ".join(cells(out, b))  # the incomplete score is still flagged as such


def test_untestable_cells_are_listed(official, capsys, offline):
    out = table(capsys, "--models", "claude-2,alpaca-7b", "--results-dir", str(official), "--baseline", "claude-2",
                "--rounds", "300")
    assert "17.2" + MARK not in out and "2.6" + MARK in out
    assert "not tested: alpaca-7b AE2 LC: no paired LC" in out


def test_the_study_table_can_call_it_on_its_rows(official, offline):
    """significance_marks works on any rows of the table layout (what the study table builds)."""
    from harness.registry.models import load_registry
    from harness.tables.paper import add_reproduced, footnotes, models_table

    rows, columns = models_table(load_registry(), ["claude-2", "alpaca-7b"], official)
    rows, columns = add_reproduced(rows, columns, official)
    result, legend = significance_marks(rows, official, "alpaca-7b", settings=CompareSettings(rounds=200, seed=1))
    assert [(c.model_a, c.model_b, c.metric) for c in result.comparisons] == [
        ("claude-2", "alpaca-7b", "ae2_wr"), ("claude-2", "alpaca-7b", "ae2_lc")]
    assert rows[0]["ae2_wr_repro_flag"] == MARK and "ae2_wr_repro_flag" not in rows[1]
    assert any("claude-2 AE2 WR" in n for n in footnotes(rows)) and legend[0].startswith(MARK)


@pytest.mark.parametrize(("argv", "message"), [
    (["--models", "claude-2,alpaca-7b", "--baseline", "claude-2"], "needs --models and --results-dir"),
    (["--models", "claude-2,alpaca-7b", "--rounds", "10"], "--rounds, --seed and --data-dir go with --baseline"),
    (["--models", "claude-2,alpaca-7b", "--baseline", "gpt-4"], "is not one of the table's models"),
    (["--models", "claude-2,alpaca-7b", "--baseline", "claude-2", "--rounds", "-1"], "rounds must be a positive"),
])
def test_user_mistakes(official, capsys, argv, message):
    extra = [] if message.startswith("needs") else ["--results-dir", str(official)]
    assert main(["table", *argv, *extra]) == 2
    assert message in capsys.readouterr().err
