"""Time `simpo-harness --help` (wall clock, fresh process each run) against bare interpreter startup.

    python bench/cli_help.py [--runs 9] [--max-seconds 1.0]

Prints the median wall time of `simpo-harness --help`, of `python -c pass` measured in the
same run, and their ratio; exits 1 when the --help median exceeds --max-seconds. Also times
`models list` (which loads the whole registry) for reference.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.cli.checks import positive_int  # noqa: E402


def _time(cmd: list[str], runs: int) -> float:
    subprocess.run(cmd, check=True, capture_output=True)  # warm the OS file cache
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=positive_int, default=9)
    parser.add_argument("--max-seconds", type=float, default=1.0)
    args = parser.parse_args()
    script = shutil.which("simpo-harness")
    cli = [script] if script else [sys.executable, "-m", "harness"]
    python = _time([sys.executable, "-c", "pass"], args.runs)
    helps = _time([*cli, "--help"], args.runs)
    models = _time([*cli, "models", "list"], args.runs)
    print(f"runs per command:            {args.runs}")
    print(f"python -c pass       median: {python * 1000:7.1f} ms")
    print(f"simpo-harness --help median: {helps * 1000:7.1f} ms  ({helps / python:.2f}x python startup)")
    print(f"simpo-harness models list:   {models * 1000:7.1f} ms  ({models / python:.2f}x python startup)")
    ok = helps < args.max_seconds
    print(f"--help under {args.max_seconds:g} s: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
