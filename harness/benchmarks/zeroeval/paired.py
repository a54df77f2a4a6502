"""GSM8K / MMLU-Redux (ZeroEval) per-item correctness for ``compare``, from the ``parsed.jsonl`` the
score wrote (``ZeroEvalBenchmark.paired_values``; lm-eval's GSM8K reads its own parse fields)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from harness.benchmarks.zeroeval.benchmark import PARSED_FILE
from harness.errors import HarnessError
from harness.store.jsonl import read_jsonl


def item_correctness(rows: Iterable[Mapping[str, Any]], source: str = "parsed rows",
                     field: str = "matched") -> dict[str, bool]:
    """Parsed rows (``id``, ``field``: ``matched`` for ZeroEval, ``strict_match`` for lm-eval) -> {id: correct}.

    An unparsed answer is wrong (``field`` false), as in the score; a row marked ``missing`` (no
    generation for that item) is left out, so the item counts as present for the other model only.
    A later row for the same id replaces an earlier one."""
    out: dict[str, bool] = {}
    for i, r in enumerate(rows):
        if "id" not in r:
            raise HarnessError(f"{source}: row {i} has no 'id'")
        if r.get("missing"):
            out.pop(str(r["id"]), None)
            continue
        matched = r.get(field)
        if not isinstance(matched, bool):
            raise HarnessError(f"{source}: row {i} (id {r['id']!r}): {field!r} must be true or false, got {matched!r}")
        out[str(r["id"])] = matched
    return out


def parsed_rows(run_dir: Path) -> list[dict[str, Any]]:
    """The per-item parses the run's last score wrote (an error naming ``score`` when there are none)."""
    path = Path(run_dir) / PARSED_FILE
    if not path.is_file():
        raise HarnessError(f"no {PARSED_FILE} in {run_dir}: run 'simpo-harness score' on it first")
    return list(read_jsonl(path))
