"""The generation store: append-only JSONL, one :class:`GenerationRecord` per (item, turn, sample).

Each record is keyed by a SHA-256 over everything that determines the output (model id and
revision, template hash, decoding parameters, seed, prompt id, turn, sample index) and is
appended (flushed + fsynced, see :mod:`harness.store.jsonl`) as soon as it finishes. A killed run
leaves at most a torn last line, which is dropped; a rerun skips every key already present,
so no row is ever lost or written twice.

:func:`current_generations` is the one reader every benchmark, exporter and report uses: the
records of the current generate configuration (``generation_manifest.json``'s ``run_config``), the
latest per (item, turn, sample), in benchmark item order.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.store.jsonl import append_jsonl, read_json, read_jsonl
from harness.store.layout import GENERATION_MANIFEST, GENERATIONS, RunDir


def generation_key(*, model_id: str, template_hash: str, params: dict[str, Any], seed: int, item_id: str,
                   turn: int, sample_index: int) -> str:
    """The cache key of one generation; any change to an input gives a new key."""
    payload = {
        "model": model_id, "template_hash": template_hash, "params": params, "seed": seed,
        "item_id": str(item_id), "turn": int(turn), "sample_index": int(sample_index),
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class GenerationRecord:
    """One stored generation. ``extra`` keeps fields this version does not know (forward compatible)."""

    key: str
    item_id: str
    output: str
    model: str
    turn: int = 0
    sample_index: int = 0
    item_index: int | None = None
    model_id: str = ""
    benchmark: str = ""
    prompt: str = ""
    num_prompt_tokens: int = 0
    num_output_tokens: int = 0
    finish_reason: str = ""
    seconds: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    template: str | None = None
    template_hash: str = ""
    backend: str = ""
    run_config: str | None = None
    created: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, rec: Any, where: str = "generation record") -> GenerationRecord:
        """A checked record: a hand-edited or foreign line is one clear error, not a KeyError later."""
        ok = (isinstance(rec, dict) and isinstance(rec.get("key"), str) and isinstance(rec.get("output"), str)
              and isinstance(rec.get("item_id"), (str, int)) and not isinstance(rec.get("item_id"), bool)
              and all(isinstance(rec.get(f, 0), int) and not isinstance(rec.get(f, 0), bool)
                      for f in ("turn", "sample_index")))
        if not ok:
            shown = json.dumps(rec, ensure_ascii=False)[:120] if not isinstance(rec, dict) else f"fields {sorted(rec)[:8]}"
            raise HarnessError(f"{where} is not a generation record (needs a string key and output, an "
                               f"item_id and integer turn/sample_index; got {shown})")
        known = {f.name for f in fields(cls)} - {"extra"}
        values = {k: v for k, v in rec.items() if k in known}
        values["item_id"] = str(rec["item_id"])
        values["model"] = str(rec.get("model") or "")
        return cls(**values, extra={k: v for k, v in rec.items() if k not in known})

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        extra = d.pop("extra")
        return {**d, **extra}


class GenerationStore:
    """Append-only store of generation records at ``path`` (normally ``RunDir.generations``)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._records: dict[str, GenerationRecord] | None = None
        self._repaired = False

    def load(self) -> dict[str, GenerationRecord]:
        """All records by key (the first record wins should a key ever appear twice)."""
        out: dict[str, GenerationRecord] = {}
        for n, rec in enumerate(read_jsonl(self.path, what="generation record"), 1):
            record = GenerationRecord.from_dict(rec, f"{self.path}: record {n}")
            out.setdefault(record.key, record)
        self._records = out
        return dict(out)

    def __contains__(self, key: str) -> bool:
        if self._records is None:
            self.load()
        assert self._records is not None
        return key in self._records

    def append(self, record: GenerationRecord) -> bool:
        """Append one finished record; returns False (and writes nothing) if its key is stored."""
        if record.key in self:
            return False
        append_jsonl(self.path, [record.to_dict()], repair=not self._repaired)
        self._repaired = True  # once per store: later appends only follow our own complete lines
        assert self._records is not None
        self._records[record.key] = record
        return True


def read_generation_manifest(run_path: Path) -> dict[str, Any]:
    path = Path(run_path) / GENERATION_MANIFEST
    if not path.is_file():
        return {}
    data = read_json(path, "generation manifest")
    return data if isinstance(data, dict) else {}


def current_generations(run: RunDir | Path, *, all_configs: bool = False) -> list[GenerationRecord]:
    """The generations of a run directory, sorted by (benchmark item order, turn, sample index).

    By default only records of the configuration of the last ``generate`` (model id, template
    hash, decoding params and seed, hashed into the records' ``run_config``; see
    ``generation_manifest.json``) are returned, so a rerun with other settings in the same
    directory does not mix outputs. ``all_configs`` returns every record, keeping the latest
    one per (item, turn, sample).
    """
    path = run.path if isinstance(run, RunDir) else Path(run)
    records = list(GenerationStore(path / GENERATIONS).load().values())
    run_config = read_generation_manifest(path).get("run_config")
    if not all_configs and run_config:
        records = [r for r in records if r.run_config == run_config]
    order: dict[str, tuple[int, int]] = {}
    latest: dict[tuple[str, int, int], GenerationRecord] = {}
    for n, rec in enumerate(records):
        idx = rec.item_index if isinstance(rec.item_index, int) else 1 << 62
        order[rec.item_id] = (idx, order.get(rec.item_id, (0, n))[1])
        latest[(rec.item_id, rec.turn, rec.sample_index)] = rec
    return sorted(latest.values(), key=lambda r: (order[r.item_id], r.turn, r.sample_index))


def first_answers(records: list[GenerationRecord]) -> dict[str, GenerationRecord]:
    """item id -> the turn-0, sample-0 record (single-turn benchmarks' answers), in item order."""
    return {r.item_id: r for r in records if r.turn == 0 and r.sample_index == 0}


def turn_answers(records: list[GenerationRecord]) -> dict[tuple[str, int], str]:
    """(item id, 0-based turn) -> sample 0's output (multi-turn benchmarks)."""
    return {(r.item_id, r.turn): r.output for r in records if r.sample_index == 0}
