"""`simpo-harness run`: plan, generate, judge, score and tabulate, resumable at every stage.

With no API key and no --judge-base-url, judged benchmarks use the embedded local judge (a small
model served on 127.0.0.1 by the harness): the output and every manifest say that those
judgments are not GPT-4's.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.cli import options

DEFAULT_BENCHMARKS = "mt_bench"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_model_flag(parser)
    options.add_benchmark_flags(parser, multi=True, default=DEFAULT_BENCHMARKS)
    options.add_generation_flags(parser)
    options.add_judge_flags(parser)
    options.add_store_flags(parser, incomplete=True, dry_run=True)


def format_plan(plans: Sequence, judge_label: str) -> str:
    """The plan as a table: items, generation units (cached / to do), judged items, judge calls and cost."""
    lines = [f"{'model':<28}{'benchmark':<14}{'items':>6}{'gen units':>10}{'cached':>8}{'to do':>7}"
             f"{'judged':>8}{'calls':>7}  judge cost (est.)"]
    for p in plans:
        cost = "-"
        if p.needs_judge:
            tokens = f"~{p.judge_tokens[0] / 1e6:.2f}M in + {p.judge_tokens[1] / 1e6:.2f}M out"
            price = ("price unknown" if p.judge_cost_usd is None else
                     "$0 (local judge)" if "embedded:" in judge_label else f"~${p.judge_cost_usd:.2f}")
            cost = f"{tokens}, {price}"
        lines.append(f"{p.model[:27]:<28}{p.benchmark:<14}{p.n_items:>6}{p.generation_units:>10}"
                     f"{p.generations_cached:>8}{p.generations_todo:>7}"
                     f"{(p.judged_items if p.needs_judge else '-'):>8}{(p.judge_calls_todo if p.needs_judge else '-'):>7}"
                     f"  {cost}")
    notes = sorted({n for p in plans for n in p.notes})
    return "\n".join(lines + [f"note: {n}" for n in notes])


def run(args: argparse.Namespace) -> int:
    from harness.pipeline.jobs import ModelSession
    from harness.pipeline.judge_stage import JudgeSession, format_usage
    from harness.pipeline.runner import plan_job, run_job
    from harness.pipeline.score_stage import incomplete_error
    from harness.pipeline.settings import EMBEDDED_JUDGE_NOTE

    names = options.benchmark_names(args, DEFAULT_BENCHMARKS)
    gen, judge, store = options.generation_settings(args), options.judge_settings(args), options.store_settings(args)
    check_judge_inputs(names, judge, store)
    session = ModelSession(args.model, store, gen.template)
    jobs = [session.job(name, gen) for name in names]
    plans = [plan_job(job, gen, judge) for job in jobs]
    print(f"model: {session.model.name} ({session.model.model_id}); results: {store.results_dir}")
    print(format_plan(plans, judge.endpoint))
    if judge.embedded and any(p.needs_judge for p in plans):
        print("note: " + EMBEDDED_JUDGE_NOTE.format(judge=judge.local_judge, key_env=judge.judge_api_key_env))
    if store.dry_run:
        from harness.pipeline.judge_cost import dry_run_costs

        costs = dry_run_costs(jobs, judge)
        if costs:
            print(costs)
        return 0
    judge_session = JudgeSession(judge, progress=store.progress)
    payloads = []
    try:
        for job in jobs:
            result = run_job(job, session, judge_session, gen, store)
            assert result.payload is not None
            payloads.append(result.payload)
            print(f"{job.name}: {json.dumps(_printable(result.payload))}")
            if result.judge is not None:
                print(f"{job.name} judge ({result.judge['judge_model']} @ {result.judge['judge_endpoint']}): "
                      f"{format_usage(result.judge['usage'], judge)}")
    finally:
        judge_session.close()
    _write_run_manifest(store, session, names, payloads)
    write_tables(store.results_dir, session.model.name)
    error = incomplete_error(payloads)
    if error is not None and not store.allow_incomplete:
        raise error
    return 0


def check_judge_inputs(names: Sequence[str], judge, store) -> None:
    """A wrong --reference-model or --local-judge fails now, not after generation."""
    from harness.benchmarks import get_benchmark
    from harness.pipeline.judge_stage import check_judge_covers, judge_options_for

    judged = [b for b in (get_benchmark(n) for n in names) if b.needs_judge]
    check_judge_covers(judge, [b.name for b in judged])
    for bench in judged:
        bench.check_judge_options(judge_options_for(judge, bench.spec, store.data_dir))
    if judge.embedded and judged:
        from harness.model_loading import resolve_model

        resolve_model(judge.local_judge)


def _printable(payload: dict) -> dict:
    from harness.store.jsonl import json_safe

    out = json_safe(payload.get("metrics", {}))
    if payload.get("status") == "incomplete":
        out["status"] = "incomplete"
    return out


def _write_run_manifest(store, session, names: list[str], payloads: list[dict]) -> None:
    from harness.manifest import base_manifest
    from harness.store.jsonl import write_json_atomic
    from harness.store.layout import safe_name

    detail = {p["benchmark"]: {"metrics": p.get("metrics", {}), "ci": p.get("ci", {}), "status": p.get("status"),
                               "generation": p.get("manifest", {}).get("generation"),
                               "judge": p.get("manifest", {}).get("judge")} for p in payloads}
    write_json_atomic(store.results_dir / safe_name(session.model.name) / "run_manifest.json", base_manifest(
        command="run", model=session.model.name, model_id=session.model.model_id, benchmarks=names,
        data_dir=str(store.data_dir) if store.data_dir else None, benchmarks_detail=detail))


def write_tables(results_dir: Path, model_name: str) -> None:
    from harness.registry.models import load_registry
    from harness.store.jsonl import write_text_atomic
    from harness.store.layout import safe_name
    from harness.tables.paper import add_reproduced, footnotes, models_table
    from harness.tables.render import render

    rows, columns = models_table(load_registry(), [model_name], results_dir)
    rows, columns = add_reproduced(rows, columns, results_dir)
    notes = footnotes(rows)
    out_dir = results_dir / "tables"
    for fmt, ext in (("markdown", "md"), ("csv", "csv"), ("latex", "tex")):
        write_text_atomic(out_dir / f"{safe_name(model_name)}.{ext}", render(rows, columns, fmt, notes))
    print()
    print(render(rows, columns, "markdown", notes), end="")
    print(f"tables: {out_dir}/{safe_name(model_name)}.{{md,csv,tex}}", file=sys.stdout)
