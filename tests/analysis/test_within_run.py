from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from harness.benchmarks.alpaca_eval import analysis as wr
from harness.errors import HarnessError

PUBLISHED_LC = {"claude-2": 28.155196141629148, "alpaca-7b": 5.875487163278986}  # official_files/README.md


def test_official_runs_carry_published_lc_and_glm_weights(official_ae_runs) -> None:
    for run in official_ae_runs:
        assert run.source == "official files" and len(run.rows) == 805
        assert run.lc == pytest.approx(PUBLISHED_LC[run.name]) and run.lc_source == "leaderboard"
        assert run.glm is not None and run.glm.psi < 0 and run.difficulty is not None


def test_glm_curve_at_zero_is_the_lc_win_rate_and_longer_wins_more(official_ae_runs) -> None:
    """The sign convention and the per-instruction difficulty are right iff the curve at equal
    length is the published LC (LC = mean σ(θ + φ·difficulty)) and the fitted WR is the observed one."""
    for run in official_ae_runs:
        curve = wr.glm_length_curve(run, np.array([-1000.0, 0.0, 1000.0]))
        assert curve[1] == pytest.approx(PUBLISHED_LC[run.name], abs=1e-6)
        assert curve[0] < curve[1] < curve[2]
        observed = run.judged["win"].mean() * 100
        assert wr.glm_predicted_win_rate(run) == pytest.approx(observed, abs=0.1)


def test_binned_win_rate_counts_every_judged_row(official_ae_runs) -> None:
    run = official_ae_runs[0]
    bins = wr.binned_win_rate(run.rows, n_bins=10)
    assert len(bins) == 10 and bins["n"].sum() == len(run.judged)
    assert (bins["ci_low"] <= bins["win_rate"]).all() and (bins["win_rate"] <= bins["ci_high"]).all()
    assert bins["x_mean"].is_monotonic_increasing
    assert np.average(bins["win_rate"], weights=bins["n"]) == pytest.approx(run.judged["win"].mean() * 100)
    assert len(wr.binned_win_rate(run.rows.head(12))) == 2  # at least 5 rows per bin


def test_exploitation_summary_from_the_rows(official_ae_runs) -> None:
    summary = wr.exploitation_summary(official_ae_runs).set_index("model")
    claude = official_ae_runs[0].rows
    wins = claude[claude["preference"] > 1.5]
    assert summary.loc["claude-2", "share_wins_longer"] == pytest.approx(100 * (wins["model_len"] > wins["ref_len"]).mean())
    assert summary.loc["claude-2", "wr"] == pytest.approx(17.188240356708075)
    assert summary.loc["claude-2", "wr_minus_lc"] == pytest.approx(17.188240356708075 - PUBLISHED_LC["claude-2"])
    assert summary.loc["claude-2", "mean_length"] == pytest.approx(claude["model_len"].mean())
    assert summary.loc["claude-2", "slope_ci_low"] < summary.loc["claude-2", "slope_pp_per_1k"] > 0


def test_native_run(native_results: Path, ae_data_dir: Path) -> None:
    runs = {r.name: r for r in wr.results_alpaca_runs(native_results, data_dir=ae_data_dir)}
    run = runs["Llama-3-Instruct-8B-SimPO"]
    assert run.source == "reproduced" and run.method == "SimPO"
    assert run.lc == 41.0 and run.lc_source == "scores.json (fitted)"
    assert run.glm is None and wr.glm_length_curve(run, np.zeros(3)) is None  # its outputs are not the published ones
    assert len(run.rows) == 60 and len(run.judged) == 59  # one null preference
    row = wr.exploitation_summary([run]).iloc[0]
    assert row["slope_pp_per_1k"] > 0  # the test judge prefers longer answers
    assert runs["Meta-Llama-3-8B-Instruct"].source == "imported"


def test_native_rows_last_one_wins_and_alpaca_eval_string_preferences(tmp_path: Path) -> None:
    base = {"instruction": "q", "output_1": "ref", "output_2": "model answer", "generator_2": "m"}
    path = tmp_path / "m" / "alpaca_eval" / "annotations.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({**base, "preference": None}) + "\n" + json.dumps({**base, "preference": 2}) + "\n")
    run = wr.load_alpaca_run(path.parent)
    assert len(run.rows) == 1 and run.rows["win"].iloc[0] == 1.0 and run.rows["d_len"].iloc[0] == 9
    official = tmp_path / "annotations.json.gz"
    with gzip.open(official, "wt") as fh:
        json.dump([{**base, "preference": "1.25"}, {**base, "instruction": "p", "preference": "0"}], fh)
    run = wr.load_alpaca_run(official)
    assert run.source == "official files" and list(run.rows["preference"]) == [1.25, 1.5]


def test_bad_annotations_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="no AlpacaEval annotations"):
        wr.find_annotations(tmp_path)
    bad = tmp_path / "annotations.jsonl"
    bad.write_text(json.dumps({"instruction": "q", "output_1": "a", "output_2": "b", "preference": "win"}) + "\n")
    with pytest.raises(HarnessError, match="preference"):
        wr.load_alpaca_run(bad)
    bad.write_text(json.dumps({"instruction": "q", "output_1": "a", "preference": 1.2}) + "\n")
    with pytest.raises(HarnessError, match="output_2"):
        wr.load_alpaca_run(bad)


def test_official_runs_missing(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="claude-2"):
        wr.official_alpaca_runs(tmp_path)
