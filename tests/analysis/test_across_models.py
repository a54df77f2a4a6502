from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats as sps

from harness.analysis import across_models as am
from harness.registry.models import load_registry


def _expected_placed(csv: Path) -> set[str]:
    """Registry models with a printed length, or whose name / repo is a leaderboard row."""
    names = {n.lower() for n in pd.read_csv(csv, index_col=0).index}
    out = set()
    for cfg in load_registry():
        keys = {cfg.name.lower(), cfg.hf_repo.rsplit("/", 1)[-1].lower()}
        if (cfg.published and cfg.published.get("ae2_length") is not None) or keys & names:
            out.add(cfg.name)
    return out


def test_every_registry_model_with_a_length_is_placed_with_its_source(lb, leaderboard_csv: Path) -> None:
    points = am.registry_points(lb[0], lb[1])
    placed = am.placed(points)
    assert set(placed["model"]) == _expected_placed(leaderboard_csv)
    assert len(placed) == 7  # 3 from the Gemma table, 4 more from the leaderboard
    by = placed.set_index("model")
    assert by.loc["gemma-2-9b-it-SimPO", "source"] == "seed table"  # the seed prints 1833; it wins over the leaderboard
    assert by.loc["gemma-2-9b-it-SimPO", "ae2_length"] == 1833
    raw = pd.read_csv(leaderboard_csv, index_col=0)
    for name in ("Llama-3-Instruct-8B-SimPO", "Meta-Llama-3-8B-Instruct", "Mistral-7B-Instruct-v0.2", "mistral-orpo-beta"):
        assert by.loc[name, "source"] == "leaderboard"
        assert by.loc[name, "ae2_lc"] == pytest.approx(raw.loc[name, "length_controlled_winrate"])
        assert by.loc[name, "ae2_length"] == raw.loc[name, "avg_length"]
    # every registry model with published AE2 numbers is listed; those without a length are unplaced
    assert len(points) == sum(1 for c in load_registry() if c.published and c.published.ae2_lc is not None)
    assert len(am.unplaced(points)) == len(points) - 7


def test_backdrop_is_the_whole_leaderboard(lb) -> None:
    bd = am.leaderboard_points(lb[0], lb[1])
    assert len(bd) == 223 and bd["in_registry"].sum() == 6
    assert set(bd.loc[bd["in_registry"], "method"]) == {"SimPO", "SFT", "ORPO", "DPO"}


def test_runs_are_reproduced_or_imported(native_results: Path, tmp_path: Path) -> None:
    runs = am.run_points(native_results).set_index("model")
    assert runs.loc["Llama-3-Instruct-8B-SimPO", "source"] == "reproduced"
    assert runs.loc["Meta-Llama-3-8B-Instruct", "source"] == "imported"
    assert runs.loc["Llama-3-Instruct-8B-SimPO", "method"] == "SimPO"
    # a declared source wins; a model outside the registry keeps its name and has no method
    d = tmp_path / "my-ckpt" / "alpaca_eval"
    d.mkdir(parents=True)
    (d / "scores.json").write_text(json.dumps({"model": "my-ckpt", "source": "reproduced",
                                               "metrics": {"ae2_wr": 10.0, "ae2_length": 900.0}}))
    other = am.run_points(tmp_path).iloc[0]
    assert other["source"] == "reproduced" and other["method"] is None and math.isnan(other["ae2_lc"])
    assert len(am.placed(am.run_points(tmp_path), "ae2_wr")) == 1 and am.placed(am.run_points(tmp_path), "ae2_lc").empty


def test_arrows_join_a_starting_point_and_its_methods_within_one_kind(lb, native_results: Path) -> None:
    points = am.model_points(lb[0], native_results, lb[1])
    arrows = am.method_arrows(points)
    got = {(a["model"], a["base_model"], a["kind"]) for a in arrows.to_dict("records")}
    assert got == {("gemma-2-9b-it-DPO", "gemma-2-9b-it", "published"), ("gemma-2-9b-it-SimPO", "gemma-2-9b-it", "published"),
                   ("Llama-3-Instruct-8B-SimPO", "Meta-Llama-3-8B-Instruct", "published"),
                   ("Llama-3-Instruct-8B-SimPO", "Meta-Llama-3-8B-Instruct", "run")}
    g = arrows[arrows["model"] == "gemma-2-9b-it-SimPO"].iloc[0]
    assert (g["d_length"], g["d_wr"], g["d_lc"]) == pytest.approx((1833 - 1571, 65.9 - 38.1, 72.4 - 51.1))


def test_length_correlations_per_group(lb, native_results: Path, leaderboard_csv: Path) -> None:
    points = am.model_points(lb[0], native_results, lb[1])
    corr = am.length_correlations(am.leaderboard_points(lb[0], lb[1]), points, n_boot=300)
    raw = pd.read_csv(leaderboard_csv, index_col=0)
    row = corr[(corr["group"] == am.GROUP_LEADERBOARD) & (corr["metric"] == "LC")].iloc[0]
    assert row["rho"] == pytest.approx(sps.spearmanr(raw["avg_length"], raw["length_controlled_winrate"]).statistic)
    assert row["ci_low"] < row["rho"] < row["ci_high"] and row["n"] == 223
    runs = corr[corr["group"] == am.GROUP_RUNS]
    assert list(runs["n"]) == [2, 2] and runs["rho"].isna().all()  # two runs: no correlation to report
