"""What the item browser reads from run directories, benchmark-agnostic.

Each benchmark's package has a ``report`` module (named by its spec's ``report``,
:class:`harness.benchmarks.spec.ReportSpec`) whose reader returns a :class:`ModelRun` for one
model's run directory: answers and verdicts by item id, plus what the run's own files say about
the items where the benchmark's data is not available. Its optional section hook returns
:class:`SectionExtras` (reference answers and their label). :func:`merge_runs` joins the runs of
all models with the benchmark's items. Readers only read files (``generations.jsonl`` through
:func:`harness.store.current_generations`, ``annotations.jsonl``, ``parsed.jsonl``).
"""

from __future__ import annotations

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
    """The benchmark's items, when they could be loaded (None otherwise), and the data dir."""

    items: list[BenchmarkItem] | None
    data_dir: Path | None = None

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


@dataclass
class SectionExtras:
    """What a benchmark adds to its section: reference answers per item (per turn) and whose they are."""

    references: dict[str, list[str]] | None = None
    reference_label: str | None = None
    notes: list[str] = field(default_factory=list)


def text_or_none(value: Any) -> str | None:
    """A non-blank string, else None (judge explanations, error messages)."""
    return value if isinstance(value, str) and value.strip() else None


def read_parsed(run_dir: Path, verdict: Callable[[dict[str, Any]], Verdict]) -> ModelRun:
    """Exact-answer benchmarks: answers, and ``verdict(row)`` of each per-item parse ``score`` wrote
    to parsed.jsonl (rows marked ``missing`` have no verdict; ``gold`` is kept)."""
    run = ModelRun(answers=turn_outputs(run_dir))
    run.order = list(run.answers)
    for row in read_jsonl(run_dir / "parsed.jsonl"):
        item_id = str(row.get("id"))
        if row.get("gold") is not None:
            run.golds[item_id] = str(row["gold"])
        if row.get("missing"):
            continue
        run.verdicts[item_id] = [verdict(row)]
    return run


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
