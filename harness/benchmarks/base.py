"""The benchmark contract.

A benchmark class implements its :class:`~harness.benchmarks.spec.BenchmarkSpec`: it loads its
items (public source or ``--data-dir``), turns an item into chat messages, judges the stored
generations of a run directory (judged benchmarks) and scores a run directory's files. Scoring
reads only files under the run directory (and the data), so stored outputs can be re-scored
without any model or API call. Every implementation takes the same arguments, so callers never
dispatch on signatures.

``score`` returns the scores.json payload::

    {"benchmark": str, "model": str,
     "metrics": {<metric key of the spec>: float | None, ...},
     "ci": {<key>: [low, high], ...},         # where the benchmark has one
     "details": {...},                         # benchmark-specific (se, parse failures, ...)
     "status": "complete" | "incomplete",
     "incomplete": {...} | None,               # counts and the reason, when incomplete
     "n": int}
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.benchmarks.spec import BenchmarkSpec
    from harness.judges.base import JudgeClient


@dataclass(frozen=True)
class BenchmarkItem:
    item_id: str
    turns: tuple[str, ...]  # user turns; MT-Bench has two, everything else one
    category: str = ""
    reference: Any = None  # gold answer or reference output, benchmark-specific
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JudgeOptions:
    """What a ``judge`` call may be told; None means the benchmark's official choice."""

    judge_model: str | None = None
    reference_model: str | None = None  # MT-Bench: whose reference answers (FastChat: the judge's)
    data_dir: Path | None = None
    max_tokens: int | None = None


@dataclass(frozen=True)
class ScoreOptions:
    """What a ``score`` call may be told: the data, and which judge's judgments to score."""

    data_dir: Path | None = None
    judge_model: str | None = None
    judge_endpoint: str | None = None


@dataclass(frozen=True)
class PairedValues:
    """One metric's per-item values of one run, for ``compare``'s paired test (``kind``, the spec's
    ``paired_test``): item key -> value (a number, a correctness flag, or a question's battle rows,
    see :func:`harness.compare.compare_items`). ``unavailable`` says why a metric has no values
    (then ``values`` is empty); ``note`` how they were made, printed with the comparison."""

    metric: str
    kind: str
    values: Mapping[Hashable, Any] = field(default_factory=dict)
    unavailable: str | None = None
    note: str | None = None


class Benchmark(ABC):
    spec: ClassVar[BenchmarkSpec]

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = Path(data_dir) if data_dir else None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def needs_judge(self) -> bool:
        return self.spec.needs_judge

    @abstractmethod
    def load_items(self, data_dir: Path | None = None, limit: int | None = None) -> list[BenchmarkItem]:
        """Load the benchmark items; raise HarnessError naming the missing file if unavailable."""

    def messages_for_turn(self, item: BenchmarkItem, turn: int, previous_outputs: list[str]) -> list[dict[str, str]]:
        """Chat messages for ``turn`` (0-based), given the model's outputs for earlier turns."""
        messages: list[dict[str, str]] = []
        for i in range(turn):
            messages.append({"role": "user", "content": item.turns[i]})
            messages.append({"role": "assistant", "content": previous_outputs[i]})
        messages.append({"role": "user", "content": item.turns[turn]})
        return messages

    def judge(self, run_dir: Path, client: JudgeClient, items: list[BenchmarkItem], options: JudgeOptions) -> None:
        """Judge the generations in ``run_dir`` into its annotations file (judged benchmarks only).

        Must be resumable: units already judged by the same judge on the same answer are skipped.
        """
        raise HarnessError(f"benchmark {self.name!r} is scored without a judge; run 'score' directly")

    def check_judge_options(self, options: JudgeOptions) -> None:  # noqa: B027 - optional hook
        """Raise now (before any generation) if ``options`` cannot work, e.g. missing references."""

    @abstractmethod
    def score(self, run_dir: Path, options: ScoreOptions) -> dict[str, Any]:
        """Compute scores from the files in ``run_dir``; calls no model or API (see module docstring)."""

    def paired_values(self, run_dir: Path, options: ScoreOptions) -> list[PairedValues]:
        """Per-item values of each compared metric, from exactly the judgments / parses the run's score
        used (``options`` names that judge; see :func:`scored_judge`). Reads files only."""
        raise HarnessError(f"benchmark {self.name!r} has no paired comparison")


def judge_details(judge: Any) -> dict[str, Any]:
    """The ``details`` fields naming the judge a score used (a :class:`harness.store.JudgeId` or None)."""
    if judge is None:
        return {"judge": None, "judge_model": None, "judge_endpoint": None}
    return {"judge": judge.label(), "judge_model": judge.model, "judge_endpoint": judge.endpoint}


def scored_judge(run_dir: Path) -> ScoreOptions:
    """Score options naming the judge the run directory's scores.json used (readers show those judgments)."""
    import json

    try:
        details = json.loads((Path(run_dir) / "scores.json").read_text(encoding="utf-8")).get("details", {})
    except (OSError, ValueError, AttributeError):
        details = {}
    return ScoreOptions(judge_model=details.get("judge_model"), judge_endpoint=details.get("judge_endpoint"))


def completeness(*, n_expected: int, n_scored: int, what: str, n_failed: int = 0, n_stale: int = 0,
                 n_ungenerated: int = 0) -> dict[str, Any]:
    """``status`` and ``incomplete`` fields of a score: complete when every expected unit is scored.

    ``n_expected`` units (judged units, or items for unjudged benchmarks) of the run's selection;
    ``n_scored`` of them have a usable result. Units the official tool itself drops (a judgment
    without a verdict, an unparsable rating or answer) count as scored: the official number
    excludes them too. Failed calls, units never judged, stale judgments and items never generated
    make a score incomplete.
    """
    missing = max(n_expected - n_scored, 0)
    if missing == 0:
        return {"status": "complete", "incomplete": None}
    parts = [f"{n_scored} of {n_expected} {what} scored"]
    if n_failed:
        parts.append(f"{n_failed} judge call(s) failed")
    if n_ungenerated:
        parts.append(f"{n_ungenerated} item(s) not generated")
    not_judged = missing - n_failed - n_ungenerated
    if n_stale and not_judged > 0:
        parts.append(f"{min(n_stale, not_judged)} judged on answers that are no longer the current generations")
    elif not_judged > 0:
        parts.append(f"{not_judged} not judged")
    return {"status": "incomplete", "incomplete": {
        "n_expected": n_expected, "n_scored": n_scored, "n_failed": n_failed, "n_stale": n_stale,
        "n_ungenerated": n_ungenerated, "reason": "; ".join(parts)}}
