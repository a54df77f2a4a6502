"""AlpacaEval 2 in the HTML report's item browser (``SPEC.report``): each instruction's preference
between the reference answer and the model's."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from harness.report.data import Verdict
from harness.report.items import Context, ModelRun, SectionExtras, text_or_none, turn_outputs
from harness.store.jsonl import read_jsonl


def _preference(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def alpaca_verdict(row: dict[str, Any]) -> Verdict:
    """The model's side of one AlpacaEval preference (1 = the reference preferred, 2 = the model)."""
    p = _preference(row.get("preference"))
    if math.isnan(p):
        outcome = "error" if row.get("error") else "unparsed"
        return Verdict(outcome=outcome, label="no preference", text=text_or_none(row.get("error")))
    outcome = "win" if p > 1.5 else "loss" if p < 1.5 else "tie"
    return Verdict(outcome=outcome, label=f"preference {p:.3f}", score=p,
                   note="1 = reference preferred, 2 = model preferred")


def read_run(run_dir: Path, ctx: Context) -> ModelRun:
    """Answers and the last annotation row per instruction (as scoring reads them)."""
    run = ModelRun(answers=turn_outputs(run_dir))
    run.order = list(run.answers)
    ids = ctx.by_instruction()
    by_output = {out[0]: i for i, out in run.answers.items() if out}
    latest: dict[str, dict[str, Any]] = {}
    for row in read_jsonl(run_dir / "annotations.jsonl"):  # the last row per instruction wins, as scoring
        latest[str(row.get("instruction"))] = row
    for n, (instruction, row) in enumerate(latest.items()):
        item_id = (ids.get(instruction) or (str(row["item_id"]) if row.get("item_id") is not None else None)
                   or by_output.get(row.get("output_2")) or f"row {n + 1}")
        if item_id not in run.answers:
            run.order.append(item_id)
        run.questions[item_id] = [instruction]
        if isinstance(row.get("output_1"), str):
            run.references[item_id] = [row["output_1"]]
        if row.get("dataset"):
            run.categories[item_id] = str(row["dataset"])
        verdict = alpaca_verdict(row)
        current = run.answers.get(item_id)
        if current is None and isinstance(row.get("output_2"), str):
            run.answers[item_id] = [row["output_2"]]
        elif current is not None and isinstance(row.get("output_2"), str) and row["output_2"] != current[0]:
            verdict.note = "judged an earlier answer, not the one shown"
        run.verdicts[item_id] = [verdict]
        run.judge_models.add(str(row.get("judge_model") or row.get("annotator") or "unknown"))
    return run


def section(runs: dict[str, ModelRun], ctx: Context) -> SectionExtras:
    """The reference answers are the items' (else the annotations'); they are the reference generator's."""
    from harness.benchmarks.alpaca_eval.data import REFERENCE_GENERATOR

    gen = (ctx.items[0].metadata.get("generator_1") if ctx.items else None) or REFERENCE_GENERATOR
    return SectionExtras(reference_label=f"{gen} (reference answer)")
