"""`simpo-harness report --out report.html`: one self-contained HTML file of a results directory.

Published vs reproduced (the table), the paired comparisons of ``compare``, the analysis figures
(length vs win rate across models and within runs) and an item browser per benchmark (every
model's answers side by side with the judge's verdicts, filters and search). It loads nothing:
open it from any disk, offline.

``--study NAME`` reports a study that ran (its ``study_manifest.json``): its models and
benchmarks, compared against its baseline, with its data directory unless ``--data-dir`` is given.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import HarnessError
from harness.stats.paired import DEFAULT_ROUNDS, DEFAULT_SEED

TITLE = "simpo-harness report"

if TYPE_CHECKING:
    from harness.report.data import Comparison


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from harness.cli.options import add_benchmark_flags

    parser.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    parser.add_argument("--models", help="comma-separated models (names as their results are stored, registry names "
                        "or HF repo ids; default: every model with results)")
    parser.add_argument("--study", help="a study that ran (`simpo-harness study`): its models, benchmarks and baseline")
    add_benchmark_flags(parser, multi=True, default="every benchmark the models have")
    parser.add_argument("--results-dir", type=Path, help="results root (default: $SIMPO_HARNESS_RESULTS or results)")
    parser.add_argument("--data-dir", type=Path, help="benchmark data directory: questions and references for the "
                        "item browser, the AlpacaEval leaderboard (backdrop) and GLM weights, Arena-Hard baseline answers")
    parser.add_argument("--title", default=TITLE)
    cmp = parser.add_argument_group("paired comparisons (as `simpo-harness compare`)")
    cmp.add_argument("--baseline", help="compare every other model against this one (default: every pair)")
    cmp.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help=f"bootstrap rounds (default {DEFAULT_ROUNDS})")
    cmp.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"bootstrap seed (default {DEFAULT_SEED})")
    cmp.add_argument("--no-compare", action="store_true", help="leave the paired comparisons out")
    parser.add_argument("--no-figures", action="store_true", help="leave the analysis figures out")


def _comparisons(args: argparse.Namespace, results_dir: Path, models: list[str], benchmarks: list[str]
                 ) -> tuple[list[Comparison], list[str]]:
    """The report's paired comparisons of ``models`` (run directory names) and the notes they leave."""
    from harness.compare.runs import CompareSettings, compare_runs
    from harness.report.collect import from_compare

    baseline = args.baseline
    if baseline is not None:
        from harness.compare.runs import discover, run_dir_name

        baseline = run_dir_name(baseline, discover(results_dir))
        if baseline not in models:
            raise HarnessError(f"--baseline {args.baseline!r} is not one of the report's models ({', '.join(models)})")
    if args.no_compare or len(models) < 2:
        return [], []
    result = compare_runs(results_dir, models, benchmarks, baseline=baseline,
                          settings=CompareSettings(rounds=args.rounds, seed=args.seed), data_dir=args.data_dir)
    return [from_compare(c) for c in result.comparisons], result.notes


def _from_study(args: argparse.Namespace, results_dir: Path) -> None:
    """Fill --models, --benchmarks, --baseline and --data-dir from the study (flags given win, but
    --models and --study together are refused: one list of models)."""
    from harness.study.output import read_study

    if args.models is not None:
        raise HarnessError("give either --study or --models, not both")
    study = read_study(results_dir, args.study)
    args.models = ",".join(study.models)
    if not (args.benchmarks or args.benchmarks_single):
        args.benchmarks = ",".join(study.benchmarks)
    args.baseline = args.baseline or study.baseline
    args.data_dir = args.data_dir or study.data_dir
    if args.title == TITLE:
        args.title = f"{TITLE}: study {study.name}"


def run(args: argparse.Namespace) -> int:
    from harness.cli.options import benchmark_names
    from harness.compare.runs import CompareSettings
    from harness.paths import default_results_dir
    from harness.report.collect import collect_report
    from harness.report.figures import collect_figures
    from harness.report.html import write_report

    CompareSettings(rounds=args.rounds, seed=args.seed)  # a bad --rounds / --seed fails before any work
    results_dir = Path(args.results_dir or default_results_dir())
    if args.study is not None:
        _from_study(args, results_dir)
    models = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else None
    if args.models is not None and not models:
        raise HarnessError("--models needs at least one model name")
    benchmarks = benchmark_names(args, "") if (args.benchmarks or args.benchmarks_single) else None
    report = collect_report(results_dir, models, benchmarks, data_dir=args.data_dir, title=args.title)
    comparisons, notes = _comparisons(args, results_dir, report.models, report.benchmarks)
    report.comparisons = comparisons
    if not args.no_figures:
        figures = collect_figures(results_dir, report.models, report.benchmarks, args.data_dir)
        report.figures, notes = figures.figures, notes + figures.notes
    report.notes += notes
    path = write_report(report, args.out)
    n_items = sum(len(s.items) for s in report.sections)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB: {len(report.models)} model(s), "
          f"{len(report.sections)} benchmark(s), {n_items} items, {len(report.comparisons)} comparison(s), "
          f"{len(report.figures)} figure(s))")
    return 0
