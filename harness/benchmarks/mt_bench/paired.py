"""MT-Bench's per-(question, turn) grades for ``compare`` (``MTBench.paired_values``)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.benchmarks.base import PairedValues, ScoreOptions
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.benchmarks.mt_bench.benchmark import MTBench


def turn_grades(judgments: Iterable[Mapping[str, Any]], source: str = "judgments") -> dict[tuple[str, int], float]:
    """MT-Bench single-grade judgments (``item_id`` or ``question_id``, ``turn``, ``score``) ->
    {(question, turn): score}.

    Score -1 (unparsed) and null are left out, as FastChat's show_result drops them; several valid
    grades of one (question, turn), e.g. a model judged twice, are averaged."""
    grades: dict[tuple[str, int], list[float]] = defaultdict(list)
    for i, j in enumerate(judgments):
        qid = j.get("item_id", j.get("question_id"))
        turn, score = j.get("turn"), j.get("score")
        if qid is None or isinstance(turn, bool) or not isinstance(turn, int):
            raise HarnessError(f"{source}: judgment {i} needs a question id and an integer turn"[:200])
        if score is None or score == -1:
            continue
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
            raise HarnessError(f"{source}: question {qid} turn {turn}: score must be a number (-1 when unparsed), "
                               f"got {score!r}"[:200])
        grades[(str(qid), turn)].append(float(score))
    return {k: sum(v) / len(v) for k, v in grades.items()}


def run_paired_values(bench: MTBench, run_dir: Path, options: ScoreOptions) -> list[PairedValues]:
    """The grades of the judgments the run's score used."""
    _, sel = bench.judgments(run_dir, options)
    if not sel.judgments:
        raise HarnessError(f"no MT-Bench judgments of the current generations in {run_dir}; nothing to compare")
    values = turn_grades(sel.judgments, str(Path(run_dir) / "annotations.jsonl"))
    return [PairedValues(metric=bench.spec.metrics[0].key, kind=bench.spec.paired_test or "wilcoxon", values=values)]
