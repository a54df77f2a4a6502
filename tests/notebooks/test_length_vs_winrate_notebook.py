"""Execute the length-vs-win-rate notebook on ../shared plus a tiny native results dir, and check
what its figures show (points, axes, labels), not only that it ran."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "length_vs_winrate.ipynb"
FIGURES = ("across_models", "length_deltas", "lc_vs_wr", "alpaca_within_run", "arena_within_run", "exploitation_summary")


def _count(series: dict[str, int], role: str) -> int:
    return sum(n for gid, n in series.items() if f"-{role}-" in gid or gid.endswith(f"-{role}"))


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from tests.analysis.native_runs import build_results

    tmp = tmp_path_factory.mktemp("nb")
    build_results(tmp / "results", shared_dir)
    env = {
        "SIMPO_HARNESS_RESULTS": str(tmp / "results"), "SIMPO_HARNESS_FIGURES": str(tmp / "figures"),
        "SIMPO_HARNESS_DATA_DIR": str(shared_dir / "alpaca_eval_validation_data"),
        "SIMPO_HARNESS_ARENA_DATA_DIR": str(shared_dir / "data" / "arena_hard_v0.1"),
        "SIMPO_HARNESS_OFFICIAL_FILES": str(shared_dir / "official_files"),
        # the kernel imports this checkout's harness; a non-interactive backend must not hide the figures
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]), "MPLBACKEND": "Agg",
    }
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        nb = nbformat.read(NOTEBOOK, as_version=4)
        nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    figures = json.loads((tmp / "figures" / "figures.json").read_text(encoding="utf-8"))
    return nb, figures, tmp / "figures"


def test_every_figure_is_an_inline_image(executed) -> None:
    nb, _, _ = executed
    figure_cells = [c for c in nb.cells if c.cell_type == "code" and c.source.strip().splitlines()[-1].startswith("fig_")]
    assert len(figure_cells) == len(FIGURES)
    for cell in figure_cells:
        assert sum("image/png" in o.get("data", {}) for o in cell.outputs) == 1, cell.source


def test_saved_figures(executed) -> None:
    _, figures, out = executed
    assert sorted(figures) == sorted(FIGURES)
    for name in FIGURES:
        svg = (out / f"{name}.svg").read_text(encoding="utf-8")
        assert svg.startswith("<svg") and len(svg) > 10_000


def test_across_model_figure(executed, shared_dir: Path) -> None:
    _, figures, _ = executed
    csv = shared_dir / "alpaca_eval_validation_data" / "leaderboards" / "weighted_alpaca_eval_gpt4_turbo_leaderboard.main.csv"
    n_leaderboard = len(pd.read_csv(csv))
    placed_registry = {"gemma-2-9b-it", "gemma-2-9b-it-DPO", "gemma-2-9b-it-SimPO", "Llama-3-Instruct-8B-SimPO",
                       "Meta-Llama-3-8B-Instruct", "Mistral-7B-Instruct-v0.2", "mistral-orpo-beta"}
    runs = {"Llama-3-Instruct-8B-SimPO (reproduced)", "Meta-Llama-3-8B-Instruct (imported)"}
    fig = figures["across_models"]
    assert len(fig["axes"]) == 2
    for ax, metric in zip(fig["axes"], ("win rate", "LC win rate"), strict=True):
        assert ax["xlabel"] == "average output length (characters)" and metric in ax["ylabel"]
        assert _count(ax["series"], "backdrop") == n_leaderboard == 223
        assert _count(ax["series"], "model") == len(placed_registry) + len(runs)
        assert set(ax["labels"]) == placed_registry | runs
        assert len(ax["arrows"]) == 4 and sum(a.endswith("-run") for a in ax["arrows"]) == 1
        assert "Spearman ρ" in ax["title"]
    deltas = figures["length_deltas"]
    assert [len(ax["arrows"]) for ax in deltas["axes"]] == [4, 4]
    lcwr = figures["lc_vs_wr"]["axes"][0]
    assert _count(lcwr["series"], "backdrop") == 223 and _count(lcwr["series"], "model") == 52 + 2


def test_within_run_figures(executed) -> None:
    _, figures, _ = executed
    ae = figures["alpaca_within_run"]["axes"]
    names = ["claude-2 (official files)", "alpaca-7b (official files)", "Llama-3-Instruct-8B-SimPO (reproduced)",
             "Meta-Llama-3-8B-Instruct (imported)"]
    top, bottom = ae[: len(names)], ae[len(names):]
    assert [ax["title"].splitlines()[0] for ax in top] == names
    assert [_count(ax["series"], "bins") for ax in top] == [10, 10, 10, 10]
    assert [_count(ax["series"], "curve") for ax in top] == [200, 200, 0, 0]  # GLM weights: published runs only
    assert all(ax["xlabel"] == "output length (characters)" and _count(ax["series"], "hist") == 2 for ax in bottom)
    ah = figures["arena_within_run"]["axes"]
    assert len(ah) == 6
    assert ah[2]["title"].startswith("Llama-3-Instruct-8B-SimPO (reproduced)\n59 games")
    assert all("answer tokens" in ax["xlabel"] for ax in ah)
    summary = figures["exploitation_summary"]["axes"]
    assert len(summary) == 6 and _count(summary[0]["series"], "bar") == 4 and _count(summary[3]["series"], "bar") == 3
