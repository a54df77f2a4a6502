"""`simpo-harness judge`: judge stored generations with an LLM judge (resumable, cached).

The API key is read from the environment variable named by --judge-api-key-env (default
OPENAI_API_KEY) and never written anywhere. Every judge call is cached in the run directory's
judge_cache.sqlite (keyed by the request and the endpoint), so a rerun (or a killed run resumed)
never pays for the same call twice. With no API key and no --judge-base-url, the embedded local
judge is used (its judgments are not GPT-4's, and every manifest says so).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.cli import options
from harness.errors import HarnessError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_model_flag(parser, required=True)
    options.add_benchmark_flags(parser, multi=False)
    parser.add_argument("--limit", type=int, help="only the first N items")
    options.add_judge_flags(parser)
    options.add_store_flags(parser)


def run(args: argparse.Namespace) -> int:
    from harness.benchmarks import get_benchmark
    from harness.cli.checks import require_positive
    from harness.pipeline.jobs import locate_run_dir
    from harness.pipeline.judge_stage import JudgeSession, check_judge_covers, format_usage, judge_run_dir
    from harness.pipeline.settings import EMBEDDED_JUDGE_NOTE
    from harness.store import run_lock

    require_positive(args, "limit")
    judge = options.judge_settings(args)
    store = options.store_settings(args)
    bench = get_benchmark(args.benchmark)
    if not bench.needs_judge:
        raise HarnessError(f"benchmark {args.benchmark!r} is scored without a judge; run 'simpo-harness score'")
    check_judge_covers(judge, [bench.name])
    run_dir = locate_run_dir(store, args.model, args.benchmark)
    items = bench.load_items(store.data_dir, args.limit)
    if judge.embedded:
        print("note: " + EMBEDDED_JUDGE_NOTE.format(judge=judge.local_judge, key_env=judge.judge_api_key_env), file=sys.stderr)
    session = JudgeSession(judge, progress=store.progress)
    try:
        with run_lock(run_dir.path, wait=store.wait):
            info = judge_run_dir(bench, run_dir.path, items, session, store.data_dir)
    finally:
        session.close()
    usage = info["usage"]
    print(f"judged {args.model} on {args.benchmark} with {info['judge_model']} @ {info['judge_endpoint']}: "
          f"{format_usage(usage, judge)}")
    print(f"annotations: {run_dir.annotations}")
    if usage.get("failures"):
        first = _first_error(run_dir.annotations)
        print(f"simpo-harness judge: incomplete: {usage['failures']} judge calls failed"
              + (f" (first: {first})" if first else "") + "; rerun the same command to retry only those",
              file=sys.stderr)
        return 1
    return 0


def _first_error(annotations: Path) -> str | None:
    """The error of the first failed judgment row (its stored reason), if any."""
    from harness.store.jsonl import read_jsonl

    return next((str(r["error"]) for r in read_jsonl(annotations) if r.get("error")), None)
