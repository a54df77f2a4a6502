"""Per-stage wall times: nested stages are excluded from their parent; a run can dump them at exit."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from harness import timing

REPO = Path(__file__).resolve().parents[1]


def test_nested_stages_are_exclusive():
    timing.reset()
    with timing.stage("generate"):
        time.sleep(0.05)
        with timing.stage("load"):
            time.sleep(0.1)
    totals = timing.totals()
    assert 0.09 <= totals["load"] < 0.5
    assert 0.04 <= totals["generate"] < totals["load"]  # the load inside is not counted twice


def test_timed_decorator_accumulates_calls():
    timing.reset()

    @timing.timed("score")
    def work(x: int) -> int:
        time.sleep(0.01)
        return x + 1

    assert work(1) == 2 and work(2) == 3
    assert timing.totals()["score"] >= 0.02


def test_totals_are_written_at_exit_when_asked(tmp_path):
    out = tmp_path / "t.json"
    code = "from harness import timing\nwith timing.stage('judge'):\n    pass\n"
    env = {"SIMPO_HARNESS_TIMINGS": str(out), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=str(tmp_path.parent))
    assert set(json.loads(out.read_text())) == {"judge"}
