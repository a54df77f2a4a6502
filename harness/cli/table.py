"""`simpo-harness table`: the SimPO README's tables (or any checkpoints), published vs reproduced."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.errors import HarnessError
from harness.tables.render import FORMATS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--paper", choices=("gemma", "v0.2", "v0.1"), help="a published table of the SimPO README")
    # choices mirror harness/tables/papers.yaml (checked by a test)
    which.add_argument("--models", help="comma-separated registry names / HF repos (or names with results)")
    parser.add_argument("--format", choices=FORMATS, default="markdown")
    parser.add_argument("--output", type=Path, help="write the table here instead of stdout")
    parser.add_argument("--results-dir", type=Path,
                        help="add reproduced columns (and deltas) from <DIR>/<model>/<benchmark>/scores.json")


def run(args: argparse.Namespace) -> int:
    from harness.registry.models import load_registry
    from harness.tables.paper import add_reproduced, footnotes, models_table, paper_table
    from harness.tables.render import render

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
    text = render(rows, columns, args.format, footnotes(rows))
    if args.output is None:
        print(text, end="")
        return 0
    from harness.store.jsonl import write_text_atomic

    write_text_atomic(args.output, text)
    print(f"wrote {args.output}")
    return 0
