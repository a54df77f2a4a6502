"""`simpo-harness table`: the SimPO README's tables (or any checkpoints), published vs reproduced."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.tables.render import FORMATS

if TYPE_CHECKING:
    from harness.compare.runs import CompareSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--paper", choices=("gemma", "v0.2", "v0.1"), help="a published table of the SimPO README")
    # choices mirror harness/tables/papers.yaml (checked by a test)
    which.add_argument("--models", help="comma-separated registry names / HF repos (or names with results)")
    parser.add_argument("--format", choices=FORMATS, default="markdown")
    parser.add_argument("--output", type=Path, help="write the table here instead of stdout")
    parser.add_argument("--results-dir", type=Path,
                        help="add reproduced columns (and deltas) from <DIR>/<model>/<benchmark>/scores.json")
    sig = parser.add_argument_group("significance against a baseline (with --models and --results-dir)")
    sig.add_argument("--baseline", help="mark reproduced numbers significantly different from this model's "
                     "(paired tests on the same items, Holm-adjusted; see `simpo-harness compare`)")
    sig.add_argument("--rounds", type=int, help="paired bootstrap rounds (default 2000)")
    sig.add_argument("--seed", type=int, help="bootstrap seed (default 42)")
    sig.add_argument("--data-dir", type=Path, help="benchmark data directory (AlpacaEval LC's GLM weights)")


def run(args: argparse.Namespace) -> int:
    from harness.registry.models import load_registry
    from harness.tables.paper import add_reproduced, footnotes, models_table, paper_table
    from harness.tables.render import render

    settings = _compare_settings(args)
    registry = load_registry()
    if args.paper:
        rows, columns = paper_table(registry, args.paper)
    else:
        names = [n.strip() for n in args.models.split(",") if n.strip()]
        if not names:
            raise HarnessError("--models needs at least one model name")
        rows, columns = models_table(registry, names, args.results_dir)
    if args.results_dir is not None:
        rows, columns = add_reproduced(rows, columns, args.results_dir)
    notes = _significance(args, rows, settings)
    text = render(rows, columns, args.format, notes[:1] + footnotes(rows) + notes[1:])
    from harness.cli.options import print_or_write

    return print_or_write(text, args.output)


def _compare_settings(args: argparse.Namespace) -> CompareSettings | None:
    """The paired-test settings of ``--baseline`` (None without it), checked before any work."""
    if args.baseline is None:
        if args.rounds is not None or args.seed is not None or args.data_dir is not None:
            raise HarnessError("--rounds, --seed and --data-dir go with --baseline")
        return None
    if args.models is None or args.results_dir is None:
        raise HarnessError("--baseline needs --models and --results-dir (it compares reproduced runs)")
    from harness.compare.runs import CompareSettings
    from harness.stats.paired import DEFAULT_ROUNDS, DEFAULT_SEED

    return CompareSettings(rounds=DEFAULT_ROUNDS if args.rounds is None else args.rounds,
                           seed=DEFAULT_SEED if args.seed is None else args.seed)


def _significance(args: argparse.Namespace, rows: list[dict[str, Any]], settings: CompareSettings | None
                  ) -> list[str]:
    """``--baseline``: mark the rows' significant reproduced cells; the table's legend notes."""
    if settings is None:
        return []
    from harness.compare.marks import significance_marks

    _, notes = significance_marks(rows, args.results_dir, args.baseline, settings=settings, data_dir=args.data_dir)
    return notes
