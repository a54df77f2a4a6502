from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.benchmarks.arena_hard import analysis as arena
from harness.benchmarks.arena_hard.tokens import count_tokens
from harness.errors import HarnessError

KTO = "Llama-3-Base-8B-TR_KTO-Alpha_0.6-UltraFeedback"


@pytest.fixture(scope="module")
def official(official_dir: Path, baseline_answers):
    return {r.name: r for r in arena.official_arena_runs(official_dir, baseline_answers)}


def test_official_judgments_give_the_published_score(official, official_dir: Path) -> None:
    run = official[KTO]
    assert len(run.games) == 2 * 193 and len(run.judged) == 2 * 193 - 19  # 19 games without a verdict (README)
    row = arena.arena_summary([run]).iloc[0]
    assert row["ah"] == pytest.approx(17.84)  # show_result.py v0.1 on this file
    assert official["Pythia-12B-DPO-UltraFeedback"].source == "official files"


def test_outcome_is_the_models_whatever_its_slot(official) -> None:
    g = official[KTO].games
    first = g[(g["game"] == 0) & (g["label"] == "B>A")]
    second = g[(g["game"] == 1) & (g["label"] == "A>B")]
    assert (first["model_score"] == 1).all() and (second["model_score"] == 1).all()
    assert (g.loc[g["label"] == "A=B", "model_score"] == 0.5).all()
    assert g.loc[g["label"].isin(["A>>B", "B>>A"]), "strong"].all()


def test_token_counts_are_cl100k(official, baseline_answers) -> None:
    run = official[KTO]
    row = run.games.iloc[0]
    counts, _ = count_tokens([run.model_answers[row["item_id"]], baseline_answers[row["item_id"]]])
    assert [row["model_tokens"], row["baseline_tokens"]] == counts
    assert row["d_tokens"] == counts[0] - counts[1]


def test_binned_verdicts(official) -> None:
    run = official[KTO]
    bins = arena.binned_verdicts(run, n_bins=8)
    assert len(bins) == 8 and bins["n"].sum() == len(run.judged)
    assert (bins["ci_low"] <= bins["win_rate"]).all()


def test_native_run_scores_current_generations_only(native_results: Path, baseline_answers, tmp_path: Path) -> None:
    (run,) = arena.results_arena_runs(native_results, baseline_answers)
    assert run.name == "Llama-3-Instruct-8B-SimPO" and run.source == "reproduced" and run.method == "SimPO"
    assert len(run.games) == 60 and len(run.judged) == 59
    row = arena.arena_summary([run]).iloc[0]
    assert row["slope_pp_per_100_tokens"] > 0 and row["share_wins_longer"] == 100.0
    # a judgment of an answer that is no longer the generation is not counted
    d = tmp_path / "m" / "arena_hard"
    d.mkdir(parents=True)
    src = native_results / "Llama-3-Instruct-8B-SimPO" / "arena_hard"
    (d / "generations.jsonl").write_text((src / "generations.jsonl").read_text())
    lines = (src / "annotations.jsonl").read_text().splitlines()
    stale = json.loads(lines[0]) | {"answer_sha256": "0" * 16}
    (d / "annotations.jsonl").write_text("\n".join([json.dumps(stale), *lines[2:]]) + "\n")
    assert len(arena.load_arena_native(d, baseline_answers).games) == 58


def test_style_coefficients_prefer_the_stored_fit(official, tmp_path: Path) -> None:
    run = official[KTO]
    fitted = arena.style_coefficients(run, num_rounds=20)
    assert fitted["computed"] == "here" and fitted["controls"] == ["length", "markdown"]
    assert len(fitted["feature_coefs_median"]) == 4
    run.scores = {"details": {"style_control": {"score": 1.0, "controls": ["length"], "feature_coefs_median": [0.5]}}}
    try:
        assert arena.style_coefficients(run)["computed"] == "scores.json"
        assert arena.arena_summary([run]).iloc[0]["style_length_coef"] == 0.5
    finally:
        run.scores = {}


def test_missing_baseline_answers_and_files(official_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="no baseline answer"):
        arena.official_arena_runs(official_dir, {"x": "y"})
    with pytest.raises(HarnessError, match="no Arena-Hard judgment files"):
        arena.official_arena_runs(tmp_path, {})
