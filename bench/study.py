"""Study wall time for N small jobs, sequentially vs on a local Ray cluster, and Ray's per-job overhead.

    python bench/study.py                      # 6 jobs: 3 tiny checkpoints x alpaca_eval + toy
    python bench/study.py --models 4 --items 8 --cpus 2

Each job decodes a tiny random Llama (tests/helpers/tiny_model.py) on a few AlpacaEval items or on
the toy benchmark and is judged by a deterministic judge server on 127.0.0.1. Printed:
- the sequential study's wall time (the anchor) and the Ray study's (cluster already up; its start
  time is printed apart), their ratio, and whether both wrote identical scores;
- Ray's per-job overhead: the study's own Ray task (``generate_job``: rebuild the job, take the run
  lock, read the store) on finished jobs, one task at a time on warm workers, minus the same calls
  in this process, per job; and the same for a task that needs a new worker process (spawn +
  imports, paid once per worker, which Ray then reuses for later jobs).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.chdir(REPO_ROOT)  # Ray workers of a local cluster import from the driver's working directory
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


def _study_file(root: Path, models: list[Path], data: Path, judge_url: str, items: int) -> Path:
    import yaml

    study = {"name": "bench", "models": [{"model": str(m), "template": "llama3"} for m in models],
             "benchmarks": [{"name": "alpaca_eval", "limit": items}, {"name": "toy", "limit": items}],
             "data_dir": str(data), "plugins": ["tests.study.plugins"],
             "generation": {"backend": "transformers", "max_new_tokens": 8, "backend_options": {"batch_size": 2}},
             "judge": {"judge_base_url": judge_url, "backoff": 0.01}}
    path = root / "study.yaml"
    path.write_text(yaml.safe_dump(study), encoding="utf-8")
    return path


def _timed_study(study: Path, results: Path, *extra: str) -> float:
    from harness.cli import main

    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        rc = main(["study", str(study), "--results-dir", str(results), "--no-progress", *extra])
    if rc != 0:
        raise SystemExit(f"study failed with exit code {rc}")
    return time.perf_counter() - t0


def _scores(results: Path) -> dict[str, dict]:
    return {f"{p.parent.parent.name}/{p.parent.name}": json.loads(p.read_text())["metrics"]
            for p in sorted(results.glob("*/*/scores.json"))}


def _per_job_overhead(ray, study: Path, results: Path) -> tuple[float, float, float, int]:
    """(in-process s/job, Ray task s/job on warm workers, on a new worker each, jobs) for generate_job
    on finished jobs (a distinct runtime_env makes Ray start a new worker process for a task)."""
    from harness.cli.study import add_arguments, given_flags, load_config
    from harness.study.ray_runner import generate_job
    from harness.study.settings import build_settings

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([str(study), "--results-dir", str(results)])
    config, text = load_config(args)
    s = build_settings(config, given_flags(args), file=study, file_text=text)
    jobs = list(s.jobs)
    from tests.study.plugins import WORKER_ENV

    task = ray.remote(generate_job)
    remote = task.options(num_cpus=1)
    ray.get(remote.remote(jobs[0], s.store, s.plugins))  # warm
    t0 = time.perf_counter()
    for job in jobs:
        generate_job(job, s.store, s.plugins)
    local = (time.perf_counter() - t0) / len(jobs)
    t0 = time.perf_counter()
    for job in jobs:
        ray.get(remote.remote(job, s.store, s.plugins))
    warm = (time.perf_counter() - t0) / len(jobs)
    t0 = time.perf_counter()
    for i, job in enumerate(jobs[:2]):
        fresh = task.options(num_cpus=1, runtime_env={"env_vars": {WORKER_ENV: "1", "HF_HUB_OFFLINE": "1",
                                                                   "SIMPO_BENCH_NEW_WORKER": str(i)}})
        ray.get(fresh.remote(job, s.store, s.plugins))
    return local, warm, (time.perf_counter() - t0) / 2, len(jobs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=3, help="tiny checkpoints (jobs = 2 x models)")
    ap.add_argument("--items", type=int, default=4, help="items per benchmark")
    ap.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray cluster")
    args = ap.parse_args(argv)

    import ray

    import harness.benchmarks as benchmarks
    from harness.judges.local_server import LocalJudgeServer
    from tests.helpers.run_env import write_alpaca_data
    from tests.helpers.tiny_model import build_tiny_llama
    from tests.helpers.toy_benchmark import TOY
    from tests.study.conftest import study_responder
    from tests.study.plugins import WORKER_ENV

    benchmarks.register(TOY)
    root = Path(tempfile.mkdtemp(prefix="simpo_bench_study_"))
    models = [build_tiny_llama(root / f"tiny{i}", seed=i) for i in range(args.models)]
    data = write_alpaca_data(root / "data", args.items)
    with LocalJudgeServer(study_responder) as judge:
        study = _study_file(root, models, data, judge.base_url, args.items)
        seq = _timed_study(study, root / "sequential")
        t0 = time.perf_counter()
        ray.init(address="local", num_cpus=args.cpus, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {WORKER_ENV: "1", "HF_HUB_OFFLINE": "1"}})
        start = time.perf_counter() - t0
        try:
            on_ray = _timed_study(study, root / "ray", "--ray")
            rerun = _timed_study(study, root / "ray", "--ray")
            local, remote, cold, n = _per_job_overhead(ray, study, root / "ray")
        finally:
            ray.shutdown()
    jobs = 2 * args.models
    same = _scores(root / "sequential") == _scores(root / "ray")
    print(f"{jobs} jobs ({args.models} tiny checkpoints x alpaca_eval + toy, {args.items} items each), "
          f"Ray cluster of {args.cpus} CPUs")
    print(f"sequential study:            {seq:7.2f} s")
    print(f"Ray study:                   {on_ray:7.2f} s  (ratio Ray/sequential {on_ray / seq:.2f}; "
          f"cluster start {start:.2f} s not included)")
    print(f"Ray rerun (nothing to do):   {rerun:7.2f} s  (no task started)")
    print(f"per-job overhead of a Ray task (warm workers, {n} jobs): {remote - local:.3f} s "
          f"({remote:.3f} s per task vs {local:.3f} s in process); on a new worker process: {cold - local:.3f} s")
    print(f"identical scores: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
