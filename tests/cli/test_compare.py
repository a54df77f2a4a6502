"""`simpo-harness compare` on real published AlpacaEval runs and on native runs of every benchmark kind."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import scipy.stats

from harness.benchmarks.alpaca_eval.paired import preference_values
from harness.cli import main
from harness.compare import compare_items
from harness.store.jsonl import read_jsonl, read_records
from tests.compare import native_runs as nr

CLAUDE_WR, ALPACA_WR = 17.188240356708075, 2.591450540223603  # the published leaderboard's
PUBLISHED_LC = {"claude-2": 28.155196141629148, "alpaca-7b": 5.875487163278986}


def compare_json(capsys, *argv: str) -> dict:
    assert main(["compare", *argv, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_official_alpaca_eval_runs(official, shared_dir, capsys, offline):
    """Issue 16's done-when: the WR difference of claude-2 and alpaca-7b with its CI and p-value."""
    data = shared_dir / "alpaca_eval_validation_data"
    assert main(["compare", "claude-2", "alpaca-7b", "--results-dir", str(official), "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "2000 rounds, seed 42" in out and "Holm over 2 test(s)" in out
    wr_line = next(line for line in out.splitlines() if "| ae2_wr" in line)
    assert "+14.597" in wr_line and "0.0005" in wr_line and "| *" in wr_line and "805" in wr_line

    payload = compare_json(capsys, "claude-2", "alpaca-7b", "--results-dir", str(official), "--data-dir", str(data))
    assert (payload["rounds"], payload["seed"]) == (2000, 42)
    wr, lc = payload["comparisons"]
    assert (wr["metric"], wr["model_a"], wr["model_b"]) == ("ae2_wr", "claude-2", "alpaca-7b")
    assert wr["a"] == pytest.approx(CLAUDE_WR, abs=1e-9) and wr["b"] == pytest.approx(ALPACA_WR, abs=1e-9)
    assert round(wr["delta"], 3) == 14.597 and 10 < wr["ci"][0] < wr["delta"] < wr["ci"][1] < 20
    assert wr["p"] == pytest.approx(1 / 2001) and wr["sig"] == "*"
    assert (wr["n_paired"], wr["n_only_a"], wr["n_only_b"]) == (805, 0, 0)
    # the same as the paired test on the published annotation files themselves
    ann = {m: read_records(shared_dir / f"official_files/alpaca_eval/results/{m}/weighted_alpaca_eval_gpt4_turbo/"
                           "annotations.json.gz") for m in ("claude-2", "alpaca-7b")}
    ref = compare_items("bootstrap_mean", preference_values(ann["claude-2"]), preference_values(ann["alpaca-7b"]))
    assert (wr["delta"], wr["ci"], wr["p"]) == (ref.estimate, [ref.ci_low, ref.ci_high], ref.p_value)
    # LC: length-adjusted values with the published GLM weights (the score predicted LC from them)
    assert lc["metric"] == "ae2_lc" and "lc_adjusted_values" in lc["note"]
    assert lc["delta"] == pytest.approx(PUBLISHED_LC["claude-2"] - PUBLISHED_LC["alpaca-7b"], abs=0.3)
    assert lc["ci"][0] > 0 and lc["p_holm"] < 0.05 and lc["n_paired"] == 805


def test_lc_needs_the_data_it_was_predicted_from(official, capsys, offline):
    payload = compare_json(capsys, "claude-2", "alpaca-7b", "--results-dir", str(official))
    wr, lc = payload["comparisons"]
    assert wr["delta"] is not None and lc["delta"] is None and lc["p"] is None and lc["method"] == "unavailable"
    assert "no paired LC for claude-2" in lc["note"] and "glm_weights" in lc["note"]
    assert wr["p_holm"] == wr["p"]  # the unavailable row is no test in Holm's family


def test_a_model_against_an_identical_copy(official, tmp_path, capsys, offline):
    results = tmp_path / "results"
    shutil.copytree(official / "claude-2", results / "claude-2")
    shutil.copytree(official / "claude-2", results / "claude-2-copy")
    payload = compare_json(capsys, "claude-2", "claude-2-copy", "--results-dir", str(results), "--rounds", "300")
    wr = payload["comparisons"][0]
    assert wr["delta"] == 0 and wr["p"] == 1 and wr["ci"] == [0, 0] and wr["rounds"] == 300


def test_native_arena_hard_and_mt_bench(native, capsys):
    payload = compare_json(capsys, "strong", "weak", "--results-dir", str(native), "--rounds", "500", "--seed", "3")
    ah, mt = payload["comparisons"]
    scores = {(m, b): json.loads((native / m / b / "scores.json").read_text()) for m in ("strong", "weak")
              for b in ("arena_hard", "mt_bench")}
    assert ah["benchmark"] == "arena_hard" and ah["n_paired"] == nr.N_ARENA
    # one Bradley-Terry fit of both models vs the baseline: each WR is the model's own score
    assert ah["a"] == pytest.approx(scores["strong", "arena_hard"]["details"]["score_exact"], abs=1e-6)
    assert ah["b"] == pytest.approx(scores["weak", "arena_hard"]["details"]["score_exact"], abs=1e-6)
    assert ah["delta"] > 0 and ah["ci"][0] > 0 and (ah["rounds"], ah["seed"]) == (500, 3)
    assert mt["a"] == pytest.approx(scores["strong", "mt_bench"]["metrics"]["mt_bench"])
    assert mt["b"] == pytest.approx(scores["weak", "mt_bench"]["metrics"]["mt_bench"])
    grades = {m: {(r["item_id"], r["turn"]): r["score"] for r in read_jsonl(native / m / "mt_bench/annotations.jsonl")}
              for m in ("strong", "weak")}
    keys = sorted(grades["strong"])
    d = np.array([grades["strong"][k] - grades["weak"][k] for k in keys])
    assert mt["p"] == pytest.approx(scipy.stats.wilcoxon(d).pvalue) and mt["n_paired"] == 2 * nr.N_MT
    assert "rough" in mt["note"]  # 12 pairs
    assert payload["comparisons"][0]["p_holm"] >= payload["comparisons"][0]["p"]


def test_native_gsm8k_counts_items_only_one_model_has(native, capsys):
    a, b = nr.GSM_MODELS
    payload = compare_json(capsys, a, b, "--results-dir", str(native), "--benchmarks", "gsm8k")
    (gsm,) = payload["comparisons"]
    assert (gsm["n_paired"], gsm["n_only_a"], gsm["n_only_b"]) == (nr.N_GSM - 10, 10, 0)
    assert "10 item(s) present for one model only" in gsm["note"]
    parsed = {m: {r["id"]: r["matched"] for r in read_jsonl(native / m / "gsm8k/parsed.jsonl") if not r.get("missing")}
              for m in (a, b)}
    ids = sorted(parsed[b])
    only_a = sum(parsed[a][i] and not parsed[b][i] for i in ids)
    only_b = sum(parsed[b][i] and not parsed[a][i] for i in ids)
    assert gsm["p"] == pytest.approx(scipy.stats.binomtest(only_a, only_a + only_b, 0.5).pvalue)
    assert gsm["a"] == pytest.approx(100 * np.mean([parsed[a][i] for i in ids]))


def test_baseline_pairs_and_missing_benchmarks(native, capsys):
    payload = compare_json(capsys, "strong", "weak", nr.GSM_MODELS[0], "--baseline", "weak", "--results-dir",
                           str(native), "--benchmarks", "mt_bench", "--rounds", "200")
    rows = [(c["model_a"], c["model_b"], c["method"]) for c in payload["comparisons"]]
    assert rows[0][:2] == ("strong", "weak") and rows[1] == (nr.GSM_MODELS[0], "weak", "unavailable")
    assert payload["comparisons"][1]["note"] == f"no scored mt_bench run of {nr.GSM_MODELS[0]}"
    # a benchmark neither model has: the unavailable row is printed, and the exit status says so
    assert main(["compare", nr.GSM_MODELS[0], "weak", "--results-dir", str(native), "--benchmarks", "mt_bench",
                 "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["comparisons"][0]["method"] == "unavailable"
    assert "no comparison could be computed" in captured.err
    mixed = compare_json(capsys, "strong", "weak", nr.GSM_MODELS[0], "--results-dir", str(native), "--rounds", "200")
    assert {(c["model_a"], c["model_b"]) for c in mixed["comparisons"]} == {("strong", "weak")}
    assert f"strong vs {nr.GSM_MODELS[0]}: not compared on arena_hard, gsm8k, mt_bench" in mixed["notes"][0]


def test_user_mistakes_are_one_line_errors(native, capsys, tmp_path):
    for argv, message in (
        (["strong"], "at least two models"),
        (["strong", "nobody"], "no results for nobody"),
        (["strong", "weak", "--rounds", "0"], "rounds must be a positive integer"),
        (["strong", "weak", "--benchmarks", "nope"], "unknown benchmark"),
        (["strong", nr.GSM_MODELS[0]], "nothing to compare"),
    ):
        assert main(["compare", *argv, "--results-dir", str(native)]) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert main(["compare", "a", "b", "--results-dir", str(tmp_path / "none")]) == 2
    assert "results directory not found" in capsys.readouterr().err


def test_native_alpaca_eval_runs_of_the_pipeline(baseline, tmp_path, capsys):
    """The tiny `run` (tiny model, local judge server) against a copy whose judge preferred the other side."""
    from harness.benchmarks.alpaca_eval.benchmark import AlpacaEval2
    from harness.benchmarks.base import ScoreOptions
    from harness.store.jsonl import write_json_atomic, write_jsonl_atomic
    from tests.helpers.run_env import MODEL_NAME, N_ITEMS

    results = tmp_path / "results"
    shutil.copytree(baseline.results_dir / MODEL_NAME, results / MODEL_NAME)
    mirror = results / "mirror" / "alpaca_eval"
    shutil.copytree(baseline.results_dir / MODEL_NAME / "alpaca_eval", mirror)
    rows = [{**r, "preference": None if r["preference"] is None else 3 - r["preference"]}
            for r in read_jsonl(mirror / "annotations.jsonl")]
    write_jsonl_atomic(mirror / "annotations.jsonl", rows)
    write_json_atomic(mirror / "scores.json", AlpacaEval2().score(mirror, ScoreOptions(data_dir=baseline.env.data_dir)))
    payload = compare_json(capsys, MODEL_NAME, "mirror", "--results-dir", str(results), "--data-dir",
                           str(baseline.env.data_dir), "--rounds", "400")
    wr, lc = payload["comparisons"]
    wrs = [json.loads((results / m / "alpaca_eval/scores.json").read_text())["metrics"]["ae2_wr"]
           for m in (MODEL_NAME, "mirror")]
    assert wr["delta"] == pytest.approx(wrs[0] - wrs[1]) and wr["n_paired"] == N_ITEMS and "rough" in wr["note"]
    assert lc["method"] == "unavailable" and "a new checkpoint has no paired LC comparison" in lc["note"]
