"""`simpo-harness score`: score stored generations/annotations; calls no model and no API.

With --outputs / --annotations it re-scores external alpaca_eval-style files (JSON list, .json.gz
or JSONL) instead of a run directory.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
from pathlib import Path

from harness.errors import HarnessError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="model name (as used by 'generate'); optional with --outputs/--annotations")
    parser.add_argument("--benchmark", required=True, help="alpaca_eval, arena_hard, mt_bench, gsm8k, mmlu, gsm8k_lmeval")
    parser.add_argument("--results-dir", type=Path, help="results root (default: $SIMPO_HARNESS_RESULTS or results)")
    parser.add_argument("--data-dir", type=Path, help="benchmark data directory (reference, GLM weights, ...)")
    parser.add_argument("--outputs", type=Path, help="external model_outputs file to score (alpaca_eval format)")
    parser.add_argument("--annotations", type=Path, help="external annotations file to score (alpaca_eval format)")
    parser.add_argument("--out", type=Path, help="where to write scores.json (default: the run directory, or print)")


def _score_external(bench, args: argparse.Namespace) -> dict:
    if not hasattr(bench, "score_records"):
        raise HarnessError(f"--outputs/--annotations are supported for alpaca_eval, not {args.benchmark!r}")
    from harness.benchmarks.alpaca_eval import data as ae_data
    from harness.benchmarks.alpaca_eval import scoring

    outputs = ae_data.read_json_records(args.outputs) if args.outputs else None
    annotations = ae_data.read_json_records(args.annotations) if args.annotations else None
    src_out, src_ann = f"--outputs {args.outputs}", f"--annotations {args.annotations}"
    ann_fields = ("instruction",) if outputs is not None else ("instruction", "output_2")
    for source, rows, fields in ((src_out, outputs, ("instruction", "output")), (src_ann, annotations, ann_fields)):
        if rows is None:
            continue
        if not rows:
            raise HarnessError(f"{source}: the file has no records (empty list)")
        scoring.check_text_fields(rows, fields, source)
    if annotations is not None:
        # null/missing preferences are dropped as in alpaca-eval, but a file with none left is a mistake
        prefs = scoring.annotation_preferences(annotations, src_ann)
        if all(math.isnan(p) for p in prefs):
            raise HarnessError(f"{src_ann}: no row has a usable 'preference' (all {len(prefs)} are null or "
                               "missing); nothing to score")
    generator = args.model or _name(annotations, "generator_2") or _name(outputs, "generator")
    if not generator:
        raise HarnessError("cannot tell the model's name: pass --model")
    try:
        reference = ae_data.load_reference(args.data_dir)[0]
    except HarnessError:
        reference = None
    _check_rows(outputs, annotations, reference)
    return bench.score_records(generator, outputs, annotations, reference, args.data_dir,
                               outputs_source=src_out, annotations_source=src_ann)


def _name(rows: list | None, key: str) -> str | None:
    value = rows[0].get(key) if rows else None
    return value if isinstance(value, str) and value else None


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
    metrics = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)  # JSON has no NaN
               for k, v in payload.get("metrics", {}).items()}
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
