"""`simpo-harness import`: official tools' files into the results store.

Generations (and judgments, where the files hold them) are written as native runs are, so
`score`, `table`, `judge`, `compare` and `report` work on them. All or nothing per command: a bad
file is one error line naming the file, line and field, and nothing is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from harness.cli import options
from harness.cli.checks import require_positive

if TYPE_CHECKING:
    from harness.importing.writer import Plan


def _epilog() -> str:
    from harness.importing import format_module, formats

    parts = ["formats and the files they read (a folder imports every model in it; .gz is read transparently):"]
    for fmt in formats():
        parts.append(format_module(fmt).LAYOUT)
    parts.append("Judge prompts stored in judgment files are compared with the prompts this harness sends for the "
                 "saved answers; every difference is listed (stdout and generation_manifest.json). A verdict "
                 "belongs to the answer it judged: that answer is what is imported and scored.\n"
                 "An imported run's item set is the benchmark's full set, so a partial file scores 'incomplete' "
                 "(score --allow-incomplete). Re-importing the same files writes nothing; importing over a native "
                 "run (or another import) of the same model name needs --force. Then: score, judge (any judge), "
                 "table, compare, report, and export back to the tool's layout.")
    return "\n\n".join(parts)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from harness.importing import formats

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _epilog()
    parser.add_argument("--format", required=True, choices=tuple(formats()), help="the official tool's file format")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders in the tool's layout")
    parser.add_argument("--model", help="store the (single) model of the files under this name")
    parser.add_argument("--benchmark", help="only this benchmark (for a format that holds several)")
    parser.add_argument("--limit", type=int, help="only the first N records of each file")
    parser.add_argument("--force", action="store_true",
                        help="import over a native run (or another import) of the same model name")
    options.add_store_flags(parser)


def run(args: argparse.Namespace) -> int:
    from harness.importing import ReadOptions, import_files

    require_positive(args, "limit")
    store = options.store_settings(args)
    plans = import_files(args.format, args.paths, store.results_dir,
                         ReadOptions(model=args.model, benchmark=args.benchmark, limit=args.limit,
                                     data_dir=store.data_dir), force=args.force, wait=store.wait)
    for p in plans:
        print(summary(p))
    return 0


def summary(plan: Plan) -> str:
    """What one run's import did, its judge and its prompt checks, for the terminal."""
    run = plan.run
    judge = run.judge or {}
    samples = f" ({run.n_samples} samples)" if run.n_samples > 1 else ""
    items = len({g.item_id for g in run.generations})
    lines = [f"{plan.status}: {run.model} {run.benchmark}: {items} items{samples}, {len(run.annotations)} judgments"
             + (f" by {judge.get('model')} @ {judge.get('endpoint')}" if run.annotations else "")
             + f" -> {plan.run_dir.path}"]
    checks = run.checks.to_dict()
    if checks["differs"]:
        lines.append(f"  {checks['differs']} judgment(s) differ from what this harness would judge for the saved "
                     f"answers (listed in {plan.run_dir.generation_manifest.name}), e.g.:")
        lines += [f"    {d['source']}: item {d['item_id']} {d['unit']}: {d['what']}" for d in checks["differences"][:3]]
    for reason, n in checks["unchecked_reasons"].items():
        lines.append(f"  {n} judgment(s) not compared: {reason}")
    lines += [f"  note: {n}" for n in run.notes]
    return "\n".join(lines)
