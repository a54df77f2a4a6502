"""FastChat llm_judge folders through `import` and `score`: show_result's nine rows of the
official_files README, the model graded twice, the judged answers that are not the saved ones,
and `export` -> `import` round trips."""

from __future__ import annotations

import pytest

from tests.helpers.imports import OFFICIAL, cli, manifest, score, stored

ALVARO, WGM = "alvarobartt+FastChat__b25947e5", "wgm20+FastChat__fb2f2c17"
SHOW_RESULT = [  # folder, model, avg, turn 1, turn 2 (official_files/README.md)
    (ALVARO, "mistral-orpo", 5.858934, 6.675, 5.037736),
    (ALVARO, "mistral-orpo-capybara", 6.81875, 7.125, 6.5125),
    (ALVARO, "mistral-orpo-mix", 6.003125, 6.43125, 5.575),
    (ALVARO, "mistral-orpo-trl", 7.165625, 7.73125, 6.6),
    (WGM, "NeuralMarcoro14-7B", 7.571875, 7.85625, 7.2875),
    (WGM, "camillo_dataset_oast_top1_ft_ehartforddolphin_23122", 6.978125, 7.41875, 6.5375),
    (WGM, "dolphin-2.2.1-mistral-7b", 7.465625, 7.71875, 7.2125),
    (WGM, "mistral-7b_dolphin_orca_labonne_dpo", 7.489726, 7.630137, 7.349315),
    (WGM, "mistral-7b_dolphin_orca_wgm_dpo_bf16", 7.808176, 8.246835, 7.375),
]


@pytest.fixture(scope="module")
def imported(shared_dir, tmp_path_factory):
    results = tmp_path_factory.mktemp("mt") / "results"
    folder = shared_dir / OFFICIAL / "mt_bench"
    assert cli("import", "--format", "fastchat", folder / ALVARO, folder / WGM, "--results-dir", results) == 0
    return results


@pytest.mark.parametrize(("folder", "model", "avg", "turn_1", "turn_2"), SHOW_RESULT)
def test_imported_judgments_score_as_show_result(imported, folder, model, avg, turn_1, turn_2):
    rc, s = score(imported, model, "mt_bench")
    assert rc == 0 and s["status"] == "complete"
    assert s["metrics"]["mt_bench"] == pytest.approx(avg, abs=5e-7)
    assert s["details"]["turn_1"] == pytest.approx(turn_1, abs=5e-7)
    assert s["details"]["turn_2"] == pytest.approx(turn_2, abs=5e-7)
    assert s["details"]["judge_model"] == "gpt-4" and s["details"]["judge_endpoint"] == "https://api.openai.com/v1"
    assert (folder in s["manifest"]["generation"]["source_files"][0]) and s["manifest"]["generation"]["n_items"] == 80


def test_a_model_graded_twice_keeps_both_runs(imported):
    """mistral-orpo's first run graded answers that are not the saved ones (the answer file holds the
    second run's): those answers, read from user_prompt, are sample 1 and carry their verdicts; every
    row counts in the mean (as show_result) and the payload says so."""
    s = score(imported, "mistral-orpo", "mt_bench")[1]
    assert s["details"]["repeated_judgments"]["n_judgments"] == 320
    assert "show_result averages every row" in s["details"]["repeated_judgments"]["combined"]
    assert s["details"]["n_unparsed"] == 1
    gens, rows = stored(imported, "mistral-orpo", "mt_bench")
    assert {g["sample_index"] for g in gens} == {0, 1}
    assert sorted({(r["sample_index"], r["repeat"]) for r in rows}) == [(0, 1), (1, 0)]
    checks = manifest(imported, "mistral-orpo", "mt_bench")["imported_from"]["prompt_checks"]
    assert checks["match"] == 160 and checks["differs"] == 160
    first = checks["differences"][0]
    assert first["source"].endswith("gpt-4_single.jsonl.gz:line 161") and "sample 1" in first["what"]


def test_prompts_are_checked_against_fastchat_data(imported):
    """With FastChat's questions and gpt-4 references (packaged data), every prompt of the wgm20
    folder equals the one protocol.py builds for the saved answers."""
    checks = manifest(imported, "NeuralMarcoro14-7B", "mt_bench")["imported_from"]["prompt_checks"]
    assert (checks["match"], checks["differs"], checks["unchecked"]) == (160, 0, 0)


def test_answers_without_judgments_import_for_judging(imported):
    gens, rows = stored(imported, "MistralTrix-v1_dolphin", "mt_bench")
    assert len(gens) == 160 and rows == [] and gens[0]["model_id"] == "MistralTrix-v1"


@pytest.mark.parametrize("model", ["mistral-orpo", "mistral-7b_dolphin_orca_labonne_dpo"])
def test_export_then_import_round_trips(imported, tmp_path, model):
    out = tmp_path / "export"
    assert cli("export", "--format", "fastchat", "--model", model, "--results-dir", imported, "--out", out) == 0
    again = tmp_path / "again"
    assert cli("import", "--format", "fastchat", out, "--results-dir", again) == 0
    assert stored(again, model, "mt_bench") == stored(imported, model, "mt_bench")
    assert score(again, model, "mt_bench")[1]["metrics"] == score(imported, model, "mt_bench")[1]["metrics"]


def test_imported_runs_feed_the_table_and_the_report(imported, capsys):
    from harness.report.collect import collect_report

    for model in ("mistral-orpo", "NeuralMarcoro14-7B"):
        score(imported, model, "mt_bench")
    capsys.readouterr()
    assert cli("table", "--models", "mistral-orpo,NeuralMarcoro14-7B", "--results-dir", imported) == 0
    table = capsys.readouterr().out
    assert "MT-Bench (repro)" in table and "5.86" in table and "7.57" in table
    report = collect_report(imported, ["mistral-orpo", "NeuralMarcoro14-7B"], benchmarks=["mt_bench"])
    (section,) = report.sections
    first = section.items[0]
    assert first.item_id == "81" and first.turns[0].startswith("Compose an engaging travel blog post")
    assert {m: len(v) for m, v in first.verdicts.items()} == {"mistral-orpo": 4, "NeuralMarcoro14-7B": 2}
