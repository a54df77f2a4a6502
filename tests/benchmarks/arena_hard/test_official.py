"""arena-hard-auto v0.1's files through `import` and `score` (per model and `--joint`), the judge
prompt checks, and `export` -> `import` round trips."""

from __future__ import annotations

import gzip
import json

import pytest

from harness.stats import Battles, arena_scores
from tests.helpers.imports import OFFICIAL, cli, manifest, score, stored

LLAMA = "Llama-3-Base-8B-TR_KTO-Alpha_0.6-UltraFeedback"
PYTHIA = "Pythia-12B-DPO-UltraFeedback"
BATTLES = "arena_hard_battles.official_gpt-4-0613_gpt-3.5-turbo-0125.jsonl.gz"


@pytest.fixture(scope="module")
def imported(shared_dir, tmp_path_factory):
    results = tmp_path_factory.mktemp("ah") / "results"
    assert cli("import", "--format", "arena_hard", shared_dir / OFFICIAL / "arena_hard", "--results-dir", results,
               "--data-dir", shared_dir / "data") == 0
    return results


@pytest.mark.parametrize(("model", "ah", "ci", "no_verdict"), [(LLAMA, 17.84, [15.10, 21.54], 19),
                                                               (PYTHIA, 0.86, [0.00, 3.45], 0)])
def test_judgment_files_score_as_show_result(imported, model, ah, ci, no_verdict):
    """show_result.py v0.1 on the file (seed 42, 100 rounds, per model, the file's battle order):
    the official_files README's numbers; partial files, so incomplete."""
    rc, s = score(imported, model, "arena_hard", "--allow-incomplete")
    assert rc == 0 and s["metrics"]["ah"] == ah and s["ci"]["ah"] == ci
    assert s["details"]["n_games_without_verdict"] == no_verdict
    assert s["status"] == "incomplete" and s["incomplete"]["n_expected"] == 1000
    assert s["details"]["judge_model"] == "gpt-4-1106-preview" and "--joint" in s["details"]["ci_note"]
    assert score(imported, model, "arena_hard")[0] == 1


def test_every_judge_prompt_is_checked_against_ours(imported):
    """With the questions and gpt-4-0314 answers (--data-dir), each stored user_prompt equals the
    prompt protocol.py builds for the saved answer."""
    checks = manifest(imported, LLAMA, "arena_hard")["imported_from"]["prompt_checks"]
    assert checks["match"] == 386 and checks["differs"] == 0 and checks["unchecked"] == 0
    gens, rows = stored(imported, LLAMA, "arena_hard")
    from harness.benchmarks.arena_hard.benchmark import answer_sha

    by_id = {g["item_id"]: g for g in gens}
    assert all(r["answer_sha256"] == answer_sha(by_id[r["item_id"]]["output"]) for r in rows)
    assert len(gens) == 500 and all(isinstance(g["item_index"], int) for g in gens)


def test_leaderboard_models_from_the_battles_file(imported):
    """gpt-4-0613 and gpt-3.5-turbo-0125: the published point scores 37.9 / 23.3 and average tokens
    354 / 329 (the published CIs come from the whole leaderboard's joint bootstrap, see --joint)."""
    for model, ah, tokens in (("gpt-4-0613", 37.9, 354), ("gpt-3.5-turbo-0125", 23.3, 329)):
        rc, s = score(imported, model, "arena_hard")
        assert rc == 0 and s["status"] == "complete"
        assert round(s["metrics"]["ah"], 1) == ah and s["details"]["avg_tokens_official"] == tokens


def test_joint_bootstrap_equals_show_result_on_its_battles_file(shared_dir, tmp_path):
    """A results directory holding exactly the battles file's two models, scored --joint, gives what
    show_result.py's procedure gives on that file (all battles resampled together, file order)."""
    folder = shared_dir / OFFICIAL / "arena_hard"
    results = tmp_path / "results"
    assert cli("import", "--format", "arena_hard", folder / BATTLES, folder / "model_answer/gpt-4-0613.jsonl.gz",
               folder / "model_answer/gpt-3.5-turbo-0125.jsonl.gz", "--results-dir", results) == 0
    assert cli("score", "--benchmark", "arena_hard", "--joint", "--results-dir", results) == 0
    with gzip.open(folder / BATTLES, "rt") as fh:
        rows = [json.loads(line) for line in fh]
    y = [{"model_a": 1.0, "model_b": 0.0, "tie": 0.5}[r["winner"]] for r in rows]
    expected = arena_scores(Battles.from_rows([r["model_a"] for r in rows], [r["model_b"] for r in rows], y),
                            "gpt-4-0314")
    for model in ("gpt-4-0613", "gpt-3.5-turbo-0125"):
        s = json.loads((results / model / "arena_hard/scores.json").read_text())
        off = expected[model].official()
        assert s["metrics"]["ah"] == off["score"] and s["ci"]["ah"] == [off["lower"], off["upper"]]
        assert s["details"]["joint_models"] == ["gpt-4-0613", "gpt-3.5-turbo-0125"]
        assert "2 models" in s["details"]["ci_note"] and s["manifest"]["joint"] is True
    joint_ci = s["ci"]["ah"]
    per_model = score(results, "gpt-3.5-turbo-0125", "arena_hard")[1]  # the default: this model's battles only
    assert per_model["metrics"]["ah"] == s["metrics"]["ah"] and per_model["ci"]["ah"] != joint_ci


def test_joint_over_a_whole_folder_keeps_point_scores(imported):
    assert cli("score", "--benchmark", "arena_hard", "--joint", "--results-dir", imported, "--allow-incomplete") == 0
    s = json.loads((imported / LLAMA / "arena_hard/scores.json").read_text())
    assert s["metrics"]["ah"] == 17.84 and len(s["details"]["joint_models"]) == 4
    assert s["ci"]["ah"] != [15.10, 21.54]  # the CI depends on the other models in the bootstrap


@pytest.mark.parametrize("model", [LLAMA, "gpt-4-0613"])
def test_export_then_import_round_trips(imported, shared_dir, tmp_path, model):
    """Judgment files (with their order, hence the CI) and battle-derived games come back identical."""
    out = tmp_path / "export"
    assert cli("export", "--format", "arena_hard", "--model", model, "--results-dir", imported, "--out", out) == 0
    assert (out / "model_answer" / f"{model}.jsonl").is_file()
    assert (out / "model_judgment" / "gpt-4-1106-preview" / f"{model}.jsonl").is_file()
    again = tmp_path / "again"
    assert cli("import", "--format", "arena_hard", out, "--results-dir", again, "--data-dir", shared_dir / "data") == 0
    assert stored(again, model, "arena_hard") == stored(imported, model, "arena_hard")
    assert score(again, model, "arena_hard", "--allow-incomplete")[1]["ci"] == \
        score(imported, model, "arena_hard", "--allow-incomplete")[1]["ci"]
