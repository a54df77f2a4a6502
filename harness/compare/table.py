"""Comparison results as table rows (markdown / csv / latex through ``harness.tables.render``, or JSON)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from harness.compare.core import Comparison
from harness.errors import HarnessError
from harness.tables.render import FORMATS, Column, render

ALPHA = 0.05
OUTPUT_FORMATS = (*FORMATS, "json")

COLUMNS = (
    Column("benchmark", "Benchmark"),
    Column("metric", "Metric"),
    Column("model_a", "A"),
    Column("model_b", "B"),
    Column("a", "A score", 2),
    Column("b", "B score", 2),
    Column("delta", "A-B", 3, signed=True),
    Column("ci", "95% CI", 3),
    Column("p", "p", 4),
    Column("p_holm", "p (Holm)", 4),
    Column("sig", "sig."),
    Column("n_paired", "n paired", 0),
    Column("n_only_a", "only A", 0),
    Column("n_only_b", "only B", 0),
    Column("method", "Test"),
    Column("rounds", "rounds", 0),
    Column("seed", "seed", 0),
    Column("note", "Note"),
)


def significant(result: Comparison, alpha: float = ALPHA) -> bool | None:
    """Whether the difference is significant at ``alpha``, on the Holm-adjusted p when there is one."""
    p = result.p_holm if result.p_holm is not None else result.p_value
    return None if p is None else p < alpha


def format_rows(results: Sequence[Comparison], alpha: float = ALPHA) -> list[dict[str, Any]]:
    """One row per comparison (keys of :data:`COLUMNS`); ``ci`` is ``[low, high]`` and ``sig`` is
    ``"*"`` when significant at ``alpha`` (Holm-adjusted p where :func:`holm` was applied)."""
    rows = []
    for r in results:
        ci = [r.ci_low, r.ci_high] if r.ci_low is not None and r.ci_high is not None else None
        sig = significant(r, alpha)
        rows.append({
            "benchmark": r.benchmark, "metric": r.metric, "model_a": r.model_a, "model_b": r.model_b,
            "a": r.a_value, "b": r.b_value, "delta": r.estimate, "ci": ci, "confidence": r.confidence,
            "p": r.p_value, "p_holm": r.p_holm, "sig": "*" if sig else ("" if sig is False else None),
            "n_paired": r.n_paired, "n_only_a": r.n_only_a, "n_only_b": r.n_only_b,
            "method": r.method, "kind": r.kind, "rounds": r.rounds, "seed": r.seed, "note": r.note,
        })
    return rows


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def render_comparisons(results: Sequence[Comparison], fmt: str = "markdown", alpha: float = ALPHA) -> str:
    """The comparison table as ``fmt`` (markdown, csv, latex or json); ends with a newline."""
    if fmt not in OUTPUT_FORMATS:
        raise HarnessError(f"unknown table format {fmt!r}; choose one of {', '.join(OUTPUT_FORMATS)}")
    rows = format_rows(results, alpha)
    if fmt == "json":
        payload = [{k: _json_safe(v) for k, v in row.items()} for row in rows]
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    return render(rows, COLUMNS, fmt)
