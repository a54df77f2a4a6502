"""`simpo-harness score`: score stored generations/annotations; calls no model and no API.

With --outputs / --annotations it re-scores external alpaca_eval-style files (JSON list, .json.gz
or JSONL) instead of a run directory.
"""

from __future__ import annotations

import argparse
import inspect
import json
from pathlib import Path

from harness.errors import HarnessError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="model name (as used by 'generate'); optional with --outputs/--annotations")
    parser.add_argument("--benchmark", required=True, help="alpaca_eval, arena_hard, mt_bench, gsm8k, mmlu")
    parser.add_argument("--results-dir", type=Path, help="results root (default: $SIMPO_HARNESS_RESULTS or results)")
    parser.add_argument("--data-dir", type=Path, help="benchmark data directory (reference, GLM weights, ...)")
    parser.add_argument("--outputs", type=Path, help="external model_outputs file to score (alpaca_eval format)")
    parser.add_argument("--annotations", type=Path, help="external annotations file to score (alpaca_eval format)")
    parser.add_argument("--out", type=Path, help="where to write scores.json (default: the run directory, or print)")


def _score_external(bench, args: argparse.Namespace) -> dict:
    if not hasattr(bench, "score_records"):
        raise HarnessError(f"--outputs/--annotations are supported for alpaca_eval, not {args.benchmark!r}")
    from harness.benchmarks.alpaca_eval import data as ae_data

    outputs = ae_data.read_json_records(args.outputs) if args.outputs else None
    annotations = ae_data.read_json_records(args.annotations) if args.annotations else None
    for name, rows, key in (("--outputs", outputs, "output"), ("--annotations", annotations, "preference")):
        if rows is not None and any(key not in r or "instruction" not in r for r in rows):
            raise HarnessError(f"{name}: every record needs 'instruction' and {key!r}")
    generator = args.model or (annotations[0].get("generator_2") if annotations else None) or \
        (outputs[0].get("generator") if outputs else None)
    if not generator:
        raise HarnessError("cannot tell the model's name: pass --model")
    try:
        reference = ae_data.load_reference(args.data_dir)[0]
    except HarnessError:
        reference = None
    _check_rows(outputs, annotations, reference)
    return bench.score_records(generator, outputs, annotations, reference, args.data_dir)


def _check_rows(outputs: list | None, annotations: list | None, reference: list | None) -> None:
    """Refuse files whose rows cannot be one per AlpacaEval instruction (a partial file is allowed)."""
    sets = {}
    for name, rows in (("--outputs", outputs), ("--annotations", annotations)):
        if rows is None:
            continue
        instructions = [r["instruction"] for r in rows]
        distinct = set(instructions)
        if len(distinct) != len(instructions):
            raise HarnessError(f"{name}: {len(instructions)} rows for {len(distinct)} distinct instructions "
                               "(AlpacaEval scores one row per instruction)")
        if reference is not None:
            unknown = distinct - {r["instruction"] for r in reference}
            if unknown:
                raise HarnessError(f"{name}: {len(unknown)} instruction(s) not in the AlpacaEval reference, "
                                   f"e.g. {sorted(unknown)[0][:60]!r}")
        sets[name] = distinct
    if len(sets) == 2 and sets["--outputs"] != sets["--annotations"]:
        raise HarnessError(f"--annotations cover {len(sets['--annotations'])} instructions but --outputs "
                           f"{len(sets['--outputs'])}; they must be the same instructions")


def run(args: argparse.Namespace) -> int:
    from harness.benchmarks import get_benchmark_class
    from harness.jsonl import write_json_atomic

    bench = get_benchmark_class(args.benchmark)()
    if args.outputs or args.annotations:
        payload = _score_external(bench, args)
        out = args.out
    else:
        if not args.model:
            raise HarnessError("--model is required unless --outputs/--annotations is given")
        from harness.cli.judge import find_run_dir

        run_dir = find_run_dir(args.results_dir, args.model, args.benchmark)
        kwargs = {"data_dir": args.data_dir} if "data_dir" in inspect.signature(bench.score).parameters else {}
        payload = bench.score(run_dir.path, **kwargs)
        out = args.out or run_dir.scores
    if out is not None:
        write_json_atomic(out, payload)
    metrics = payload.get("metrics", {})
    print(json.dumps({"model": payload.get("model"), "benchmark": payload.get("benchmark"), "metrics": metrics,
                      **({"lc_status": payload["details"]["lc_status"]} if "lc_status" in payload.get("details", {}) else {})},
                     indent=2))
    if "incomplete" in payload.get("details", {}):
        print(f"warning: {payload['details']['incomplete']} scored: not comparable to published numbers")
    if "lc_reason" in payload.get("details", {}):
        print(payload["details"]["lc_reason"])
    if out is not None:
        print(f"scores: {out}")
    return 0
