"""`simpo-harness run`: plan, generate, judge, score and tabulate, resumable at every stage.

With no API key and no --judge-base-url, judged benchmarks use the embedded local judge (a small
model served on 127.0.0.1 by the harness): the output and every manifest say that those
judgments are not GPT-4's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from harness.cli.checks import DTYPES, require_positive
from harness.errors import HarnessError

DEFAULT_BENCHMARKS = "mt_bench"

DEFAULT_MODEL = "smollm2-135m-instruct"
# Rough per-unit judge token counts (prompt, completion), for the plan's cost estimate only.
JUDGE_TOKENS_PER_UNIT = {"alpaca_eval": (1_400, 1), "arena_hard": (2 * 1_700, 2 * 700), "mt_bench": (900, 250)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"registry name, HF repo id or local checkpoint directory (default: {DEFAULT_MODEL})")
    parser.add_argument("--benchmarks",
                        help="comma-separated: alpaca_eval,arena_hard,mt_bench,gsm8k,mmlu,gsm8k_lmeval "
                        "(default: mt_bench)")
    parser.add_argument("--benchmark", dest="benchmarks_single", help="a single benchmark (same as --benchmarks B)")
    parser.add_argument("--limit", type=int, help="only the first N items of each benchmark")
    parser.add_argument("--data-dir", type=Path, help="benchmark data directory (default: the public source)")
    parser.add_argument("--results-dir", type=Path, help="results root (default: $SIMPO_HARNESS_RESULTS or results)")
    parser.add_argument("--backend", choices=("vllm", "transformers", "openai"),
                        help="decoding backend (default: vllm if importable, else transformers)")
    parser.add_argument("--template", help="chat template id (for local checkpoints without simpo_harness.yaml)")
    parser.add_argument("--authors-exact", action="store_true", help="the SimPO authors' exact prompt strings")
    parser.add_argument("--batch-size", type=int, default=8, help="transformers batch size (default 8)")
    parser.add_argument("--dtype", default="auto", choices=DTYPES, help="model dtype (default auto)")
    parser.add_argument("--max-new-tokens", type=int, help="override the model config's max_new_tokens")
    parser.add_argument("--temperature", type=float, help="override the model config's temperature")
    parser.add_argument("--seed", type=int, help="override the model config's seed")
    parser.add_argument("--alpaca-eval-062-quirk", action="store_true",
                        help="reproduce alpaca-eval 0.6.2's do_sample -> beam-search-width-1 decoding")
    parser.add_argument("--judge-model", help="judge model id (default: each benchmark's official judge)")
    parser.add_argument("--judge-base-url", help="OpenAI-compatible judge endpoint (default: api.openai.com "
                        "when the API key is set, else the embedded local judge)")
    parser.add_argument("--api-key-env", default="OPENAI_API_KEY", help="env var holding the judge API key")
    parser.add_argument("--local-judge", default=DEFAULT_MODEL,
                        help=f"registry model served as the embedded local judge (default: {DEFAULT_MODEL})")
    parser.add_argument("--reference-model", help="MT-Bench reference answers to grade against, by model name "
                        "(default: the judge's, as FastChat; gpt-4 for the embedded local judge)")
    parser.add_argument("--concurrency", type=int, default=16, help="parallel judge requests (default 16)")
    parser.add_argument("--max-retries", type=int, default=8, help="retries per judge request on 429/5xx/timeouts "
                        "/malformed answers (default 8)")
    parser.add_argument("--judge-timeout", type=float, default=120.0, help="seconds per judge request (default 120)")
    parser.add_argument("--judge-backoff", type=float, default=1.0,
                        help="initial retry backoff in seconds, doubled per attempt (default 1)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan (counts, cached, cost) and stop")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def _benchmarks(args: argparse.Namespace) -> list[str]:
    from harness.benchmarks import get_benchmark_class

    if args.benchmarks_single and args.benchmarks:
        raise HarnessError("give either --benchmarks or --benchmark, not both")
    raw = args.benchmarks_single or args.benchmarks or DEFAULT_BENCHMARKS
    names = [b.strip() for b in raw.split(",") if b.strip()]
    if not names:
        raise HarnessError("--benchmarks needs at least one benchmark")
    for name in names:
        get_benchmark_class(name)  # did-you-mean on typos, before any work
    return list(dict.fromkeys(names))


def _print_plan(plans: list, embedded: bool, judge_model: str | None) -> None:
    from harness.judges.client import price_for

    print(f"{'benchmark':<14}{'items':>7}{'gen units':>11}{'cached':>8}{'to do':>7}{'judged':>8}  judge cost (est.)")
    for p in plans:
        cost = "-"
        if p.needs_judge:
            per_in, per_out = JUDGE_TOKENS_PER_UNIT.get(p.benchmark, (1_000, 200))
            todo = max(p.n_items - p.judged_cached, 0)
            price = None if embedded else price_for(judge_model or "gpt-4-1106-preview")
            tokens = f"~{todo * per_in / 1e6:.2f}M in + {todo * per_out / 1e6:.2f}M out"
            cost = f"{tokens}, " + ("$0 (local judge)" if embedded else
                                    f"~${(todo * per_in * price[0] + todo * per_out * price[1]) / 1e6:.2f}"
                                    if price else "price unknown")
        print(f"{p.benchmark:<14}{p.n_items:>7}{p.generation_units:>11}{p.generations_cached:>8}"
              f"{p.generations_todo:>7}{(p.judged_cached if p.needs_judge else '-'):>8}  {cost}")


def run(args: argparse.Namespace) -> int:
    from harness.paths import default_results_dir
    from harness.pipeline import EMBEDDED_JUDGE_NOTE, Pipeline, RunOptions

    require_positive(args, "limit", "batch_size", "max_new_tokens", "concurrency")
    if args.max_retries < 0:
        raise HarnessError("--max-retries must be >= 0")
    if args.judge_timeout <= 0 or args.judge_backoff < 0:
        raise HarnessError("--judge-timeout must be > 0 and --judge-backoff >= 0")
    names = _benchmarks(args)
    if args.reference_model and "mt_bench" in names:  # a wrong name fails now, not after generation
        from harness.benchmarks.mt_bench.data import load_references

        load_references(args.data_dir, args.reference_model)
    opts = RunOptions(
        model=args.model, benchmarks=names, results_dir=args.results_dir or default_results_dir(),
        data_dir=args.data_dir, limit=args.limit, backend=args.backend, batch_size=args.batch_size,
        dtype=args.dtype, template=args.template, authors_exact=args.authors_exact,
        max_new_tokens=args.max_new_tokens, temperature=args.temperature, seed=args.seed,
        alpaca_eval_062_quirk=args.alpaca_eval_062_quirk, judge_model=args.judge_model,
        judge_base_url=args.judge_base_url, api_key_env=args.api_key_env, local_judge=args.local_judge,
        concurrency=args.concurrency, max_retries=args.max_retries, judge_timeout=args.judge_timeout,
        judge_backoff=args.judge_backoff, reference_model=args.reference_model, progress=not args.no_progress,
    )
    pipeline = Pipeline(opts)
    embedded = opts.judge_base_url is None and not os.environ.get(opts.api_key_env)
    plans = [pipeline.plan(name) for name in names]
    print(f"model: {pipeline.model.name} ({pipeline.model.model_id}); results: {opts.results_dir}")
    _print_plan(plans, embedded, opts.judge_model)
    if embedded and any(p.needs_judge for p in plans):
        from harness.model_loading import resolve_model

        resolve_model(opts.local_judge)  # an unknown --local-judge fails now, not after generation
        print("note: " + EMBEDDED_JUDGE_NOTE.format(judge=opts.local_judge))
    if args.dry_run:
        return 0
    from harness.jsonl import json_safe, write_json_atomic
    from harness.manifest import base_manifest
    from harness.results import safe_name

    per_benchmark: dict[str, dict] = {}
    incomplete: list[str] = []
    for name in names:
        payload = pipeline.run_benchmark(name)
        manifest = payload.get("manifest", {})
        per_benchmark[name] = {
            "metrics": payload.get("metrics", {}), "ci": payload.get("ci", {}),
            **{k: manifest.get(k) for k in ("template", "template_hash", "params", "backend", "run_config", "judge")},
        }
        print(f"{name}: {json.dumps(json_safe(payload.get('metrics', {})))}")
        failed = payload.get("details", {}).get("n_failed")
        if failed:
            incomplete.append(name)
            print(f"warning: {name}: {failed} judgment(s) failed and are left out of the scores; "
                  "rerun the same command to retry only those", file=sys.stderr)
    write_json_atomic(opts.results_dir / safe_name(pipeline.model.name) / "run_manifest.json", base_manifest(
        command="run", model=pipeline.model.name, model_id=pipeline.model.model_id, benchmarks=names,
        limit=opts.limit, data_dir=str(opts.data_dir) if opts.data_dir else None, benchmarks_detail=per_benchmark))
    _write_tables(opts.results_dir, pipeline.model.name)
    if incomplete:  # the scores above are partial: a script must not mistake them for final ones
        print(f"simpo-harness run: incomplete: failed judgments in {', '.join(incomplete)}; "
              "rerun the same command to retry them", file=sys.stderr)
        return 1
    return 0


def _write_tables(results_dir: Path, model_name: str) -> None:
    from harness.registry.models import load_registry
    from harness.tables.paper import add_reproduced, models_table
    from harness.tables.render import render

    registry = load_registry()
    rows, columns = models_table(registry, [model_name], results_dir)
    rows, columns = add_reproduced(rows, columns, results_dir)
    out_dir = results_dir / "tables"
    out_dir.mkdir(parents=True, exist_ok=True)
    from harness.results import safe_name

    for fmt, ext in (("markdown", "md"), ("csv", "csv"), ("latex", "tex")):
        (out_dir / f"{safe_name(model_name)}.{ext}").write_text(render(rows, columns, fmt), encoding="utf-8")
    print()
    print(render(rows, columns, "markdown"), end="")
    print(f"tables: {out_dir}/{safe_name(model_name)}.{{md,csv,tex}}")
