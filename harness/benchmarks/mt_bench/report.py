"""MT-Bench in the HTML report's item browser (``SPEC.report``): a grade per turn with the judge's
explanation, and FastChat's reference answers where the judge used them."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.report.data import Verdict
from harness.report.items import Context, ModelRun, SectionExtras, text_or_none, turn_outputs
from harness.store.jsonl import read_jsonl


def _rating_verdict(row: dict[str, Any]) -> Verdict:
    turn = int(row.get("turn", 1))
    if row.get("error") is not None:
        return Verdict(outcome="error", label="judge call failed", text=text_or_none(row.get("error")), turn=turn)
    score = row.get("score")
    ok = isinstance(score, (int, float)) and not isinstance(score, bool) and math.isfinite(score) and score != -1
    if not ok:
        return Verdict(outcome="unparsed", label="no rating", text=text_or_none(row.get("judgment")), turn=turn,
                       parse_failure=True)
    grade = float(score)
    return Verdict(outcome=str(min(10, max(0, round(grade)))), label=f"{grade:g}/10", score=grade,
                   text=text_or_none(row.get("judgment")), turn=turn)


def read_run(run_dir: Path, ctx: Context) -> ModelRun:
    """Answers per turn, the grades the score used, and the last failure of each turn not graded since."""
    from harness.benchmarks.base import scored_judge
    from harness.benchmarks.mt_bench.benchmark import MTBench

    run = ModelRun(answers=turn_outputs(run_dir))
    run.order = list(run.answers)
    path = run_dir / "annotations.jsonl"
    rows = MTBench().judgments(run_dir, scored_judge(run_dir))[1].judgments  # those the score used
    done = {(str(r["item_id"]), int(r["turn"])) for r in rows}
    failed = {(str(r["item_id"]), int(r["turn"])): r for r in read_jsonl(path)
              if r.get("error") is not None and str(r.get("item_id")) in run.answers}
    rows += [r for k, r in failed.items() if k not in done]
    for row in sorted(rows, key=lambda r: int(r.get("turn", 1))):
        run.verdicts.setdefault(str(row["item_id"]), []).append(_rating_verdict(row))
        run.judge_models.add(str(row.get("judge_model") or "unknown"))
        if row.get("reference_model"):
            run.reference_models.add(str(row["reference_model"]))
        if row.get("category"):
            run.categories[str(row["item_id"])] = str(row["category"])
    return run


def section(runs: dict[str, ModelRun], ctx: Context) -> SectionExtras:
    """FastChat's reference answers (math, reasoning, coding) of the judge's reference model."""
    from harness.benchmarks.mt_bench import data, protocol

    models = sorted({m for r in runs.values() for m in r.reference_models})
    if not models or ctx.items is None:
        return SectionExtras()
    try:
        refs, _ = data.load_references(ctx.data_dir, models[0])
    except HarnessError as exc:
        return SectionExtras(notes=[f"MT-Bench reference answers not loaded ({exc})"])
    needs = {it.item_id for it in ctx.items if protocol.needs_reference(it.category)}
    notes = [f"reference answers of {', '.join(models)} are used; only {models[0]}'s are shown"] if len(models) > 1 else []
    return SectionExtras(references={k: v for k, v in refs.items() if k in needs},
                         reference_label=f"{models[0]} reference answer", notes=notes)
