"""Paired comparisons on real published files (../shared/official_files)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from harness.benchmarks.alpaca_eval.paired import preference_values
from harness.benchmarks.arena_hard.paired import question_battles
from harness.benchmarks.mt_bench.paired import turn_grades
from harness.compare import compare_items, holm
from harness.store.jsonl import read_records as read_json_records


def _alpaca(shared: Path, model: str) -> list[dict]:
    path = shared / f"official_files/alpaca_eval/results/{model}/weighted_alpaca_eval_gpt4_turbo/annotations.json.gz"
    return read_json_records(path)


def test_alpaca_eval_claude_2_vs_alpaca_7b(shared_dir):
    """Issue 16: the WR difference of the published annotations is 14.597 points and significant."""
    a = preference_values(_alpaca(shared_dir, "claude-2"))
    b = preference_values(_alpaca(shared_dir, "alpaca-7b"))
    res = compare_items("bootstrap_mean", a, b, rounds=2000, seed=42, model_a="claude-2", model_b="alpaca-7b",
                        benchmark="alpaca_eval", metric="ae2_wr")
    assert res.a_value == pytest.approx(17.188240356708075, abs=1e-9)  # published WR
    assert res.b_value == pytest.approx(2.591450540223603, abs=1e-9)
    assert res.estimate == pytest.approx(17.188240356708075 - 2.591450540223603, abs=1e-9)
    assert round(res.estimate, 3) == 14.597
    assert (res.n_paired, res.n_only_a, res.n_only_b) == (805, 0, 0)
    assert 10 < res.ci_low < res.estimate < res.ci_high < 20
    assert res.p_value == pytest.approx(1 / 2001)  # no centred replicate as extreme in 2000 rounds
    assert (res.rounds, res.seed) == (2000, 42)


def test_alpaca_eval_incomplete_file_counts_the_missing_instructions(shared_dir):
    a = preference_values(_alpaca(shared_dir, "alpaca-7b"))
    b = preference_values(_alpaca(shared_dir, "phi-2"))  # 803 rows
    res = compare_items("bootstrap_mean", a, b, rounds=200, seed=0)
    assert (res.n_paired, res.n_only_a, res.n_only_b) == (803, 2, 0)
    assert len(res.only_a_examples) == 2


def _arena_games(path: Path) -> list[dict]:
    games = []
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        for i, game in enumerate(rec["games"]):
            games.append({"item_id": rec["question_id"], "game": i, "model": rec["model"], "score": game.get("score")})
    return games


def test_arena_hard_official_judgments(shared_dir):
    folder = shared_dir / "official_files/arena_hard/model_judgment/gpt-4-1106-preview"
    kto = question_battles(_arena_games(folder / "Llama-3-Base-8B-TR_KTO-Alpha_0.6-UltraFeedback.jsonl"))
    pythia = question_battles(_arena_games(folder / "Pythia-12B-DPO-UltraFeedback.jsonl"))
    same = compare_items("bradley_terry", kto, kto, rounds=100, seed=42)
    assert round(same.a_value, 2) == 17.84  # the file's score by show_result.py's procedure
    assert same.estimate == pytest.approx(0.0, abs=1e-9) and same.p_value == 1.0
    res = compare_items("bradley_terry", kto, pythia, rounds=500, seed=42)
    assert (res.n_paired, res.n_only_a, res.n_only_b) == (12, 181, 0)
    assert res.details["baseline"] == "gpt-4-0314"
    assert res.a_value > res.b_value and res.estimate == pytest.approx(res.a_value - res.b_value)


def test_mt_bench_official_judgments(shared_dir):
    path = shared_dir / "official_files/mt_bench/wgm20+FastChat__fb2f2c17/model_judgment/gpt-4_single.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    labonne = turn_grades(r for r in rows if r["model"] == "mistral-7b_dolphin_orca_labonne_dpo")
    bf16 = turn_grades(r for r in rows if r["model"] == "mistral-7b_dolphin_orca_wgm_dpo_bf16")
    turn1 = [v for (_, t), v in labonne.items() if t == 1]
    assert sum(turn1) / len(turn1) == pytest.approx(7.630137, abs=1e-6)  # FastChat show_result, turn 1
    res = compare_items("wilcoxon", labonne, bf16, rounds=500, seed=1)
    assert (res.n_paired, res.n_only_a, res.n_only_b) == (145, 1, 14)
    assert res.details["p_method"] == "asymptotic"
    both = holm([res, compare_items("bootstrap_mean", labonne, bf16, rounds=500, seed=1)])
    assert all(r.p_holm >= r.p_value for r in both)
