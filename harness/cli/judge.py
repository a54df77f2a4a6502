"""`simpo-harness judge`: judge stored generations with an LLM judge (resumable, cached).

The API key is read from the environment variable named by --api-key-env (default OPENAI_API_KEY)
and never written anywhere. Every judge call is cached in results/<model>/<benchmark>/judge_cache.sqlite,
so a rerun (or a killed run resumed) never pays for the same call twice.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from harness.cli.checks import require_positive
from harness.errors import HarnessError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="model name (as used by 'generate') or a results sub-directory")
    parser.add_argument("--benchmark", required=True, help="a judged benchmark: alpaca_eval, arena_hard, mt_bench")
    parser.add_argument("--judge-model", help="judge model id (default: the benchmark's official judge)")
    parser.add_argument("--judge-base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 "
                        "(default: api.openai.com)")
    parser.add_argument("--api-key-env", default="OPENAI_API_KEY",
                        help="environment variable holding the judge API key (default OPENAI_API_KEY)")
    parser.add_argument("--reference-model", help="MT-Bench reference answers to grade against, by model name "
                        "(default: the judge's, as FastChat; e.g. gpt-4-1106-preview for the SimPO authors' setup)")
    parser.add_argument("--concurrency", type=int, default=16, help="parallel judge requests (default 16)")
    parser.add_argument("--max-retries", type=int, default=8, help="retries per request on 429/5xx/timeouts")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per judge request (default 120)")
    parser.add_argument("--cache", type=Path, help="judge cache sqlite file (default: in the run directory)")
    parser.add_argument("--results-dir", type=Path, help="results root (default: $SIMPO_HARNESS_RESULTS or results)")
    parser.add_argument("--data-dir", type=Path, help="benchmark data directory (default: the public source)")
    parser.add_argument("--limit", type=int, help="only the first N items")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def find_run_dir(results_dir: Path | None, model: str, benchmark: str):
    """The run directory for ``model``: as given, else under the registry's canonical name."""
    from harness.paths import default_results_dir
    from harness.results import RunDir

    root = results_dir or default_results_dir()
    run = RunDir(root, model, benchmark)
    if run.path.is_dir():
        return run
    try:
        from harness.registry.models import load_registry

        canonical = load_registry().get(model).name
    except (HarnessError, ImportError):
        canonical = model
    alt = RunDir(root, canonical, benchmark)
    if alt.path.is_dir():
        return alt
    raise HarnessError(f"no results for model {model!r} on {benchmark!r} under {root} "
                       f"(expected {run.path}); run 'simpo-harness generate' first")


def run(args: argparse.Namespace) -> int:
    from harness.benchmarks import get_benchmark_class
    from harness.jsonl import append_jsonl
    from harness.judges.client import JudgeClientConfig, OpenAIJudgeClient
    from harness.judges.progress import JudgeProgress

    require_positive(args, "limit", "concurrency")
    bench = get_benchmark_class(args.benchmark)()
    if not getattr(bench, "needs_judge", False):
        raise HarnessError(f"benchmark {args.benchmark!r} is scored without a judge; run 'simpo-harness score'")
    run_dir = find_run_dir(args.results_dir, args.model, args.benchmark)
    items = bench.load_items(args.data_dir, args.limit)
    config = JudgeClientConfig(
        base_url=args.judge_base_url, api_key_env=args.api_key_env, concurrency=args.concurrency,
        max_retries=args.max_retries, timeout_s=args.timeout,
        cache_path=args.cache or run_dir.path / "judge_cache.sqlite",
    )
    client = OpenAIJudgeClient(config)
    client.progress = JudgeProgress(f"{args.benchmark} judge", enabled=not args.no_progress)
    options = {"judge_model": args.judge_model} if args.judge_model else {}
    if args.reference_model:
        options["reference_model"] = args.reference_model
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        bench.judge(run_dir.path, client, items, **options)
    finally:
        client.progress.close()
        usage = client.usage.to_dict()
        append_jsonl(run_dir.path / "judge_runs.jsonl", [{
            "started_utc": started, "benchmark": args.benchmark, "judge_model": args.judge_model,
            "judge_base_url": args.judge_base_url, "api_key_env": args.api_key_env, **usage}])
    cost = "unknown" if usage["cost_usd"] is None else f"${usage['cost_usd']:.4f}"
    print(f"judged {args.model} on {args.benchmark}: {usage['calls']} calls, {usage['cache_hits']} cached, "
          f"{usage['failures']} failed, {usage['prompt_tokens']}+{usage['completion_tokens']} tokens, cost {cost}")
    print(f"annotations: {run_dir.annotations}")
    if usage["failures"]:
        print(f"simpo-harness judge: incomplete: {usage['failures']} judge calls failed; "
              "rerun the same command to retry only those", file=sys.stderr)
        return 1
    return 0
