"""bench/train.py runs every variant end to end on a toy size and reports the ratios (slow: 4 subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_train_reports_ratios(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "train.py"), "--hidden", "64", "--layers", "1", "--vocab", "300",
         "--seq-len", "32", "--pairs", "2", "--steps", "2", "--warmup", "1", "--rounds", "1", "--json", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text())
    assert set(data["results"]) == {"simpo", "dpo_ref_model", "dpo_precomputed", "trl_cpo_simpo"}
    for r in data["results"].values():
        assert r["step_seconds"] > 0 and r["steps_timed"] == 2
    assert all(v > 0 for v in data["ratios"].values())
    assert "simpo/dpo_ref_model time" in proc.stdout
