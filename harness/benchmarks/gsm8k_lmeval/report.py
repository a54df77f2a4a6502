"""GSM8K 5-shot (lm-eval) in the HTML report's item browser (``SPEC.report``): the strict-match
answer (the scored metric) against the gold one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.report.data import Verdict
from harness.report.items import Context, ModelRun, read_parsed


def strict_verdict(row: dict[str, Any]) -> Verdict:
    from harness.benchmarks.gsm8k_lmeval.benchmark import FALLBACK

    parsed, ok = row.get("strict"), bool(row.get("strict_match"))
    return Verdict(outcome="correct" if ok else "wrong", label="strict-match " + ("correct" if ok else "wrong"),
                   score=1.0 if ok else 0.0, parse_failure=parsed in (None, FALLBACK),
                   parsed=None if parsed is None else str(parsed))


def read_run(run_dir: Path, ctx: Context) -> ModelRun:
    """The per-item parses ``score`` wrote to parsed.jsonl."""
    return read_parsed(run_dir, strict_verdict)
