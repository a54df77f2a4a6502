"""`simpo-harness benchmarks list|show`: what each benchmark is, from its spec (no data loaded)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="{list,show}", required=True)
    lst = sub.add_parser("list", help="name, items, judge, metrics, data source, offline or not")
    lst.add_argument("--format", choices=("table", "json"), default="table")
    show = sub.add_parser("show", help="one benchmark's full spec")
    show.add_argument("name", help="benchmark name")
    show.add_argument("--format", choices=("yaml", "json"), default="yaml")


def _offline(spec) -> str:
    return spec.data.offline or "needs --data-dir"


def run(args: argparse.Namespace) -> int:
    from harness.benchmarks import all_specs, get_spec

    if args.action == "show":
        data = asdict(get_spec(args.name))
        if args.format == "json":
            print(json.dumps(data, indent=2))
        else:
            import yaml

            print(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), end="")
        return 0
    specs = all_specs()
    if args.format == "json":
        print(json.dumps([asdict(s) for s in specs], indent=2))
        return 0
    header = ("NAME", "ITEMS", "JUDGE", "METRICS", "DATA (--data-dir/<subdir>)", "OFFLINE")
    rows = [(s.name, str(s.n_items), s.judge.default_model if s.judge else "-", ",".join(s.metric_keys),
             f"{s.data.subdirs[0]}/: {s.data.public}", _offline(s)) for s in specs]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1])
    print(f"{len(rows)} benchmarks; `simpo-harness benchmarks show NAME` for the files and the protocol")
    return 0
