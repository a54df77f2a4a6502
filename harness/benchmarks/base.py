"""The benchmark contract.

A benchmark knows its items (loaded from the public source or ``--data-dir``), how an
item becomes chat messages, and how to score the files of a finished run. Scoring reads
only files under the run directory, so stored outputs can be re-scored without any model
or API call.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.judges.base import JudgeClient


@dataclass(frozen=True)
class BenchmarkItem:
    item_id: str
    turns: tuple[str, ...]  # user turns; MT-Bench has two, everything else one
    category: str = ""
    reference: Any = None  # gold answer or reference output, benchmark-specific
    metadata: dict[str, Any] = field(default_factory=dict)


class Benchmark(ABC):
    name: ClassVar[str]
    needs_judge: ClassVar[bool] = False

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

    def judge(self, run_dir: Path, client: JudgeClient, items: list[BenchmarkItem], **options: Any) -> None:
        """Judge the generations in ``run_dir`` into its annotations file (judged benchmarks only).

        Must be resumable: units already in the annotations file are not judged again.
        """
        raise HarnessError(f"benchmark {self.name!r} is scored without a judge; run 'score' directly")

    @abstractmethod
    def score(self, run_dir: Path) -> dict[str, Any]:
        """Compute scores from the files in ``run_dir``; calls no model or API.

        Returns the scores.json payload::

            {"benchmark": str, "model": str,
             "metrics": {<key>: float, ...},      # keys shared with the registry's published
                                                  # scores: ae2_lc, ae2_wr, ae2_length, ah,
                                                  # ah_length, mt_bench, gsm, gsm_length,
                                                  # mmlu, mmlu_length
             "ci": {<key>: [low, high], ...},     # where the benchmark has one (ah)
             "details": {...},                    # benchmark-specific (se, parse failures, ...)
             "n": int}
        """
