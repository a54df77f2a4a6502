"""The per-run-directory lock: a second process stops at once naming the holder, or waits with --wait."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.store.lock import run_lock

REPO = Path(__file__).resolve().parents[2]
HOLD = "import sys, time; from harness.store.lock import run_lock\nwith run_lock(sys.argv[1]):\n" \
       "    print('locked', flush=True); time.sleep(float(sys.argv[2]))\n"


def _holder(run_path: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(run_path), str(seconds)], stdout=subprocess.PIPE,
                            text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_process_stops_at_once_naming_the_holder(tmp_path):
    run_path = tmp_path / "m" / "alpaca_eval"
    proc = _holder(run_path, 30)
    try:
        start = time.monotonic()
        with pytest.raises(HarnessError, match=rf"in use by process {proc.pid} on .*pass --wait"), run_lock(run_path):
            pass
        assert time.monotonic() - start < 2
    finally:
        proc.kill()
        proc.wait()
    with run_lock(run_path):  # a killed holder leaves no stale lock
        pass


def test_wait_queues_behind_the_holder(tmp_path):
    run_path = tmp_path / "m" / "mt_bench"
    proc = _holder(run_path, 1.0)
    start = time.monotonic()
    with run_lock(run_path, wait=True):
        waited = time.monotonic() - start  # we only got it once the holder let go (1 s after "locked")
    assert waited >= 0.5
    proc.wait()


def test_the_lock_is_reentrant_within_a_process(tmp_path):
    with run_lock(tmp_path / "r"), run_lock(tmp_path / "r"):
        pass
    with run_lock(tmp_path / "r"):
        pass
