"""Arena-Hard v0.1 in the HTML report's item browser (``SPEC.report``): both games of each question
against the baseline, with the judge's verdict label and explanation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.report.data import Verdict
from harness.report.items import Context, ModelRun, SectionExtras, text_or_none, turn_outputs
from harness.store.jsonl import read_jsonl


def _game_outcome(label: Any, game: int) -> str:
    from harness.benchmarks.arena_hard.protocol import game_battles

    res = game_battles(label, game)
    if res is None:
        return "unparsed"
    return {"model_b": "win", "model_a": "loss"}.get(res[0], "tie")


def _verdict(g: dict[str, Any]) -> Verdict:
    game, baseline = int(g.get("game", 0)), str(g.get("baseline_model") or "the baseline")
    positions = f"A = {baseline}, B = the model" if game == 0 else f"A = the model, B = {baseline}"
    if g.get("error") is not None:
        return Verdict(outcome="error", label="judge call failed", text=text_or_none(g.get("error")),
                       game=game + 1, note=positions)
    outcome = _game_outcome(g.get("score"), game)
    return Verdict(outcome=outcome, label=str(g.get("score") or "no verdict"), text=text_or_none(g.get("judgment")),
                   game=game + 1, note=positions, parse_failure=outcome == "unparsed")


def read_run(run_dir: Path, ctx: Context) -> ModelRun:
    """Answers, the games the score used, and the last failure of each game not judged since."""
    from harness.benchmarks.arena_hard.benchmark import ArenaHard, answer_sha
    from harness.benchmarks.base import scored_judge

    run = ModelRun(answers=turn_outputs(run_dir))
    run.order = list(run.answers)
    current = {i: answer_sha(out[0]) for i, out in run.answers.items() if out}
    path = run_dir / "annotations.jsonl"
    games = ArenaHard().judgments(run_dir, scored_judge(run_dir))[1].judgments  # those the score used
    done = {(str(g["item_id"]), int(g["game"])) for g in games}
    failed = {(str(r["item_id"]), int(r.get("game", 0))): r for r in read_jsonl(path)  # the last failure per game
              if r.get("error") is not None and str(r.get("item_id")) in current
              and r.get("answer_sha256") in (None, current[str(r["item_id"])])}
    shown = games + [r for k, r in failed.items() if k not in done]
    for g in sorted(shown, key=lambda r: int(r.get("game", 0))):
        run.verdicts.setdefault(str(g["item_id"]), []).append(_verdict(g))
        run.judge_models.add(str(g.get("judge_model") or "unknown"))
        question = prompt_question(g.get("user_prompt"))
        if question is not None:
            run.questions.setdefault(str(g["item_id"]), [question])
    return run


def prompt_question(user_prompt: Any) -> str | None:
    """The question inside an Arena-Hard judge prompt (``<|User Prompt|>\\n{q}\\n\\n<|The Start of ...``)."""
    head, start = "<|User Prompt|>\n", "\n\n<|The Start of Assistant A's Answer|>"
    if not isinstance(user_prompt, str) or not user_prompt.startswith(head) or start not in user_prompt:
        return None
    return user_prompt[len(head):user_prompt.index(start)]


def section(runs: dict[str, ModelRun], ctx: Context) -> SectionExtras:
    """The reference answers are the baseline's."""
    from harness.benchmarks.arena_hard.protocol import BASELINE_MODEL

    baseline = (ctx.items[0].metadata.get("baseline_model") if ctx.items else None) or BASELINE_MODEL
    return SectionExtras(reference_label=f"{baseline} (baseline answer)")


def figures(results_dir: Path, run_dirs: list[str], data_dir: Path | None) -> Any:
    """The within-run view (verdict vs answer-token difference to the baseline) of the runs with
    judgments; needs the baseline answers (``data_dir`` or the public copy)."""
    from harness.analysis import plots_runs
    from harness.benchmarks.arena_hard import analysis
    from harness.benchmarks.arena_hard.spec import SPEC
    from harness.report.figures import FigureSet, as_figure

    dirs = [results_dir / d / SPEC.name for d in run_dirs if (results_dir / d / SPEC.name / "annotations.jsonl").is_file()]
    if not dirs:
        return FigureSet()
    baseline = analysis.load_baseline_answers(data_dir)
    runs = [analysis.load_arena_native(d, baseline) for d in dirs]
    style = {r.name: analysis.style_coefficients(r) for r in runs}
    fig = plots_runs.plot_arena_within_run(runs, style=style)
    return FigureSet(figures=[as_figure(fig, "Arena-Hard within each run", (
        "The model's outcome against the baseline by answer-token difference (binned, Wilson 95% CIs; ties "
        "count half), with the style-control length coefficient where it could be fitted, and token distributions."))])
