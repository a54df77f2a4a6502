"""`simpo-harness study` end to end: 3 tiny checkpoints x (alpaca_eval, toy), sequentially and on a local
Ray cluster (one per module), with a judge server on 127.0.0.1.

Ray and sequential mode give identical generations, judgments, scores and tables; a Ray worker
killed mid-generation (SIGKILL, see tests/study/plugins.py) is retried and resumes from the store
with nothing duplicated; a rerun in either mode does no new work.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from harness.cli import main
from tests.study.conftest import assert_no_duplicates, run_dirs, snapshot

UNITS = 3 * (4 + 9)  # 3 models x (4 AlpacaEval items + 6 toy items, 3 of them with two turns)
JUDGE_CALLS = 3 * (4 + 6)


def _study(study_env, results, *extra: str) -> int:
    return main(["study", str(study_env.study_file()), "--results-dir", str(results), "--no-progress", *extra])


@pytest.fixture(scope="module")
def sequential(study_env, tmp_path_factory):
    """The reference: the study run sequentially in this process."""
    results = tmp_path_factory.mktemp("sequential") / "results"
    assert _study(study_env, results) == 0
    return results


def test_ray_matches_sequential_and_reruns_do_nothing(study_env, ray_cluster, sequential, tmp_path, capsys):
    reference = snapshot(sequential)
    assert len(reference) == 6 and all(r["status"] == "complete" for r in reference.values())
    results = tmp_path / "ray"
    before = study_env.judge.request_count
    assert _study(study_env, results, "--ray") == 0
    assert study_env.judge.request_count - before == JUDGE_CALLS  # every judge call made once, by the driver
    assert snapshot(results) == reference
    assert_no_duplicates(results)
    table = (results / "studies" / "tiny-study" / "table.md").read_text()
    assert table == (sequential / "studies" / "tiny-study" / "table.md").read_text()
    assert "AE2 WR (repro)" in table and "Toy (repro)" in table and "tiny2" in table
    manifest = json.loads((results / "studies" / "tiny-study" / "study_manifest.json").read_text())
    assert manifest["mode"]["runner"] == "ray" and "ray" in manifest["packages"]
    assert all(j["state"] == "done" and j["generation"]["new"] == j["generation"]["total"] for j in manifest["jobs"])
    assert {j["generation"]["pid"] for j in manifest["jobs"]}.isdisjoint({os.getpid()})  # decoded in Ray workers
    assert len(manifest["study_file_sha256"]) == 64 and manifest["study"]["name"] == "tiny-study"

    sizes = {p: p.stat().st_size for run in run_dirs(results) for p in (run / "generations.jsonl", run / "annotations.jsonl")}
    capsys.readouterr()
    for extra in (["--ray"], []):  # a rerun, on Ray or here, generates nothing and calls no judge
        before = study_env.judge.request_count
        assert _study(study_env, results, *extra) == 0
        assert study_env.judge.request_count == before
        assert {p: p.stat().st_size for p in sizes} == sizes
        out = capsys.readouterr().out
        assert f"0 of {UNITS} generation units to do, 0 judge calls" in out
    rerun = json.loads((results / "studies" / "tiny-study" / "study_manifest.json").read_text())
    assert all(j["generation"]["new"] == 0 for j in rerun["jobs"])  # sequential rerun: nothing decoded


def test_killed_worker_is_retried_and_resumes_from_the_store(study_env, ray_cluster, sequential, tmp_path):
    study_env.kill_marker.write_text("armed")
    results = tmp_path / "killed"
    assert _study(study_env, results, "--ray") == 0
    fired = study_env.kill_marker.with_name(study_env.kill_marker.name + ".fired")
    assert fired.is_file() and not study_env.kill_marker.exists()  # one worker did die mid-job
    fired.unlink()
    assert snapshot(results) == snapshot(sequential)
    assert_no_duplicates(results)
    jobs = json.loads((results / "studies" / "tiny-study" / "study_manifest.json").read_text())["jobs"]
    resumed = [j for j in jobs if j["generation"]["new"] < j["generation"]["total"]]
    assert len(resumed) == 1  # the retried job decoded only what its killed attempt had not stored


def test_imported_run_is_judged_and_scored_only(study_env, sequential, tmp_path, capsys):
    results = tmp_path / "imported"
    shutil.copytree(sequential / "tiny1", results / "tiny1")
    for name in ("annotations.jsonl", "scores.json", "judge_cache.sqlite"):
        (results / "tiny1" / "alpaca_eval" / name).unlink()
    shutil.rmtree(results / "tiny1" / "toy")  # no toy results: that job is skipped with a note
    study = study_env.study_file("imported", models=[{"imported": "tiny1"}])
    before = study_env.judge.request_count
    assert main(["study", str(study), "--results-dir", str(results), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "imported run has no results on toy; skipped" in out
    assert study_env.judge.request_count - before == 4
    assert snapshot(results)["tiny1/alpaca_eval"] == snapshot(sequential)["tiny1/alpaca_eval"]


def test_dry_run_prints_the_plan_and_writes_nothing(study_env, tmp_path, capsys):
    results = tmp_path / "dry"
    assert _study(study_env, results, "--dry-run", "--ray") == 0
    out = capsys.readouterr().out
    assert f"6 jobs, {UNITS} of {UNITS} generation units to do, {JUDGE_CALLS} judge calls" in out
    assert out.count("tiny0 ") == 2 and "toy" in out and "judge cost (est.)" in out
    assert not results.exists()


def test_models_and_benchmarks_without_a_file(study_env, sequential, capsys):
    models = ",".join(str(m) for m in study_env.models[:2])
    argv = ["study", "--models", models, "--benchmarks", "alpaca_eval", "--template", "llama3", "--backend",
            "transformers", "--max-new-tokens", "8", "--batch-size", "2", "--data-dir", str(study_env.data_dir),
            "--judge-base-url", study_env.judge.base_url, "--results-dir", str(sequential), "--no-progress"]
    before = study_env.judge.request_count
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "2 jobs, 0 of 8 generation units to do, 0 judge calls" in out and study_env.judge.request_count == before
    assert list((sequential / "studies").glob("adhoc-*/table.csv"))


def test_a_job_whose_run_dir_is_locked_fails_alone_and_a_rerun_finishes_it(study_env, ray_cluster, sequential,
                                                                            tmp_path, capsys):
    from harness.store import run_lock

    results = tmp_path / "locked"
    study = study_env.study_file("one", models=[{"model": str(study_env.models[0]), "template": "llama3"}])
    argv = ["study", str(study), "--results-dir", str(results), "--no-progress", "--ray"]
    with run_lock(results / "tiny0" / "toy"):  # another command works on that run directory
        assert main(argv) == 1
    err = capsys.readouterr().err
    assert "1 of 2 jobs failed: tiny0 toy:" in err and "is in use by process" in err and "Traceback" not in err
    assert (results / "tiny0" / "alpaca_eval" / "scores.json").is_file()
    assert not (results / "tiny0" / "toy" / "generations.jsonl").exists()
    assert main(argv) == 0
    assert "1 of 2 jobs" not in capsys.readouterr().err
    done = snapshot(results)
    assert done == {k: v for k, v in snapshot(sequential).items() if k.startswith("tiny0/")}
