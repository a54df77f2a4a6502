"""`simpo-harness score`: score stored generations/annotations; calls no model and no API.

Scores one judge at a time: the run directory's judge when it has one, else the one picked with
--judge-model (and --judge-base-url); judgments of several judges are never blended. A score
whose judgments or generations are incomplete is written, marked ``incomplete`` and exits 1
unless --allow-incomplete. With --outputs / --annotations it scores a benchmark's official files
directly instead of a run directory (AlpacaEval); `simpo-harness import` reads every official format.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from harness.cli import options
from harness.errors import HarnessError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="model name (as its results are stored); optional with --outputs/--annotations")
    options.add_benchmark_flags(parser, multi=False)
    parser.add_argument("--judge-model", help="score the judgments of this judge model (needed when several judged)")
    parser.add_argument("--judge-base-url", help="... and of this endpoint")
    options.add_store_flags(parser, incomplete=True)
    parser.add_argument("--outputs", type=Path, help="an official model_outputs file to score (AlpacaEval's JSON format)")
    parser.add_argument("--annotations", type=Path, help="an official annotations file to score (AlpacaEval's JSON format)")
    parser.add_argument("--out", type=Path, help="where to write scores.json (default: the run directory, or print)")
    parser.add_argument("--joint", action="store_true",
                        help="score every model of --results-dir together, for benchmarks whose leaderboard CIs come "
                        "from one joint bootstrap (Arena-Hard, as show_result.py v0.1); the default scores each model "
                        "alone (see the scores' ci_note)")


def run(args: argparse.Namespace) -> int:
    from harness.benchmarks import get_benchmark
    from harness.benchmarks.base import ScoreOptions
    from harness.pipeline.jobs import locate_run_dir
    from harness.pipeline.score_stage import incomplete_error, score_run_dir
    from harness.store import run_lock
    from harness.store.jsonl import json_safe, write_json_atomic

    store = options.store_settings(args)
    bench = get_benchmark(args.benchmark)
    if args.joint:
        return _score_joint(bench, store, args)
    if args.outputs or args.annotations:
        if not hasattr(bench, "score_files"):
            raise HarnessError(f"--outputs/--annotations score AlpacaEval's files; for {args.benchmark!r} use "
                               "'simpo-harness import' with the official files, then 'score'")
        payload = bench.score_files(args.outputs, args.annotations, store.data_dir, args.model)
        out = args.out
        if out is not None:
            write_json_atomic(out, payload)
    else:
        if not args.model:
            raise HarnessError("--model is required unless --outputs/--annotations is given")
        run_dir = locate_run_dir(store, args.model, args.benchmark)
        opts = ScoreOptions(data_dir=store.data_dir, judge_model=args.judge_model, judge_endpoint=args.judge_base_url)
        with run_lock(run_dir.path, wait=store.wait):
            payload = score_run_dir(bench, run_dir.path, opts, out=args.out)
        out = args.out or run_dir.scores
    details = payload.get("details", {})
    print(json.dumps(json_safe({"model": payload.get("model"), "benchmark": payload.get("benchmark"),
                                "metrics": payload.get("metrics", {}), "status": payload.get("status"),
                                **({"lc_status": details["lc_status"]} if "lc_status" in details else {})}), indent=2))
    if "lc_reason" in details:
        print(details["lc_reason"])
    if out is not None:
        print(f"scores: {out}")
    error = incomplete_error([payload])
    if error is not None and not store.allow_incomplete:
        raise error
    return 0


class _Scored:
    """A benchmark whose score of each run directory is already computed (``--joint``), so the
    score stage writes it with the usual manifest."""

    def __init__(self, bench: Any, payloads: dict[Path, dict[str, Any]]) -> None:
        self.name, self.needs_judge, self._payloads = bench.name, bench.needs_judge, payloads

    def score(self, run_path: Path, _options: Any) -> dict[str, Any]:
        return self._payloads[run_path]


def _score_joint(bench: Any, store: Any, args: argparse.Namespace) -> int:
    """``--joint``: every run directory of the benchmark with judgments, scored together under their locks."""
    import contextlib

    from harness.benchmarks.base import ScoreOptions
    from harness.pipeline.score_stage import incomplete_error, score_run_dir
    from harness.store import run_lock

    if not hasattr(bench, "score_joint") or args.model or args.outputs or args.annotations or args.out:
        raise HarnessError(f"--joint scores every model of --results-dir together (no --model/--outputs/--out); "
                           f"{bench.name!r} " + ("scores each model on its own" if not hasattr(bench, "score_joint")
                                                 else "takes none of those with --joint"))
    opts = ScoreOptions(data_dir=store.data_dir, judge_model=args.judge_model, judge_endpoint=args.judge_base_url)
    runs = bench.joint_runs(store.results_dir)
    with contextlib.ExitStack() as stack:
        for path in runs:
            stack.enter_context(run_lock(path, wait=store.wait))
        scored = _Scored(bench, bench.score_joint(runs, opts))
        payloads = [score_run_dir(scored, path, opts, extra_manifest={"joint": True}) for path in runs]
    for p in payloads:
        ci = p.get("ci", {}).get(bench.spec.metrics[0].key) or [None, None]
        print(f"{p['model']}: {p['metrics'].get(bench.spec.metrics[0].key)} ({ci[0]}, {ci[1]}) {p['status']}")
    error = incomplete_error(payloads)
    if error is not None and not store.allow_incomplete:
        raise error
    return 0
