"""GSM8K / MMLU-Redux (ZeroEval) in the HTML report's item browser (``SPEC.report``): the answer
parsed from each output against the gold one, as the score parsed it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.report.data import Verdict
from harness.report.items import Context, ModelRun, read_parsed


def zeroeval_verdict(row: dict[str, Any]) -> Verdict:
    parsed, ok, failure = row.get("model_answer"), bool(row.get("matched")), not row.get("parsed")
    label = "correct" if ok else "no answer parsed" if failure else "wrong"
    return Verdict(outcome="correct" if ok else "wrong", label=label, score=1.0 if ok else 0.0,
                   parse_failure=failure, parsed=None if parsed is None else str(parsed))


def read_run(run_dir: Path, ctx: Context) -> ModelRun:
    """The per-item parses ``score`` wrote to parsed.jsonl."""
    return read_parsed(run_dir, zeroeval_verdict)
