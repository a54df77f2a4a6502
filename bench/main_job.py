"""Wall time of the README's main job, fresh: ``python -m harness run --benchmarks mt_bench --limit 2``
on the embedded default (SmolLM2-135M GGUF, transformers on the CPU, judged by the embedded local
judge), each run in a new results directory, with its per-stage split.

    python bench/main_job.py                 # median of 3 fresh runs
    python bench/main_job.py --runs 5 --limit 1

Each run is a real subprocess of the CLI; the stage split (load, generate, judge, score: wall
seconds, each exclusive of the stages nested in it; ``other`` is the rest: interpreter start,
imports, planning, tables) comes from :mod:`harness.timing` through ``SIMPO_HARNESS_TIMINGS``.
The machine's load average is printed beside every run, since a shared machine's numbers are
only comparable at similar load. The output of every run is also checked for third-party noise
(library progress bars, escape codes, deprecation warnings): :func:`noise_lines`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STAGES = ("load", "generate", "judge", "score")
# lines no command may print without -v: library progress bars, cursor escapes, warnings, trainer dicts
NOISE = re.compile(
    r"Converting and de-quantizing|Loading weights|Loading checkpoint|Writing model shards|Map(?: \(num_proc=\d+\))?:"
    r"|tokenizing:|\x1b\[A|Warning\b|warnings\.warn|pkg_resources|^\{'loss'|^\{'train_runtime'", re.MULTILINE)


def noise_lines(text: str) -> list[str]:
    """The lines of a command's output that are third-party noise (see ``NOISE``)."""
    return [line for line in re.split(r"[\r\n]", text) if NOISE.search(line)]


def main_job_command(results_dir: Path, limit: int, benchmarks: str) -> list[str]:
    return [sys.executable, "-m", "harness", "run", "--benchmarks", benchmarks, "--limit", str(limit),
            "--results-dir", str(results_dir)]


def run_once(limit: int, benchmarks: str) -> dict:
    """One fresh run: wall seconds, stage split, child CPU seconds, load averages, noise lines."""
    with tempfile.TemporaryDirectory(prefix="main_job_") as tmp:
        timings = Path(tmp) / "timings.json"
        env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "SIMPO_HARNESS_VERBOSE")}
        env["SIMPO_HARNESS_TIMINGS"] = str(timings)
        load_before = os.getloadavg()[0]
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(main_job_command(Path(tmp) / "results", limit, benchmarks), cwd=REPO, env=env,
                              capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit(f"main job failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        split = json.loads(timings.read_text()) if timings.is_file() else {}
    stages = {s: float(split.get(s, 0.0)) for s in STAGES}
    return {"wall_s": wall, **stages, "other": wall - sum(stages.values()),
            "cpu_s": (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime),
            "load_before": load_before, "load_after": os.getloadavg()[0],
            "noise": noise_lines(proc.stdout + proc.stderr)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--limit", type=int, default=2)
    p.add_argument("--benchmarks", default="mt_bench")
    p.add_argument("--target", type=float, default=30.0, help="seconds the median must not exceed (default 30)")
    p.add_argument("--out", type=Path, help="also write the runs as JSON")
    args = p.parse_args(argv)

    print(f"machine: {os.cpu_count()} CPUs; main job: simpo-harness run --benchmarks {args.benchmarks} "
          f"--limit {args.limit} (fresh results dir each run)")
    head = f"{'run':>4}{'wall s':>9}" + "".join(f"{s:>10}" for s in (*STAGES, "other")) + f"{'cpu s':>8}  load avg"
    print(head)
    runs = []
    for i in range(args.runs):
        r = run_once(args.limit, args.benchmarks)
        runs.append(r)
        print(f"{i + 1:>4}{r['wall_s']:>9.1f}" + "".join(f"{r[s]:>10.1f}" for s in (*STAGES, "other"))
              + f"{r['cpu_s']:>8.1f}  {r['load_before']:.2f} -> {r['load_after']:.2f}", flush=True)
    median = {k: statistics.median(r[k] for r in runs) for k in ("wall_s", *STAGES, "other", "cpu_s")}
    print(f"{'med':>4}{median['wall_s']:>9.1f}" + "".join(f"{median[s]:>10.1f}" for s in (*STAGES, "other"))
          + f"{median['cpu_s']:>8.1f}")
    noise = sorted({line.strip()[:100] for r in runs for line in r["noise"]})
    print(f"median wall {median['wall_s']:.1f} s vs target {args.target:.0f} s: "
          f"{'ok' if median['wall_s'] <= args.target else 'OVER'} (ratio {median['wall_s'] / args.target:.2f}); "
          f"third-party noise lines: {len(noise)}")
    for line in noise:
        print(f"  noise: {line}")
    if args.out:
        args.out.write_text(json.dumps({"runs": runs, "median": median}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
