"""Scoring alpaca_eval's own files directly (``score --outputs/--annotations``): a model_outputs
file, an annotations file, or both, checked row by row before anything is computed."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from harness.benchmarks.alpaca_eval import data as ae_data
from harness.benchmarks.alpaca_eval import scoring
from harness.errors import HarnessError
from harness.store.jsonl import read_records


def score_files(bench: Any, *, outputs_path: Path | None, annotations_path: Path | None, data_dir: Path | None,
                model: str | None) -> dict[str, Any]:
    """The scores.json payload of alpaca_eval-format files (JSON list, .json.gz or JSONL)."""
    outputs = read_records(outputs_path, what="model outputs") if outputs_path else None
    annotations = read_records(annotations_path, what="annotations") if annotations_path else None
    src_out, src_ann = f"--outputs {outputs_path}", f"--annotations {annotations_path}"
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
    generator = model or _name(annotations, "generator_2") or _name(outputs, "generator")
    if not generator:
        raise HarnessError("cannot tell the model's name: pass --model")
    try:
        reference = ae_data.load_reference(data_dir)[0]
    except HarnessError:
        reference = None
    _check_rows(outputs, annotations, reference)
    payload = bench.score_records(generator, outputs, annotations, reference, data_dir, outputs_source=src_out,
                                  annotations_source=src_ann)
    n_rows = len(annotations if annotations is not None else outputs or [])
    n_set = reference and len(reference) or bench.spec.n_items
    payload["status"] = "complete" if n_rows >= n_set else "incomplete"
    payload["incomplete"] = None if n_rows >= n_set else {
        "n_expected": n_set, "n_scored": n_rows, "n_failed": 0, "n_stale": 0, "n_ungenerated": n_set - n_rows,
        "reason": f"{n_rows} of {n_set} instructions in the file"}
    return payload


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
