"""The state file of Batch API judging: which batch was submitted for which judge requests.

One JSON file in the results directory (``judge_batches.json`` beside the judge cache) lists every
batch job a client submitted there: its input file, its batch id once created, the
``custom_id -> cache key`` map of its lines and its last known status. A job is written *before*
the client waits for it (and its input file before the batch is created), so a killed process
that starts again finds the job and polls it instead of paying for the same requests twice.
The file never holds an API key or a prompt; it is rewritten atomically on every change.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.store.jsonl import write_json_atomic

STATE_FILE = "judge_batches.json"
STATE_VERSION = 1
FINAL_STATUSES = frozenset({"completed", "failed", "expired", "cancelled"})
COLLECTED = "collected"  # results read into the cache; nothing left to wait for


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class BatchJob:
    input_file_id: str
    custom_ids: dict[str, str]  # custom_id of each input line -> judge cache key
    model: str
    endpoint: str | None  # the base URL it was sent to (None: api.openai.com)
    submitted_utc: str = field(default_factory=utc_now)
    batch_id: str | None = None  # None until batches.create has answered
    status: str = "creating"  # creating, then the Batch API's status, then "collected"
    final_status: str | None = None  # completed / failed / expired / cancelled, once collected
    collected_utc: str | None = None
    round: int = 1  # 1: first submission of its requests; 2, 3...: resubmissions of missing ones

    @property
    def is_open(self) -> bool:
        return self.status != COLLECTED

    def keys(self) -> set[str]:
        return set(self.custom_ids.values())


class BatchState:
    """The jobs of one state file; ``save`` after every change."""

    def __init__(self, path: Path, jobs: list[BatchJob] | None = None) -> None:
        self.path = Path(path)
        self.jobs: list[BatchJob] = jobs or []

    @classmethod
    def load(cls, path: Path) -> BatchState:
        path = Path(path)
        if not path.is_file():
            return cls(path)
        hint = "move it away to start over (batches it lists would then be submitted and paid again)"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise HarnessError(f"batch state file {path} is unreadable ({exc}); {hint}") from None
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION or not isinstance(data.get("jobs"), list):
            raise HarnessError(f"batch state file {path} is not a version-{STATE_VERSION} state file; {hint}")
        try:
            return cls(path, [BatchJob(**job) for job in data["jobs"]])
        except TypeError as exc:
            raise HarnessError(f"batch state file {path} has a malformed job ({exc}); {hint}") from None

    def save(self) -> None:
        write_json_atomic(self.path, {"version": STATE_VERSION, "jobs": [asdict(j) for j in self.jobs]})

    def add(self, job: BatchJob) -> BatchJob:
        self.jobs.append(job)
        self.save()
        return job

    def open_jobs_for(self, keys: set[str] | dict[str, Any]) -> list[BatchJob]:
        """Jobs not yet collected that hold at least one of ``keys``, oldest first."""
        return [j for j in self.jobs if j.is_open and not j.keys().isdisjoint(keys)]

    def mark_collected(self, job: BatchJob, final_status: str) -> None:
        job.status, job.final_status, job.collected_utc = COLLECTED, final_status, utc_now()
        self.save()
