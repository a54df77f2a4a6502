from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.analysis import across_models as am
from harness.analysis import colors, plots, plots_runs
from harness.benchmarks.alpaca_eval import analysis as wr
from harness.benchmarks.arena_hard import analysis as arena
from harness.registry.models import METHODS


@pytest.fixture(scope="module")
def across(lb, native_results: Path):
    points = am.model_points(lb[0], native_results, lb[1])
    backdrop = am.leaderboard_points(lb[0], lb[1])
    arrows = am.method_arrows(points)
    corr = am.length_correlations(backdrop, points, n_boot=200)
    return points, backdrop, arrows, plots.plot_across_models(points, backdrop, arrows, corr)


def _count(series: dict[str, int], role: str) -> int:
    return sum(n for gid, n in series.items() if f"-{role}-" in gid or gid.endswith(f"-{role}"))


def test_one_colour_per_method_and_simpo_stands_out() -> None:
    assert set(colors.METHOD_COLORS) == {*METHODS, colors.OTHER}
    assert len(set(colors.METHOD_COLORS.values())) == len(colors.METHOD_COLORS)
    simpo, dpo = colors.point_style("SimPO", "leaderboard"), colors.point_style("DPO", "leaderboard")
    assert simpo["s"] > dpo["s"] and simpo["edgecolors"] == "black" and simpo["color"] != dpo["color"]
    assert colors.method_color("unknown") == colors.METHOD_COLORS[colors.OTHER]
    assert colors.point_style(None, "reproduced")["marker"] == "*"


def test_across_model_figure_content(across) -> None:
    points, backdrop, arrows, fig = across
    desc = plots.describe_figure(fig)
    assert len(desc["axes"]) == 2
    expected = {am.placed(points)["model"].map(str).tolist()[i] for i in range(len(am.placed(points)))}
    for ax, metric in zip(desc["axes"], ("WR", "LC"), strict=True):
        assert ax["xlabel"] == plots.LENGTH_LABEL and "win rate" in ax["ylabel"]
        assert _count(ax["series"], "backdrop") == 223
        assert _count(ax["series"], "model") == 9  # 7 registry models + 2 runs
        assert f"Spearman ρ(length, {metric})" in ax["title"]
        assert {lbl.split(" (")[0] for lbl in ax["labels"]} == expected
        assert "Llama-3-Instruct-8B-SimPO (reproduced)" in ax["labels"]
        assert "Meta-Llama-3-8B-Instruct (imported)" in ax["labels"]
        assert len(ax["arrows"]) == len(arrows) == 4
    assert plots.label_overlaps(fig) == []


def test_simpo_points_are_drawn_in_the_simpo_colour(across) -> None:
    fig = across[3]
    simpo = [c for c in fig.axes[0].collections if str(c.get_gid()).endswith("-SimPO")]
    assert simpo and all(tuple(c.get_facecolor()[0][:3]) == pytest.approx(
        tuple(int(colors.METHOD_COLORS["SimPO"][i:i + 2], 16) / 255 for i in (1, 3, 5))) for c in simpo)


def test_deltas_and_lc_vs_wr(across) -> None:
    points, backdrop, arrows, _ = across
    deltas = plots.describe_figure(plots.plot_length_deltas(arrows))
    assert all(len(ax["arrows"]) == 4 for ax in deltas["axes"])
    assert "Llama3-Instruct: SimPO (run)" in deltas["axes"][0]["labels"]
    fig = plots.plot_lc_vs_wr(points, backdrop)
    ax = plots.describe_figure(fig)["axes"][0]
    assert _count(ax["series"], "backdrop") == 223
    assert _count(ax["series"], "model") == len(points.dropna(subset=["ae2_wr", "ae2_lc"]))
    assert plots.label_overlaps(fig) == []


def test_within_run_figures(official_ae_runs, native_results: Path, ae_data_dir: Path, official_dir: Path,
                            baseline_answers) -> None:
    runs = official_ae_runs + wr.results_alpaca_runs(native_results, data_dir=ae_data_dir)
    desc = plots.describe_figure(plots_runs.plot_alpaca_within_run(runs))
    top = desc["axes"][: len(runs)]  # the first row, one panel per run (axes are row-major)
    assert [ax["title"].split(" (")[0] for ax in top] == [r.name for r in runs]
    for ax, run in zip(top, runs, strict=True):
        assert ax["series"][f"aewithin-{plots.slug(run.name)}-bins"] == len(wr.binned_win_rate(run.rows))
        assert (f"aewithin-{plots.slug(run.name)}-curve" in ax["series"]) == (run.glm is not None)
        assert ax["xlabel"].startswith("model − reference length")
    assert sum(1 for ax in top if any(g.endswith("-curve") for g in ax["series"])) == 2  # claude-2, alpaca-7b
    ah_runs = arena.official_arena_runs(official_dir, baseline_answers) + arena.results_arena_runs(native_results,
                                                                                                  baseline_answers)
    ah = plots.describe_figure(plots_runs.plot_arena_within_run(ah_runs))
    assert len(ah["axes"]) == 2 * len(ah_runs) == 6
    assert "Llama-3-Instruct-8B-SimPO (reproduced)" in ah["axes"][2]["title"]
    summary = plots_runs.plot_exploitation_summary(wr.exploitation_summary(runs), arena.arena_summary(ah_runs))
    sd = plots.describe_figure(summary)
    assert len(sd["axes"]) == 6 and _count(sd["axes"][0]["series"], "bar") == len(runs)
    assert plots.describe_figure(plots_runs.plot_alpaca_within_run([]))["axes"][0]["series"] == {}


def test_svg_is_standalone_and_keeps_gids(across, tmp_path: Path) -> None:
    svg = plots.figure_to_svg(across[3])
    assert svg.startswith("<svg") and "<?xml" not in svg and "<!DOCTYPE" not in svg
    assert 'id="across-wr-backdrop"' in svg and "xlink:href=\"http" not in svg and "<text" not in svg
    group = re.search(r'<g id="across-wr-backdrop">(.*?)</g>\s*</g>', svg, re.S)
    assert group and group.group(1).count("<use ") == 223
    other = plots.figure_to_svg(across[3])
    ids = re.findall(r' id="([^"]+)"', svg)
    shared = set(ids) & set(re.findall(r' id="([^"]+)"', other))
    assert shared and all(i.startswith("across-") for i in shared)  # only our gids: two inlined copies never clash
    refs = re.findall(r'(?:href="#|url\(#)([^")]+)', svg)
    assert refs and set(refs) <= set(ids)  # every reference resolves inside the same SVG
    written = plots.save_figures({"across": across[3]}, tmp_path, formats=("svg", "png"))
    assert sorted(Path(p).name for p in written["across"]) == ["across.png", "across.svg"]
    assert json.loads((tmp_path / "figures.json").read_text())["across"]["axes"][0]["series"]["across-wr-backdrop"] == 223


def test_importing_the_analysis_does_not_import_matplotlib() -> None:
    code = ("import sys, harness.analysis.plots, harness.analysis.plots_runs, harness.benchmarks.alpaca_eval.analysis, "
            "harness.benchmarks.arena_hard.analysis, harness.analysis.across_models, harness.analysis.inputs; "
            "assert 'matplotlib' not in sys.modules and 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
