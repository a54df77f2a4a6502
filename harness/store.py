"""The generation store: append-only JSONL, one record per (item, turn, sample).

Each record is keyed by a SHA-256 over everything that determines the output (model id and
revision, template hash, decoding parameters, seed, prompt id, turn, sample index) and is
appended (flushed + fsynced, see :mod:`harness.jsonl`) as soon as it finishes. A killed run
leaves at most a torn last line, which is dropped; a rerun skips every key already present,
so no row is ever lost or written twice.

Record fields::

    key, item_id, item_index, turn, sample_index, model, model_id, benchmark, prompt, output,
    num_prompt_tokens, num_output_tokens, finish_reason, seconds, params, seed, template,
    template_hash, backend, run_config, created
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.jsonl import read_jsonl, repair_torn_tail
from harness.results import RunDir

REQUIRED_FIELDS = (
    "key", "item_id", "turn", "sample_index", "model", "prompt", "output", "num_prompt_tokens",
    "num_output_tokens", "finish_reason", "seconds", "params", "template_hash",
)

GENERATION_MANIFEST = "generation_manifest.json"


def generation_key(*, model_id: str, template_hash: str, params: dict[str, Any], seed: int, item_id: str,
                   turn: int, sample_index: int) -> str:
    """The cache key of one generation; any change to an input gives a new key."""
    payload = {
        "model": model_id, "template_hash": template_hash, "params": params, "seed": seed,
        "item_id": str(item_id), "turn": int(turn), "sample_index": int(sample_index),
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _check_record(rec: Any, path: Path, n: int) -> None:
    """A hand-edited or foreign line is one clear error, not a KeyError deep inside scoring."""
    ok = (isinstance(rec, dict) and isinstance(rec.get("key"), str) and isinstance(rec.get("output"), str)
          and isinstance(rec.get("item_id"), (str, int)) and not isinstance(rec.get("item_id"), bool)
          and all(isinstance(rec.get(f, 0), int) and not isinstance(rec.get(f, 0), bool)
                  for f in ("turn", "sample_index")))
    if not ok:
        shown = json.dumps(rec, ensure_ascii=False)[:120] if not isinstance(rec, dict) else f"fields {sorted(rec)[:8]}"
        raise HarnessError(f"{path}: record {n} is not a generation record (needs a string key and output, an "
                           f"item_id and integer turn/sample_index; got {shown})")


class GenerationStore:
    """Append-only store of generation records at ``path`` (normally ``RunDir.generations``)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._keys: set[str] | None = None
        self._repaired = False

    def load(self) -> dict[str, dict[str, Any]]:
        """All records by key (the first record wins should a key ever appear twice)."""
        out: dict[str, dict[str, Any]] = {}
        for n, rec in enumerate(read_jsonl(self.path), 1):
            _check_record(rec, self.path, n)
            out.setdefault(rec["key"], rec)
        self._keys = set(out)
        return out

    def __contains__(self, key: str) -> bool:
        if self._keys is None:
            self.load()
        assert self._keys is not None
        return key in self._keys

    def append(self, record: dict[str, Any]) -> bool:
        """Append one finished record; returns False (and writes nothing) if its key is stored."""
        missing = [f for f in REQUIRED_FIELDS if f not in record]
        if missing:
            raise ValueError(f"generation record lacks {missing}")
        if record["key"] in self:
            return False
        if not self._repaired:  # once per store: later appends only follow our own complete lines
            self.path.parent.mkdir(parents=True, exist_ok=True)
            repair_torn_tail(self.path)
            self._repaired = True
        line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
        with self.path.open("a", encoding="utf-8") as fh:  # same format as harness.jsonl.append_jsonl
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        assert self._keys is not None
        self._keys.add(record["key"])
        return True

    def records_for_run(self, keys: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Records in file order, restricted to ``keys`` when given."""
        records = self.load()
        if keys is None:
            return list(records.values())
        return [records[k] for k in keys if k in records]


def records_for_run(run_dir: RunDir | Path, *, all_configs: bool = False) -> list[dict[str, Any]]:
    """The generations of a run directory, sorted by (benchmark item order, turn, sample index).

    By default only records of the configuration of the last ``generate`` (model id, template
    hash, decoding params and seed, hashed into the records' ``run_config``; see
    ``generation_manifest.json``) are returned, so a rerun with other settings in the same
    directory does not mix outputs. ``all_configs`` returns every record, keeping the latest
    one per (item, turn, sample).
    """
    path = run_dir.path if isinstance(run_dir, RunDir) else Path(run_dir)
    gen_file = path if path.suffix == ".jsonl" else path / "generations.jsonl"
    records = list(GenerationStore(gen_file).load().values())
    manifest_path = gen_file.parent / GENERATION_MANIFEST
    if not all_configs and manifest_path.is_file():
        run_config = json.loads(manifest_path.read_text(encoding="utf-8")).get("run_config")
        if run_config:
            records = [r for r in records if r.get("run_config") == run_config]
    # Benchmark order (``item_index``, written by generate), else order of first appearance.
    order: dict[str, tuple[int, int]] = {}
    latest: dict[tuple[str, int, int], dict[str, Any]] = {}
    for n, rec in enumerate(records):
        idx = rec.get("item_index")
        order[rec["item_id"]] = (idx if isinstance(idx, int) else 1 << 62, order.get(rec["item_id"], (0, n))[1])
        latest[(rec["item_id"], rec.get("turn", 0), rec.get("sample_index", 0))] = rec
    return sorted(latest.values(), key=lambda r: (order[r["item_id"]], r.get("turn", 0), r.get("sample_index", 0)))
