"""Arena-Hard statistics: our vectorised Bradley-Terry + bootstrap vs the official per-round
scikit-learn procedure (arena-hard-auto v0.1 ``show_result.py``), on the same battles.

    python bench/arena_stats.py                      # 1 model + baseline, 500 questions, 100 rounds
    python bench/arena_stats.py --models 10          # a leaderboard-sized fit

Battles are synthetic (two games per question, ties, strong verdicts weighted 3x) drawn from
known ratings. Prints both wall times, their ratio and the largest absolute difference in
score / CI bounds (win rate vs the baseline, percent) and in Elo.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from harness.cli.checks import positive_int  # noqa: E402
from harness.stats import Battles, arena_scores  # noqa: E402
from tests.helpers.arena_reference import official_scores, synthetic_battles  # noqa: E402

BASELINE = "gpt-4-0314"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=positive_int, default=1, help="models besides the baseline")
    ap.add_argument("--questions", type=positive_int, default=500)
    ap.add_argument("--rounds", type=positive_int, default=100)
    ap.add_argument("--seed", type=int, default=0, help="seed of the synthetic verdicts")
    ap.add_argument("--repeats", type=positive_int, default=3, help="timing repeats of our implementation (best kept)")
    args = ap.parse_args(argv)

    ratings = {f"model-{i}": 900 + 200 * i / max(1, args.models - 1) for i in range(args.models)}
    df = synthetic_battles(args.questions, ratings, baseline=BASELINE, seed=args.seed)
    y = df["winner"].map({"model_a": 1.0, "model_b": 0.0, "tie": 0.5}).tolist()

    ours_s = float("inf")
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        battles = Battles.from_rows(df["model_a"].tolist(), df["model_b"].tolist(), y)
        ours = arena_scores(battles, BASELINE, num_rounds=args.rounds, seed=42)
        ours_s = min(ours_s, time.perf_counter() - t0)

    t0 = time.perf_counter()
    ref = official_scores(df, BASELINE, num_rounds=args.rounds, seed=42)
    ref_s = time.perf_counter() - t0

    d_score = max(abs(ours[m].score - r["score"]) for m, r in ref.items())
    d_ci = max(max(abs(ours[m].lower - r["lower"]), abs(ours[m].upper - r["upper"])) for m, r in ref.items())
    d_elo = max(abs(ours[m].elo - r["elo"]) for m, r in ref.items())
    print(f"battles: {len(df)} rows, {args.models} model(s) + baseline, {args.questions} questions, "
          f"{args.rounds} bootstrap rounds")
    print(f"official per-round sklearn: {ref_s:8.3f} s")
    print(f"harness.stats (vectorised): {ours_s:8.3f} s")
    print(f"speed-up: {ref_s / ours_s:.1f}x")
    print(f"max |score diff| = {d_score:.2e} pct-points; max |CI diff| = {d_ci:.2e}; max |Elo diff| = {d_elo:.2e}")
    for m in sorted(ref):
        if m == BASELINE:
            continue
        o = ours[m].official()
        print(f"  {m:<10} score {o['score']:6.2f}  95% CI ({o['lower']:.2f}, {o['upper']:.2f})  "
              f"| sklearn {round(ref[m]['score'], 2):6.2f} ({round(ref[m]['lower'], 2):.2f}, {round(ref[m]['upper'], 2):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
