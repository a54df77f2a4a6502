"""False-positive rates of the paired tests of ``harness.compare`` under simulated nulls.

    python bench/paired_calibration.py                         # every kind, 2000 simulations each
    python bench/paired_calibration.py --kinds bradley_terry --sizes 40 150 500 --sims 1000

A's and B's per-item values are exchangeable (tests/helpers/paired_nulls.py), so every rejection
at alpha is a false positive; a calibrated test rejects about alpha of the time. Prints the rate,
its binomial 95% interval and the seconds per simulation for each kind and size. The unit test
(tests/stats/test_null_calibration.py) checks 400 simulations per kind against [0.02, 0.08].
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from harness.cli.checks import positive_int  # noqa: E402
from tests.helpers.paired_nulls import rejection_rate  # noqa: E402

DEFAULT_SIZE = {"bootstrap_mean": 100, "wilcoxon": 80, "mcnemar": 200, "bradley_terry": 150}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kinds", nargs="+", choices=sorted(DEFAULT_SIZE), default=list(DEFAULT_SIZE))
    ap.add_argument("--sizes", nargs="+", type=positive_int, help="items per simulation (default: per kind)")
    ap.add_argument("--sims", type=positive_int, default=2000)
    ap.add_argument("--rounds", type=positive_int, default=200, help="bootstrap rounds per simulation")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--alpha", type=float, default=0.05)
    args = ap.parse_args(argv)
    print(f"{'kind':<15} {'n':>5} {'sims':>6} {'rate':>7}  95% interval      s/sim")
    for kind in args.kinds:
        for n in args.sizes or [DEFAULT_SIZE[kind]]:
            t0 = time.perf_counter()
            rate = rejection_rate(kind, args.sims, n, args.rounds, args.seed, args.alpha)
            per = (time.perf_counter() - t0) / args.sims
            half = 1.96 * math.sqrt(rate * (1 - rate) / args.sims)
            print(f"{kind:<15} {n:>5} {args.sims:>6} {rate:>7.4f}  [{rate - half:.4f}, {rate + half:.4f}]  {per:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
