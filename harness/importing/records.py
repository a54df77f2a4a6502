"""What an official-format reader hands back: one :class:`ImportedRun` per (model, benchmark),
built with :class:`RunBuilder` (deterministic keys, conflicts between files refused, prompt
checks counted and listed per record)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.store import GenerationRecord

# fields that say where a row came from; they are not part of its content (round trips ignore them)
PROVENANCE = ("source", "source_file", "source_line", "source_index")
MAX_LISTED_CHECKS = 1000


def content_key(payload: dict[str, Any]) -> str:
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def annotation_key(row: dict[str, Any]) -> str:
    """The identity of an imported judgment row: its content without provenance."""
    return content_key({k: v for k, v in row.items() if k not in PROVENANCE and k != "import_key"})


@dataclass
class ReadOptions:
    """What a reader is told: ``model`` renames the (single) model of the files, ``benchmark``
    restricts a format that serves several, ``limit`` keeps the first N records of each file,
    ``data_dir`` is where the benchmark's own data is (for ids, orders and prompt checks)."""

    model: str | None = None
    benchmark: str | None = None
    limit: int | None = None
    data_dir: Path | None = None
    _seen: dict[str, str] = field(default_factory=dict)

    def name(self, found: str, origin: str) -> str:
        """The stored name of a model the files call ``found`` (``--model`` renames one model only)."""
        if self.model is None:
            return found
        self._seen.setdefault(found, origin)
        if len(self._seen) > 1:
            a, b = list(self._seen.items())[:2]
            raise HarnessError(f"--model names one model, but the files hold several: {a[0]!r} ({a[1]}) and "
                               f"{b[0]!r} ({b[1]}); import them without --model, or one at a time")
        return self.model

    def cut(self, records: list[Any]) -> list[Any]:
        return records[: self.limit] if self.limit is not None else records


@dataclass
class PromptChecks:
    """Judge prompts (or judged answers) of the official file compared with ours, per record."""

    counts: Counter = field(default_factory=Counter)  # match / differs / unchecked
    differences: list[dict[str, Any]] = field(default_factory=list)
    unchecked: Counter = field(default_factory=Counter)  # reason -> records

    def match(self) -> None:
        self.counts["match"] += 1

    def differs(self, origin: str, item_id: str, unit: str, what: str) -> None:
        self.counts["differs"] += 1
        if len(self.differences) < MAX_LISTED_CHECKS:
            self.differences.append({"source": origin, "item_id": item_id, "unit": unit, "what": what})

    def skip(self, reason: str) -> None:
        self.counts["unchecked"] += 1
        self.unchecked[reason] += 1

    def to_dict(self) -> dict[str, Any]:
        return {"match": self.counts["match"], "differs": self.counts["differs"],
                "unchecked": self.counts["unchecked"], "unchecked_reasons": dict(self.unchecked),
                "differences": self.differences,
                "differences_listed": f"first {MAX_LISTED_CHECKS}" if self.counts["differs"] > MAX_LISTED_CHECKS
                else "all"}


@dataclass
class ImportedRun:
    """One model's records on one benchmark, read from official files, ready for the store."""

    model: str
    benchmark: str
    format: str
    tool: str
    model_id: str
    generations: list[GenerationRecord]
    annotations: list[dict[str, Any]]
    sources: list[str]
    judge: dict[str, Any] | None
    notes: list[str]
    checks: PromptChecks
    side_files: dict[str, list[dict[str, Any]]]
    run_config: str

    @property
    def n_samples(self) -> int:
        return 1 + max((g.sample_index for g in self.generations), default=0)


class RunBuilder:
    """Collects one (model, benchmark)'s generations and judgments from one or more files.

    The same (item, turn, sample) given twice with different text is refused (naming both places);
    given twice with the same text it is kept once.
    """

    def __init__(self, fmt: str, tool: str, model: str, benchmark: str) -> None:
        self.format, self.tool, self.model, self.benchmark = fmt, tool, model, benchmark
        self.model_id = ""
        self._gens: dict[tuple[str, int, int], tuple[dict[str, Any], str]] = {}
        self.annotations: list[dict[str, Any]] = []
        self.sources: list[str] = []
        self.judge: dict[str, Any] | None = None
        self.notes: list[str] = []
        self.checks = PromptChecks()
        self.side_files: dict[str, list[dict[str, Any]]] = {}

    def source(self, path: Path | str) -> None:
        if str(path) not in self.sources:
            self.sources.append(str(path))

    def output(self, item_id: str, turn: int = 0, sample: int = 0) -> str | None:
        got = self._gens.get((item_id, turn, sample))
        return got[0]["output"] if got else None

    def outputs(self) -> dict[tuple[str, int, int], str]:
        return {k: v[0]["output"] for k, v in self._gens.items()}

    def add_output(self, item_id: str, output: str, origin: str, *, turn: int = 0, sample: int = 0,
                   item_index: int | None = None, num_output_tokens: int = 0, created: float | None = None,
                   extra: dict[str, Any] | None = None, replace: bool = False) -> None:
        key = (item_id, turn, sample)
        if key in self._gens and not replace:
            prev, where = self._gens[key]
            if prev["output"] != output:
                raise HarnessError(f"{origin}: field 'output' of model {self.model!r}, item {item_id}, turn {turn + 1}"
                                   f" differs from {where}: the model is given twice with different content")
            return
        values = {"output": output, "item_index": item_index, "num_output_tokens": int(num_output_tokens or 0),
                  "created": created, "extra": {**(extra or {}), "source": origin}}
        self._gens[key] = (values, origin)

    def update_extra(self, item_id: str, turn: int, sample: int, **extra: Any) -> None:
        self._gens[(item_id, turn, sample)][0]["extra"].update(extra)

    def build(self) -> ImportedRun:
        """The run, its records keyed deterministically: a record's key hashes its content and the
        run's ``run_config`` (which hashes every record's content), so re-importing the same files
        gives the same keys (a no-op) and another import of the model never shares a key with it."""
        entries = sorted(self._gens.items(), key=_order)
        contents = [content_key({"import": self.format, "model": self.model, "benchmark": self.benchmark,
                                 "item_id": i, "turn": t, "sample_index": s, "output": v["output"]})
                    for (i, t, s), (v, _) in entries]
        run_config = content_key({"import": self.format, "model": self.model, "benchmark": self.benchmark,
                                  "records": sorted(contents)})
        gens = []
        for content, ((item_id, turn, sample), (v, _)) in zip(contents, entries, strict=True):
            gens.append(GenerationRecord(
                key=content_key({"record": content, "run_config": run_config}), item_id=item_id,
                output=v["output"], model=self.model, turn=turn, sample_index=sample, item_index=v["item_index"],
                model_id=self.model_id or self.model, benchmark=self.benchmark,
                num_output_tokens=v["num_output_tokens"], backend=f"import:{self.format}", run_config=run_config,
                created=v["created"], extra=v["extra"]))
        rows = [{**r, "import_key": annotation_key(r)} for r in self.annotations]
        return ImportedRun(model=self.model, benchmark=self.benchmark, format=self.format, tool=self.tool,
                           model_id=self.model_id or self.model, generations=gens, annotations=rows,
                           sources=list(self.sources), judge=self.judge, notes=list(self.notes), checks=self.checks,
                           side_files=dict(self.side_files), run_config=run_config)


def _order(entry: tuple[tuple[str, int, int], tuple[dict[str, Any], str]]) -> tuple:
    (item_id, turn, sample), (v, _) = entry
    idx = v["item_index"]
    return (sample, idx if isinstance(idx, int) else 1 << 62)  # stable: file order otherwise
