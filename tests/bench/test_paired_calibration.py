"""bench/paired_calibration.py runs every kind on a toy size and prints one line per kind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_paired_calibration_prints_a_rate_per_kind():
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "paired_calibration.py"), "--sims", "4", "--rounds", "20",
         "--sizes", "12"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert [ln.split()[0] for ln in lines[1:]] == ["bootstrap_mean", "wilcoxon", "mcnemar", "bradley_terry"]
    for ln in lines[1:]:
        assert 0.0 <= float(ln.split()[3]) <= 1.0
