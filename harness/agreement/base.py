"""The contract a judged benchmark implements for ``judge-agreement`` (its package's ``agreement`` module).

A :class:`Unit` is one published judgment: one judge input (an AlpacaEval instruction, an
Arena-Hard game, an MT-Bench turn), the verdict the published judge gave (read with the
benchmark's own parser) and its raw output. An :class:`AgreementProtocol` reads a benchmark's
published files into units, sends the same inputs to another judge through the benchmark's judge
code, and says how verdicts compare (labels, a collapsed comparison, a per-unit score of the
judged model). The module of a benchmark is found from its spec (``<package>.agreement``), so no
code outside the benchmark's package names it.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.benchmarks.base import JudgeOptions
    from harness.judges.base import JudgeClient, JudgeRequest

NATIVE_FILE = "annotations.jsonl"  # a results directory's judgment log


@dataclass(frozen=True)
class RawOutput:
    """A judge's raw answer: its text and, where the protocol reads them, the top-logprobs per position."""

    content: str
    top_logprobs: list[list[dict[str, Any]]] | None = None


@dataclass(frozen=True)
class Unit:
    key: str  # "<model>|<item>|<part>", unique within a collection
    model: str  # the judged model
    item_id: str
    input_sha: str  # sha256 of the judge input: one unit per input (a judge is asked once per input)
    published: Any  # the published verdict, as the benchmark's own parser reads it
    raw: RawOutput | None  # the published raw judge output (what a replay server answers)
    source: str  # the file it was read from
    judge: str  # the published judge's model id
    fields: Mapping[str, Any] = field(default_factory=dict)  # what the protocol rebuilds the request from


@dataclass(frozen=True)
class NewVerdict:
    """The other judge's verdict on a unit: ``value`` None with ``error`` when the call failed for good."""

    value: Any
    error: str | None = None
    cached: bool = False


def input_sha(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


class AgreementProtocol(ABC):
    """How one benchmark's published judgments are read, re-judged and compared."""

    benchmark: ClassVar[str]
    kind: ClassVar[Literal["pairwise", "rating"]]
    collapsed: ClassVar[str]  # what the collapsed agreement means, for the report
    score_means: ClassVar[str]  # what the per-unit model score is, for the report
    patterns: ClassVar[tuple[str, ...]]  # glob patterns of published files under a directory
    chunk: ClassVar[int] = 64  # requests per complete_many (a batch client takes them all)

    @abstractmethod
    def load(self, path: Path) -> list[Unit]:
        """The units of one published file (or a results directory's ``annotations.jsonl``);
        judgments without a readable published verdict are left out."""

    @abstractmethod
    def requests(self, units: Sequence[Unit], options: JudgeOptions) -> list[JudgeRequest]:
        """The first judge request of each unit (what a cost estimate counts)."""

    @abstractmethod
    def judge(self, client: JudgeClient, units: Sequence[Unit], options: JudgeOptions) -> list[NewVerdict]:
        """Send every unit's input to ``client`` through the benchmark's judge code, in order."""

    @abstractmethod
    def label(self, verdict: Any) -> str | None:
        """The verdict's label on the benchmark's own scale (None: no verdict)."""

    def collapse(self, label: str) -> str | None:
        """The label on the collapsed scale, or None where the collapsed comparison is not by labels."""
        return label

    def agree_collapsed(self, a: str | None, b: str | None) -> bool:
        ca, cb = (None if x is None else self.collapse(x) for x in (a, b))
        return ca is not None and ca == cb

    @abstractmethod
    def score(self, unit: Unit, verdict: Any) -> float:
        """The judged model's score on this unit under ``verdict`` (NaN: no verdict)."""

    def find(self, root: Path) -> list[Path]:
        """Published files of this benchmark at ``root``: the file itself, a results directory
        (``annotations.jsonl``), or every match of :attr:`patterns` below a directory."""
        root = Path(root)
        if root.is_file():
            return [root]
        if (root / NATIVE_FILE).is_file():
            return [root / NATIVE_FILE]
        if not root.is_dir():
            raise HarnessError(f"--judgments {root}: no such file or directory")
        found = {p for pattern in self.patterns for p in root.glob(pattern) if p.is_file()}
        return sorted(found)


def _module_of(benchmark: str) -> str:
    from harness.benchmarks import get_spec

    spec = get_spec(benchmark)
    return spec.impl.partition(":")[0].rpartition(".")[0] + ".agreement"


def supported() -> list[str]:
    """Benchmarks with an ``agreement`` module (found without importing it)."""
    from harness.benchmarks import all_specs

    out = []
    for spec in all_specs():
        if spec.needs_judge and importlib.util.find_spec(_module_of(spec.name)) is not None:
            out.append(spec.name)
    return out


def protocol_for(benchmark: str) -> AgreementProtocol:
    """The agreement protocol of ``benchmark`` (a did-you-mean error for an unknown name)."""
    module = _module_of(benchmark)
    if importlib.util.find_spec(module) is None:
        raise HarnessError(f"judge-agreement supports {', '.join(supported())}; {benchmark!r} has no "
                           "agreement module")
    return importlib.import_module(module).PROTOCOL
