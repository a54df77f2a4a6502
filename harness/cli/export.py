"""`simpo-harness export`: a run's generations (and the judgments its score uses) in an official
tool's own layout and field names, so that tool can read them (see `simpo-harness import --help`
for the layouts)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli import options
from harness.errors import HarnessError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from harness.importing import formats

    parser.add_argument("--format", required=True, choices=tuple(formats()), help="the official tool's layout")
    parser.add_argument("--model", required=True, help="model name (as its results are stored)")
    parser.add_argument("--benchmark", help="the benchmark (default: the format's only one)")
    parser.add_argument("--out", required=True, type=Path, help="folder to write the tool's files into")
    parser.add_argument("--judge-model", help="export the judgments of this judge model (needed when several judged)")
    parser.add_argument("--judge-base-url", help="... and of this endpoint")
    options.add_store_flags(parser)


def run(args: argparse.Namespace) -> int:
    from harness.importing import ExportOptions, export_run, formats
    from harness.pipeline.jobs import locate_run_dir
    from harness.store import run_lock

    benchmarks = formats()[args.format]
    benchmark = args.benchmark or (benchmarks[0] if len(benchmarks) == 1 else None)
    if benchmark is None:
        raise HarnessError(f"--format {args.format} holds {', '.join(benchmarks)}: pass --benchmark")
    store = options.store_settings(args)
    run_dir = locate_run_dir(store, args.model, benchmark)
    with run_lock(run_dir.path, wait=store.wait):
        written = export_run(args.format, run_dir.path, benchmark, args.out,
                             ExportOptions(data_dir=store.data_dir, judge_model=args.judge_model,
                                           judge_endpoint=args.judge_base_url))
    for path in written:
        print(f"wrote {path}")
    return 0
