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


def _leaderboard(data_dir: Path | None, notes: list[str]) -> tuple[Any, str]:
    from harness.benchmarks.alpaca_eval.leaderboard import LEADERBOARD_NAME, load_leaderboard
    from harness.errors import HarnessError

    if data_dir is None:
        notes.append(f"no leaderboard backdrop: pass --data-dir holding leaderboards/{LEADERBOARD_NAME}.main.csv")
        return None, ""
    try:
        return load_leaderboard(data_dir)
    except HarnessError as exc:
        notes.append(f"no leaderboard backdrop: {exc}")
        return None, ""


def _points(results_dir: Path, run_dirs: list[str], lb: Any, lb_source: str) -> Any:
    """Registry points (seed table / leaderboard) and the runs of the report."""
    import pandas as pd

    from harness.analysis import across_models as am

    runs = am.run_points(results_dir)
    runs = runs[[Path(p).parent.parent.name in run_dirs for p in runs["source_detail"]]]
    frames = [f for f in (am.registry_points(lb, lb_source or "leaderboard"), runs) if not f.empty]
    return pd.concat(frames, ignore_index=True)


def figures(results_dir: Path, run_dirs: list[str], data_dir: Path | None) -> Any:
    """Length vs win rate across models (the leaderboard as backdrop where ``data_dir`` holds it) and,
    for the runs with annotations, the within-run view and the length-exploitation summary."""
    from harness.analysis import across_models as am
    from harness.analysis import plots, plots_runs
    from harness.benchmarks.alpaca_eval import analysis
    from harness.benchmarks.alpaca_eval.spec import SPEC
    from harness.report.figures import FigureSet, as_figure

    out = FigureSet()
    lb, lb_source = _leaderboard(data_dir, out.notes)
    points = _points(results_dir, run_dirs, lb, lb_source)
    backdrop = am.leaderboard_points(lb, lb_source) if lb is not None else None
    correlations = am.length_correlations(*([backdrop] if backdrop is not None else []), points, n_boot=1000)
    fig = plots.plot_across_models(points, backdrop, am.method_arrows(points), correlations)
    unplaced = am.unplaced(points)
    out.figures.append(as_figure(fig, "AlpacaEval 2: win rate and LC win rate vs length", (
        "Every registry model with a published (seed table) or leaderboard length, and the runs of this report "
        f"(reproduced / imported); grey: {len(backdrop) if backdrop is not None else 0} leaderboard models"
        + (f" ({lb_source})" if lb_source else "") + "; arrows: SFT / instruct starting point -> method, per setting. "
        f"{len(unplaced)} registry model(s) with published numbers but no length are not placed.")))
    bench_dirs = [results_dir / d / SPEC.name for d in run_dirs if (results_dir / d / SPEC.name / "annotations.jsonl").is_file()]
    runs = [analysis.load_alpaca_run(d, data_dir=data_dir, leaderboard=lb) for d in bench_dirs]
    if runs:
        out.figures.append(as_figure(plots_runs.plot_alpaca_within_run(runs), "AlpacaEval 2 within each run",
                                     "The judge's P(model wins) by length difference to the reference (binned, "
                                     "Wilson 95% CIs), the LC model's length term where GLM weights exist, and "
                                     "the length distributions."))
        out.figures.append(as_figure(plots_runs.plot_exploitation_summary(analysis.exploitation_summary(runs)),
                                     "AlpacaEval 2 length exploitation per run"))
    return out
