"""The files and batches endpoints of OpenAI's Batch API, with the state file, for one judging call.

:class:`BatchTransport` uploads input files, creates batches (recording each job in the state file
before anything waits on it), finds the open jobs of an earlier, killed process, polls until a
final status and downloads the result lines. Every endpoint failure is a one-line
:class:`~harness.errors.HarnessError` with the API key redacted; polling survives transient errors.
:mod:`harness.judges.batch` turns the lines into judge responses.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.judges.base import JudgeRequest
from harness.judges.batch_state import FINAL_STATUSES, BatchJob, BatchState
from harness.judges.client import chat_body
from harness.retry import short as _short

if TYPE_CHECKING:
    from harness.judges.batch import BatchJudgeConfig

ENDPOINT = "/v1/chat/completions"
INPUT_FILENAME = "simpo-harness-judge-batch.jsonl"


def input_lines(items: dict[str, JudgeRequest], max_requests: int, max_bytes: int
                ) -> list[list[tuple[str, str, bytes]]]:
    """Batch input lines (custom_id, cache key, JSONL line) in parts: one model per part (the Batch
    API takes one model per input file), each part within the request and size limits."""
    by_model: dict[str, list[tuple[str, JudgeRequest]]] = {}
    for key, req in items.items():
        by_model.setdefault(req.model, []).append((key, req))
    parts: list[list[tuple[str, str, bytes]]] = []
    n = 0
    for group in by_model.values():
        parts.append([])
        size = 0
        for key, req in group:
            cid = f"r{n:06d}-{key[:16]}"
            n += 1
            line = (json.dumps({"custom_id": cid, "method": "POST", "url": ENDPOINT, "body": chat_body(req)},
                               ensure_ascii=False) + "\n").encode("utf-8")
            if len(line) > max_bytes:
                raise HarnessError(f"one judge request is {len(line)} bytes, over the batch input limit of {max_bytes}")
            if parts[-1] and (len(parts[-1]) >= max_requests or size + len(line) > max_bytes):
                parts.append([])
                size = 0
            parts[-1].append((cid, key, line))
            size += len(line)
    return [p for p in parts if p]


class BatchTransport:
    def __init__(self, config: BatchJudgeConfig, api_key: str, state: BatchState, log: Callable[[str], None]) -> None:
        import openai

        self.config, self.state, self.log = config, state, log
        self.__key = api_key
        self.client = openai.OpenAI(api_key=api_key, base_url=config.base_url, max_retries=config.http_retries,
                                    timeout=config.timeout_s)
        self.submitted: list[str] = []  # batch ids created by this transport

    def close(self) -> None:
        self.client.close()

    def redact(self, text: str) -> str:
        key = self.__key
        return text.replace(key, "***") if key and key != "EMPTY" and len(key) >= 6 else text

    def resume(self, todo: dict[str, JudgeRequest]) -> list[BatchJob]:
        """Open jobs of the state file holding any of ``todo``: polled again, never resubmitted."""
        jobs = self.state.open_jobs_for(todo)
        for job in jobs:
            if job.batch_id is None:  # killed between the upload and the batch's creation
                found = self._find_batch(job.input_file_id)
                if found is None:
                    self._create(job)
                else:
                    job.batch_id, job.status = found.id, found.status
                    self.state.save()
                    self.log(f"adopted batch {found.id}, created from input file {job.input_file_id} before a restart")
            else:
                self.log(f"resuming batch {job.batch_id} ({len(job.custom_ids)} requests, last seen {job.status}) "
                         "instead of submitting again")
        return jobs

    def submit(self, items: dict[str, JudgeRequest], round_no: int) -> list[BatchJob]:
        """Upload and create one batch per part of ``items``; each job is in the state file before it is created."""
        jobs, c = [], self.config
        for part in input_lines(items, c.max_requests_per_batch, c.max_bytes_per_batch):
            data = b"".join(line for _, _, line in part)
            file = self._api(lambda d=data: self.client.files.create(file=(INPUT_FILENAME, d), purpose="batch"),
                             "upload the batch input file")
            job = self.state.add(BatchJob(input_file_id=file.id, custom_ids={cid: key for cid, key, _ in part},
                                          model=items[part[0][1]].model, endpoint=c.base_url, round=round_no))
            self._create(job)
            jobs.append(job)
        return jobs

    def _create(self, job: BatchJob) -> None:
        batch = self._api(lambda: self.client.batches.create(
            input_file_id=job.input_file_id, endpoint=ENDPOINT, completion_window="24h",
            metadata={"created_by": "simpo-harness"}), "create the batch")
        job.batch_id, job.status = batch.id, batch.status
        self.state.save()  # before any waiting: a restart polls this batch instead of paying again
        self.submitted.append(batch.id)
        self.log(f"submitted batch {batch.id} ({len(job.custom_ids)} requests); polling every "
                 f"{self.config.poll_interval_s:g} s. Safe to interrupt: the same command resumes it "
                 f"(state in {self.state.path})")

    def _find_batch(self, input_file_id: str, scan: int = 500) -> Any:
        for n, batch in enumerate(self._api(lambda: self.client.batches.list(limit=100), "list batches")):
            if batch.input_file_id == input_file_id:
                return batch
            if n >= scan:
                break
        return None

    # ---------------------------------------------------------------- waiting
    def wait(self, jobs: list[BatchJob]) -> Iterator[tuple[BatchJob, Any]]:
        """Each job with its batch as soon as the batch reaches a final status."""
        c = self.config
        waiting = list(jobs)
        deadline = None if c.max_wait_s is None else time.monotonic() + c.max_wait_s
        while waiting:
            for job in list(waiting):
                batch = self._retrieve(str(job.batch_id))
                if batch is None:
                    continue
                if batch.status != job.status:
                    job.status = batch.status
                    self.state.save()
                if batch.status in FINAL_STATUSES:
                    waiting.remove(job)
                    yield job, batch
            if not waiting:
                break
            if deadline is not None and time.monotonic() > deadline:
                ids = ", ".join(f"{j.batch_id} ({j.status})" for j in waiting)
                raise HarnessError(f"judge batch(es) {ids} not finished after {c.max_wait_s:g} s; run the same "
                                   f"command again later to resume waiting (nothing is resubmitted; state in "
                                   f"{self.state.path})")
            time.sleep(c.poll_interval_s)

    def _retrieve(self, batch_id: str) -> Any:
        import openai

        try:
            return self.client.batches.retrieve(batch_id)
        except (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError) as exc:
            self.log(f"polling {batch_id} failed ({type(exc).__name__}); trying again at the next poll")
            return None
        except openai.APIError as exc:
            raise self._error(exc, f"retrieve batch {batch_id}") from None

    # ------------------------------------------------------------ results
    def result_lines(self, batch: Any) -> dict[str, dict[str, Any]]:
        """custom_id -> line of the batch's output and error files."""
        lines: dict[str, dict[str, Any]] = {}
        for file_id in (batch.output_file_id, batch.error_file_id):
            if file_id:
                text = self._api(lambda f=file_id: self.client.files.content(f).text, f"download batch file {file_id}")
                for raw in text.splitlines():
                    rec = _json_line(raw)
                    if rec is not None and isinstance(rec.get("custom_id"), str):
                        lines[rec["custom_id"]] = rec
        return lines

    def _api(self, call: Callable[[], Any], what: str) -> Any:
        """A files/batches call; failures become one-line errors (the state file keeps what was done)."""
        import openai

        try:
            return call()
        except openai.APIError as exc:
            raise self._error(exc, what) from None

    def _error(self, exc: Exception, what: str) -> HarnessError:
        import openai

        c, text = self.config, self.redact(_short(exc))
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return HarnessError(f"judge endpoint refused the API key from ${c.api_key_env}: {text}")
        if isinstance(exc, openai.NotFoundError):
            return HarnessError(f"cannot {what}: HTTP 404 from {c.base_url or 'api.openai.com'} (--judge-batch needs "
                                f"OpenAI's files and batches endpoints): {text}")
        if isinstance(exc, openai.APIStatusError):
            return HarnessError(f"cannot {what}: HTTP {exc.status_code}: {text}")
        # connection errors and timeouts, after the package's own retries
        return HarnessError(f"cannot {what}: {type(exc).__name__}: {text} (state kept in {self.state.path}; "
                            "run the same command again to resume)")


def _json_line(raw: str) -> dict[str, Any] | None:
    if not raw.strip():
        return None
    try:
        rec = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return rec if isinstance(rec, dict) else None
