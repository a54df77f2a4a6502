"""`simpo-harness score --benchmark alpaca_eval --outputs/--annotations` on malformed user files:
one `error:` line and a non-zero exit, never a traceback or a NaN in the printed/written JSON."""

from __future__ import annotations

import json
import logging
import math

import pytest

from harness.benchmarks.alpaca_eval import scoring
from harness.benchmarks.alpaca_eval.protocol import import_quietly
from harness.cli import main
from harness.errors import HarnessError
from harness.store.jsonl import read_records


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _score(tmp_path, flag: str, rows, *extra: str) -> int:
    path = tmp_path / "user.json"
    path.write_text(json.dumps(rows) if not isinstance(rows, str) else rows, encoding="utf-8")
    return main(["score", "--model", "x", "--benchmark", "alpaca_eval", flag, str(path), "--allow-incomplete", *extra])


def _ann(preference, instruction="x", output="y"):
    return {"instruction": instruction, "output_2": output, "preference": preference}


def _no_nan(text: str):
    def refuse(const):
        raise AssertionError(f"{const} in JSON")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    ("flag", "rows", "expected"),
    [
        ("--outputs", [], "the file has no records"),
        ("--annotations", [], "the file has no records"),
        ("--outputs", [{"instruction": "x", "output": 5}], "row 0 (instruction 'x'): field 'output' must be a string"),
        ("--outputs", [{"instruction": "x", "output": "a"}, {"instruction": "z", "output": None}],
         "row 1 (instruction 'z'): field 'output' must be a string, got NoneType None"),
        ("--outputs", [{"instruction": 7, "output": "a"}], "row 0: field 'instruction' must be a string, got int 7"),
        ("--outputs", '[{"instruction": "x", "output": NaN}]', "field 'output' must be a string, got float nan"),
        ("--annotations", [_ann(1.5), _ann("abc", "z")], "row 1 (instruction 'z'): field 'preference' must be a number"),
        ("--annotations", [_ann(None)], "no row has a usable 'preference' (all 1 are null or missing)"),
        ("--annotations", [_ann(None), {"instruction": "z", "output_2": "y"}], "no row has a usable 'preference'"),
        ("--annotations", '[{"instruction": "x", "output_2": "y", "preference": NaN}]', "no row has a usable"),
        ("--annotations", [_ann(2.5)], "row 0 (instruction 'x'): field 'preference' is 2.5, outside"),
        ("--annotations", [_ann(-1)], "field 'preference' is -1, outside"),
        ("--annotations", '[{"instruction": "x", "output_2": "y", "preference": Infinity}]', "is inf, outside"),
        ("--annotations", [_ann(True)], "field 'preference' must be a number in [1, 2] (or null), got bool True"),
        ("--annotations", [_ann([1.5])], "got list [1.5]"),
        ("--annotations", [{"instruction": "x", "preference": 1.5}], "field 'output_2' must be a string, got nothing"),
    ],
)
def test_malformed_user_file_is_one_error_line(tmp_path, capsys, flag, rows, expected):
    assert _score(tmp_path, flag, rows) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"simpo-harness score: error: {flag} {tmp_path / 'user.json'}: ")
    assert expected in lines[0]
    assert "Traceback" not in captured.err and captured.out == ""


def test_null_preferences_are_dropped_as_in_alpaca_eval(tmp_path, capsys, caplog):
    out = tmp_path / "scores.json"
    rows = [_ann(1.7, "a"), _ann(None, "b"), _ann(1.0, "c"), {"instruction": "d", "output_2": "yy"}]
    with caplog.at_level(logging.INFO):
        assert _score(tmp_path, "--annotations", rows, "--out", str(out)) == 0
    captured = capsys.readouterr()
    assert "drop" not in caplog.text and "drop" not in captured.err  # no "drop N outputs" lines (there were 2)
    scores = _no_nan(out.read_text())
    assert scores["metrics"]["ae2_wr"] == pytest.approx(35.0)
    assert scores["details"]["n_total"] == 2 and scores["details"]["n_failed"] == 2
    printed = _no_nan(captured.out[: captured.out.index("\n}\n") + 3])
    assert printed["metrics"]["ae2_wr"] == pytest.approx(35.0)


def test_a_partial_file_is_scored_but_flagged_incomplete(tmp_path, capsys):
    """A file with fewer rows than AlpacaEval's 805 instructions is not a full result: the score is
    written, marked incomplete, and the command exits 1 unless --allow-incomplete."""
    out = tmp_path / "scores.json"
    path = tmp_path / "user.json"
    path.write_text(json.dumps([_ann(1.7, "a"), _ann(1.2, "b")]))
    argv = ["score", "--model", "x", "--benchmark", "alpaca_eval", "--annotations", str(path), "--out", str(out)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "incomplete score: x alpaca_eval: 2 of 805 instructions in the file" in err and "--allow-incomplete" in err
    scores = _no_nan(out.read_text())
    assert scores["status"] == "incomplete" and scores["metrics"]["ae2_wr"] == pytest.approx(45.0)
    assert "ae2_lc" not in scores["metrics"]
    assert main([*argv, "--allow-incomplete"]) == 0


def test_numeric_string_and_legacy_zero_are_read_as_alpaca_eval_does(tmp_path, capsys):
    out = tmp_path / "scores.json"
    rows = [_ann("2", "a"), _ann(0, "b")]  # astype(float) reads "2"; 0 is the legacy draw (1.5)
    assert _score(tmp_path, "--annotations", rows, "--out", str(out)) == 0
    scores = _no_nan(out.read_text())
    assert scores["metrics"]["ae2_wr"] == pytest.approx(75.0) and scores["details"]["n_draws"] == 1
    capsys.readouterr()


def test_single_preference_has_no_nan_standard_error(tmp_path, capsys):
    out = tmp_path / "scores.json"
    assert _score(tmp_path, "--annotations", [_ann(2.0)], "--out", str(out)) == 0
    scores = _no_nan(out.read_text())
    assert scores["metrics"]["ae2_wr"] == 100.0 and scores["details"]["se"] is None
    assert "NaN" not in capsys.readouterr().out


def test_dropping_nan_first_gives_get_winrate_numbers(shared_dir):
    """winrate() drops missing preferences before alpaca-eval's get_winrate: same numbers as letting it drop them."""
    rows = read_records(shared_dir / "alpaca_eval_validation_data/annotations/claude-2.1.annotations.json.gz")
    prefs = [float(r["preference"]) for r in rows]
    for i in range(0, len(prefs), 7):
        prefs[i] = math.nan
    official = import_quietly("alpaca_eval.metrics").get_winrate([{"preference": p} for p in prefs])
    ours = scoring.winrate(prefs)
    assert ours["win_rate"] == official["win_rate"] and ours["standard_error"] == official["standard_error"]
    assert ours["discrete_win_rate"] == official["discrete_win_rate"]
    assert all(ours[k] == official[k] for k in ("n_wins", "n_wins_base", "n_draws", "n_total"))


def test_run_whose_judgments_all_failed_scores_without_nan():
    """A run directory where every judgment failed still scores (the next run retries), with WR None, not NaN."""
    rows = [_ann(None, f"i{i}", "out") for i in range(3)]
    res = scoring.score_alpaca_eval(generator="m", outputs=None, annotations=rows, reference=None, data_dir=None)
    assert res["metrics"]["ae2_wr"] is None and res["details"]["se"] is None
    assert res["details"]["n_failed"] == 3 and res["details"]["n_total"] == 0
    json.dumps(res, allow_nan=False)


def test_scoring_errors_name_the_source():
    with pytest.raises(HarnessError, match=r"^ann\.jsonl: row 1 \(instruction 'b'\): field 'preference'"):
        scoring.score_alpaca_eval(generator="m", outputs=None, annotations=[_ann(1.5, "a"), _ann("x", "b")],
                                  reference=None, data_dir=None, annotations_source="ann.jsonl")
    with pytest.raises(HarnessError, match=r"^gens: no records to score"):
        scoring.score_alpaca_eval(generator="m", outputs=[], annotations=None, reference=None, data_dir=None,
                                  outputs_source="gens")
