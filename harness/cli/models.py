"""`simpo-harness models list|show`: browse the released-model registry."""

from __future__ import annotations

import argparse
import json

from harness.registry.models import config_as_dict, load_registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="{list,show}", required=True)
    lst = sub.add_parser("list", help="list registry models (optionally filtered)")
    lst.add_argument("--setting", help="e.g. Llama3-Instruct, Mistral-Base, Gemma")
    lst.add_argument("--method", help="e.g. SimPO, DPO, SFT")
    lst.add_argument("--table", help="published table: gemma, v0.2 or v0.1")
    lst.add_argument("--format", choices=("table", "json"), default="table")
    show = sub.add_parser("show", help="show one model's full config")
    show.add_argument("name", help="registry name or HF repo id")
    show.add_argument("--format", choices=("yaml", "json"), default="yaml")


def run(args: argparse.Namespace) -> int:
    registry = load_registry()
    if args.action == "show":
        data = config_as_dict(registry.get(args.name))
        if args.format == "json":
            print(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            import yaml

            print(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), end="")
        return 0
    models = registry.filter(setting=args.setting, method=args.method, table=args.table)
    if args.format == "json":
        print(json.dumps([config_as_dict(m) for m in models], indent=2, ensure_ascii=False))
        return 0
    header = ("NAME", "SETTING", "METHOD", "TABLE", "HF REPO")
    rows = [(m.name, m.setting, m.method, m.published.table if m.published else "-", m.hf_repo) for m in models]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1])
    print(f"{len(rows)} model{'s' if len(rows) != 1 else ''}")
    return 0
