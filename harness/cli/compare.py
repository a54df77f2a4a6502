"""`simpo-harness compare A B [C ...]`: paired significance tests of models on the same items.

For every benchmark both models of a pair have scored, the paired test of its spec on the items
both have (the per-item values of exactly the judgments / parses each score used), Holm's
correction over every comparison of the call; items present for one model only are counted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import HarnessError
from harness.stats.paired import DEFAULT_ROUNDS, DEFAULT_SEED

if TYPE_CHECKING:
    from harness.compare.runs import CompareResult

FORMATS = ("markdown", "csv", "latex", "json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from harness.cli.options import add_benchmark_flags

    parser.add_argument("models", nargs="+", metavar="MODEL",
                        help="two or more models: names as their results are stored, registry names or HF repo ids")
    add_benchmark_flags(parser, multi=True, default="every benchmark both models of a pair have scored")
    parser.add_argument("--baseline", help="compare every other model against this one (default: every pair)")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS,
                        help=f"paired bootstrap rounds (default {DEFAULT_ROUNDS})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"bootstrap seed (default {DEFAULT_SEED})")
    parser.add_argument("--format", choices=FORMATS, default="markdown")
    parser.add_argument("--output", type=Path, help="write the result here instead of stdout")
    parser.add_argument("--results-dir", type=Path, help="results root (default: $SIMPO_HARNESS_RESULTS or results)")
    parser.add_argument("--data-dir", type=Path, help="benchmark data directory (AlpacaEval LC needs its GLM "
                        "weights and instruction difficulty there)")


def header(result: CompareResult, results_dir: Path) -> str:
    """The one-paragraph legend printed above a markdown table."""
    s = result.settings
    n_tests = sum(c.p_value is not None for c in result.comparisons)
    return (f"Paired comparisons of {results_dir} (Δ = A − B on the items both models have; "
            f"{100 * s.confidence:g}% CI: paired percentile bootstrap, {s.rounds} rounds, seed {s.seed}; "
            f"p: the row's test; Holm over {n_tests} test(s); * Holm-adjusted p < 0.05)\n\n")


def render(result: CompareResult, fmt: str, results_dir: Path) -> str:
    """The comparisons as ``fmt``, with the settings and notes (markdown / LaTeX: around the table)."""
    from harness.compare import render_comparisons
    from harness.tables.render import latex_escape

    comps, notes, s = result.comparisons, result.notes, result.settings
    if fmt == "json":
        payload = {"results_dir": str(results_dir), "rounds": s.rounds, "seed": s.seed, "confidence": s.confidence,
                   "comparisons": json.loads(render_comparisons(comps, "json")), "notes": notes}
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    table = render_comparisons(comps, fmt)
    if fmt == "markdown":
        return header(result, results_dir) + table + "".join(f"\n{n}" for n in notes) + ("\n" if notes else "")
    if fmt == "latex":
        return table + "".join(f"\\par\\footnotesize {latex_escape(n)}\n" for n in notes)
    return table


def run(args: argparse.Namespace) -> int:
    from harness.cli.options import benchmark_names
    from harness.compare.runs import CompareSettings, compare_runs
    from harness.paths import default_results_dir

    results_dir = args.results_dir or default_results_dir()
    if not Path(results_dir).is_dir():
        raise HarnessError(f"results directory not found: {results_dir}")
    benchmarks = benchmark_names(args, "") if (args.benchmarks or args.benchmarks_single) else None
    settings = CompareSettings(rounds=args.rounds, seed=args.seed)
    result = compare_runs(Path(results_dir), args.models, benchmarks, baseline=args.baseline, settings=settings,
                          data_dir=args.data_dir)
    if not result.comparisons:
        raise HarnessError("nothing to compare: no benchmark is scored for both models of any pair"
                           + ("".join(f"; {n}" for n in result.notes)))
    text = render(result, args.format, Path(results_dir))
    from harness.cli.options import print_or_write

    code = print_or_write(text, args.output)
    if all(c.method == "unavailable" for c in result.comparisons):  # the rows say why; a script must see it too
        print(f"simpo-harness compare: no comparison could be computed ({len(result.comparisons)} row(s) "
              "unavailable)", file=sys.stderr)
        return code or 1
    return code
