"""Execute the notebook so it never rots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "length_vs_winrate.ipynb"


def test_notebook_executes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    results = tmp_path / "results" / "my-checkpoint" / "alpaca_eval"
    results.mkdir(parents=True)
    (results / "scores.json").write_text(json.dumps({
        "benchmark": "alpaca_eval", "model": "my-checkpoint",
        "metrics": {"ae2_lc": 30.5, "ae2_wr": 28.25, "ae2_length": 1700.0}, "n": 805,
    }))
    monkeypatch.setenv("SIMPO_HARNESS_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = "".join(
        str(o.get("data", {}).get("text/plain", "")) for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )
    assert "my-checkpoint" in outputs
    assert "reproduced" in outputs
