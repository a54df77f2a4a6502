"""Fault tolerance of `run`: a flaky judge, failed judgments retried later, and SIGKILL at random points.

Every scenario ends with the same records and the same scores as one uninterrupted run against a
fault-free judge (``tests.helpers.run_env.completed_baseline``), with no record lost or duplicated.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.cli import main
from harness.judges.local_server import Faults, LocalJudgeServer, hashed_preference_responder
from tests.helpers import run_env
from tests.helpers.run_env import N_ITEMS

FAULT_KINDS = ("429", "500", "timeout", "malformed")
# 7.5% each = 30% of all requests. With seed 284 the fault sequence of the first 10 draws is
# 429, malformed, 500, ok, ok, ok, ok, timeout, ok, ok: every kind, and 6 good answers in 10.
FAULTS = Faults(rate_429=0.075, rate_500=0.075, rate_timeout=0.075, rate_malformed=0.075, timeout_sleep_s=3.0,
                seed=284)


def _assert_same_as_baseline(results: Path, baseline: run_env.Baseline) -> None:
    gens = run_env.generations(results)
    ann = run_env.annotations(results)
    # one record per item: nothing lost, nothing written twice
    assert sorted(g["item_id"] for g in gens) == [f"{i:03d}" for i in range(N_ITEMS)]
    assert len({g["key"] for g in gens}) == N_ITEMS
    assert sorted(a["item_id"] for a in ann) == [f"{i:03d}" for i in range(N_ITEMS)]
    assert all(a["preference"] is not None for a in ann)
    assert run_env.outputs_by_item(results) == run_env.outputs_by_item(baseline.results_dir)
    assert run_env.preferences_by_item(results) == run_env.preferences_by_item(baseline.results_dir)
    got, want = run_env.scores(results), run_env.scores(baseline.results_dir)
    assert got["metrics"] == want["metrics"]
    assert got["details"]["n_failed"] == 0 and got["n"] == want["n"] == N_ITEMS


def test_flaky_judge_gives_the_fault_free_result(baseline, tmp_path):
    results = tmp_path / "results"
    with LocalJudgeServer(hashed_preference_responder, faults=FAULTS) as srv:
        argv = baseline.env.argv(results, srv.base_url, "--judge-timeout", "1.0", "--judge-concurrency", "3")
        assert main(argv) == 0
        outcomes = dict(srv.stats.by_outcome)
    assert all(outcomes.get(kind, 0) >= 1 for kind in FAULT_KINDS), outcomes  # every fault kind was served
    # (an "ok" answer can only exceed N_ITEMS if a slow machine made the client time out on it)
    assert outcomes["ok"] >= baseline.judge_requests == N_ITEMS
    faults = sum(outcomes.get(kind, 0) for kind in FAULT_KINDS)
    assert faults / sum(outcomes.values()) >= 0.25
    _assert_same_as_baseline(results, baseline)
    usage = run_env.scores(results)["manifest"]["judge"]
    assert usage["calls"] == N_ITEMS and usage["failures"] == 0
    assert usage["retries"] == sum(outcomes.values()) - N_ITEMS  # every failed attempt retried, none lost


def test_failed_judgments_are_retried_by_the_next_run_only(baseline, tmp_path, capsys):
    results = tmp_path / "results"
    always_failing = Faults(rate_500=1.0, seed=1)
    with LocalJudgeServer(hashed_preference_responder, faults=always_failing) as bad:
        assert main(baseline.env.argv(results, bad.base_url, "--judge-max-retries", "1")) == 1  # incomplete
        assert bad.request_count == 2 * N_ITEMS  # one try + one retry each, then NaN
    err = capsys.readouterr().err
    assert f"alpaca_eval: {N_ITEMS} judge calls failed" in err and "HTTP 500" in err and "incomplete" in err
    first = run_env.annotations(results)
    assert len(first) == N_ITEMS and all(a["preference"] is None for a in first)
    assert run_env.scores(results)["details"]["n_failed"] == N_ITEMS

    with LocalJudgeServer(hashed_preference_responder) as good:
        assert main(baseline.env.argv(results, good.base_url)) == 0
        assert good.request_count == N_ITEMS  # only the failed ones, once each
        assert main(baseline.env.argv(results, good.base_url)) == 0
        assert good.request_count == N_ITEMS  # complete now: nothing more
    rows = run_env.annotations(results)
    assert len(rows) == 2 * N_ITEMS  # append-only: the NaN rows stay, superseded by the retried ones
    assert run_env.scores(results)["metrics"] == run_env.scores(baseline.results_dir)["metrics"]


# --------------------------------------------------------------------------- SIGKILL
def _line_count(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _start(argv: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "harness", *argv], stdout=subprocess.DEVNULL,
                            stderr=log.open("ab"), env=run_env.subprocess_env(), cwd=run_env.REPO_ROOT)


def _kill_when(proc: subprocess.Popen, condition, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"the run ended (rc={proc.returncode}) before the kill point")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("kill point not reached in time")
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


def _sigkill_scenario(baseline: run_env.Baseline, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    gen_kill_at = rng.randint(1, 2)  # generation records on disk when killed
    judge_kill_at = rng.randint(1, N_ITEMS - 1)  # judge requests received when killed
    results = tmp_path / "results"
    gens_file = run_env.run_dir(results) / "generations.jsonl"
    log = tmp_path / "stderr.log"
    # latency keeps each judge call in flight long enough to be killed during it
    with LocalJudgeServer(hashed_preference_responder, latency_s=0.25) as srv:
        argv = baseline.env.argv(results, srv.base_url, "--judge-concurrency", "1")

        # 1) killed during generation, then a torn last line as if killed mid-write
        _kill_when(_start(argv, log), lambda: _line_count(gens_file) >= gen_kill_at)
        survived = gens_file.read_bytes()
        survived = survived[: survived.rfind(b"\n") + 1]  # complete lines only
        assert gen_kill_at <= survived.count(b"\n") < N_ITEMS, "the kill missed the generation phase"
        assert srv.request_count == 0
        with gens_file.open("ab") as fh:
            fh.write(b'{"key": "torn", "item_id": "00')

        # 2) killed during judging
        _kill_when(_start(argv, log), lambda: srv.request_count >= judge_kill_at)
        assert gens_file.read_bytes().startswith(survived)  # append-only: earlier records untouched
        assert _line_count(gens_file) == N_ITEMS
        assert not (run_env.run_dir(results) / "scores.json").exists()

        # 3) resumed to completion
        proc = subprocess.run([sys.executable, "-m", "harness", *argv], capture_output=True, text=True,
                              timeout=180, env=run_env.subprocess_env(), cwd=run_env.REPO_ROOT)
        assert proc.returncode == 0, proc.stderr + log.read_text()
        # judged calls that completed before the kill came from the cache; at most the one in
        # flight at the kill was asked again
        assert baseline.judge_requests <= srv.request_count <= baseline.judge_requests + 1
    assert b'"torn"' not in gens_file.read_bytes()
    _assert_same_as_baseline(results, baseline)


def test_sigkill_during_generation_and_judging_then_resume(baseline, tmp_path):
    _sigkill_scenario(baseline, tmp_path, seed=8)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_more_kill_points(baseline, tmp_path, seed):
    _sigkill_scenario(baseline, tmp_path, seed=seed)


# --------------------------------------------------------------------------- two processes
def test_two_runs_on_one_results_dir_never_duplicate(baseline, tmp_path):
    """A second `run` on a directory in use stops at once naming the holder; with --wait it queues
    behind it and finds everything done: no row is duplicated and no judge call is paid twice."""
    results = tmp_path / "results"
    log = tmp_path / "first.log"
    with LocalJudgeServer(hashed_preference_responder, latency_s=0.3) as srv:
        argv = baseline.env.argv(results, srv.base_url, "--judge-concurrency", "1")
        first = _start(argv, log)
        deadline = time.monotonic() + 120
        while srv.request_count < 1 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        second = run_env.run_cli(argv)
        assert second.returncode == 2, second.stderr
        assert f"in use by process {first.pid}" in second.stderr and "--wait" in second.stderr
        assert second.stderr.count("error:") == 1 and "Traceback" not in second.stderr
        waited = run_env.run_cli([*argv, "--wait"], timeout=240)
        assert waited.returncode == 0, waited.stderr
        assert first.wait(timeout=120) == 0, log.read_text()
        assert srv.request_count == baseline.judge_requests  # each judge call paid once
    gens, anns = run_env.generations(results), run_env.annotations(results)
    assert len(gens) == len({g["key"] for g in gens}) == N_ITEMS
    assert len(anns) == N_ITEMS
    _assert_same_as_baseline(results, baseline)
