"""Per-benchmark readers: what one model's run directory holds for the item browser.

Each ``read_<benchmark>(run_dir, ctx)`` returns a :class:`ModelRun` (answers and verdicts by item
id, plus what the run's own files say about the items where the benchmark's data is not
available); :func:`merge_runs` joins the runs of all models with the benchmark's items. They
only read files (``generations.jsonl`` through :func:`harness.store.current_generations`,
``annotations.jsonl``, ``parsed.jsonl``) and are small so that each can later become a method of
its benchmark.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.benchmarks.base import BenchmarkItem
from harness.report.data import Item, Verdict
from harness.store.jsonl import read_jsonl


@dataclass
class ModelRun:
    answers: dict[str, list[str]] = field(default_factory=dict)  # item id -> output per turn
    verdicts: dict[str, list[Verdict]] = field(default_factory=dict)
    questions: dict[str, list[str]] = field(default_factory=dict)  # from the run's files (fallback)
    references: dict[str, list[str]] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    golds: dict[str, str] = field(default_factory=dict)
    judge_models: set[str] = field(default_factory=set)
    reference_models: set[str] = field(default_factory=set)
    order: list[str] = field(default_factory=list)  # item ids in the order first met


@dataclass
class Context:
    """The benchmark's items, when they could be loaded (None otherwise)."""

    items: list[BenchmarkItem] | None

    def by_instruction(self) -> dict[str, str]:
        return {it.turns[0]: it.item_id for it in self.items or []}


def turn_outputs(run_dir: Path) -> dict[str, list[str]]:
    """item id -> outputs of sample 0 per turn, of the last ``generate`` configuration."""
    from harness.store import current_generations

    if not (run_dir / "generations.jsonl").is_file():
        return {}
    by_turn: dict[str, dict[int, str]] = {}
    for rec in current_generations(run_dir):
        if rec.sample_index == 0:
            by_turn.setdefault(rec.item_id, {})[rec.turn] = rec.output
    return {i: [turns[t] for t in sorted(turns)] for i, turns in by_turn.items()}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


# --------------------------------------------------------------------------- AlpacaEval 2
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
        return Verdict(outcome=outcome, label="no preference", text=_text(row.get("error")))
    outcome = "win" if p > 1.5 else "loss" if p < 1.5 else "tie"
    return Verdict(outcome=outcome, label=f"preference {p:.3f}", score=p,
                   note="1 = reference preferred, 2 = model preferred")


def read_alpaca_eval(run_dir: Path, ctx: Context) -> ModelRun:
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


# --------------------------------------------------------------------------- Arena-Hard
def _game_outcome(label: Any, game: int) -> str:
    from harness.benchmarks.arena_hard.protocol import game_battles

    res = game_battles(label, game)
    if res is None:
        return "unparsed"
    return {"model_b": "win", "model_a": "loss"}.get(res[0], "tie")


def read_arena_hard(run_dir: Path, ctx: Context) -> ModelRun:
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
        game, baseline = int(g.get("game", 0)), str(g.get("baseline_model") or "the baseline")
        positions = f"A = {baseline}, B = the model" if game == 0 else f"A = the model, B = {baseline}"
        if g.get("error") is not None:
            verdict = Verdict(outcome="error", label="judge call failed", text=_text(g.get("error")),
                              game=game + 1, note=positions)
        else:
            outcome = _game_outcome(g.get("score"), game)
            verdict = Verdict(outcome=outcome, label=str(g.get("score") or "no verdict"), text=_text(g.get("judgment")),
                              game=game + 1, note=positions, parse_failure=outcome == "unparsed")
        run.verdicts.setdefault(str(g["item_id"]), []).append(verdict)
        run.judge_models.add(str(g.get("judge_model") or "unknown"))
        question = _prompt_question(g.get("user_prompt"))
        if question is not None:
            run.questions.setdefault(str(g["item_id"]), [question])
    return run


def _prompt_question(user_prompt: Any) -> str | None:
    """The question inside an Arena-Hard judge prompt (``<|User Prompt|>\n{q}\n\n<|The Start of ...``)."""
    head, start = "<|User Prompt|>\n", "\n\n<|The Start of Assistant A's Answer|>"
    if not isinstance(user_prompt, str) or not user_prompt.startswith(head) or start not in user_prompt:
        return None
    return user_prompt[len(head):user_prompt.index(start)]


# --------------------------------------------------------------------------- MT-Bench
def _rating_verdict(row: dict[str, Any]) -> Verdict:
    turn = int(row.get("turn", 1))
    if row.get("error") is not None:
        return Verdict(outcome="error", label="judge call failed", text=_text(row.get("error")), turn=turn)
    score = row.get("score")
    ok = isinstance(score, (int, float)) and not isinstance(score, bool) and math.isfinite(score) and score != -1
    if not ok:
        return Verdict(outcome="unparsed", label="no rating", text=_text(row.get("judgment")), turn=turn,
                       parse_failure=True)
    grade = float(score)
    return Verdict(outcome=str(min(10, max(0, round(grade)))), label=f"{grade:g}/10", score=grade,
                   text=_text(row.get("judgment")), turn=turn)


def read_mt_bench(run_dir: Path, ctx: Context) -> ModelRun:
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


# --------------------------------------------------------------------------- GSM8K / MMLU
def _exact_verdict(row: dict[str, Any]) -> Verdict:
    if "strict_match" in row:  # gsm8k_lmeval: strict-match is the scored metric
        parsed, ok = row.get("strict"), bool(row.get("strict_match"))
        failure = parsed in (None, "[invalid]")
        label = "strict-match " + ("correct" if ok else "wrong")
    else:  # ZeroEval
        parsed, ok, failure = row.get("model_answer"), bool(row.get("matched")), not row.get("parsed")
        label = "correct" if ok else "no answer parsed" if failure else "wrong"
    return Verdict(outcome="correct" if ok else "wrong", label=label, score=1.0 if ok else 0.0,
                   parse_failure=failure, parsed=None if parsed is None else str(parsed))


def read_exact(run_dir: Path, ctx: Context) -> ModelRun:
    """GSM8K / MMLU (ZeroEval) and gsm8k_lmeval: the per-item parses ``score`` wrote to parsed.jsonl."""
    run = ModelRun(answers=turn_outputs(run_dir))
    run.order = list(run.answers)
    for row in read_jsonl(run_dir / "parsed.jsonl"):
        item_id = str(row.get("id"))
        if row.get("gold") is not None:
            run.golds[item_id] = str(row["gold"])
        if row.get("missing"):
            continue
        run.verdicts[item_id] = [_exact_verdict(row)]
    return run


READERS: dict[str, tuple[str, Callable[[Path, Context], ModelRun]]] = {
    "alpaca_eval": ("pairwise", read_alpaca_eval),
    "arena_hard": ("games", read_arena_hard),
    "mt_bench": ("rating", read_mt_bench),
    "gsm8k": ("exact", read_exact),
    "mmlu": ("exact", read_exact),
    "gsm8k_lmeval": ("exact", read_exact),
}


# --------------------------------------------------------------------------- merge
def _question(it: BenchmarkItem) -> list[str]:
    question = it.metadata.get("question")  # ZeroEval GSM8K: the bare question, not the templated prompt
    return [question] if isinstance(question, str) else list(it.turns)


def _first(runs: dict[str, ModelRun], attr: str, item_id: str) -> Any:
    return next((getattr(r, attr)[item_id] for r in runs.values() if item_id in getattr(r, attr)), None)


def merge_runs(runs: dict[str, ModelRun], items: list[BenchmarkItem] | None, kind: str,
               references: dict[str, list[str]] | None = None) -> list[Item]:
    """One :class:`Item` per item any model has, in benchmark order (else order of first appearance).

    The item's ``reference`` is the reference / baseline answer for pairwise benchmarks (from
    ``references``, else the benchmark item, else the run's annotations) and its gold answer for
    exact-answer ones."""
    known = {it.item_id: it for it in items or []}
    seen: dict[str, None] = {}
    for run in runs.values():
        seen.update(dict.fromkeys(run.order))
        seen.update(dict.fromkeys(run.verdicts))
    ordered = [i for i in known if i in seen] + [i for i in seen if i not in known]
    out = []
    for item_id in ordered:
        it = known.get(item_id)
        reference = (references or {}).get(item_id)
        item_ref = None if it is None or it.reference is None else str(it.reference)
        if reference is None and kind in ("pairwise", "games") and item_ref is not None:
            reference = [item_ref]
        category = (it.metadata.get("cluster") or it.category) if it is not None else ""
        out.append(Item(
            item_id=item_id,
            turns=_question(it) if it is not None else (_first(runs, "questions", item_id) or []),
            category=str(category or _first(runs, "categories", item_id) or ""),
            reference=reference or _first(runs, "references", item_id),
            gold=_first(runs, "golds", item_id) or (item_ref if kind == "exact" else None),
            answers={m: r.answers[item_id] for m, r in runs.items() if item_id in r.answers},
            verdicts={m: r.verdicts[item_id] for m, r in runs.items() if item_id in r.verdicts},
        ))
    return out
