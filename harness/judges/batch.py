"""OpenAI Batch API judging: the uncached requests of a call go out as one batch job, half price.

``BatchJudgeClient.complete_many`` answers from the judge cache first, like the normal client; the
rest become one JSONL input file (one line per distinct request: ``custom_id``, ``url``
``/v1/chat/completions``, ``body`` = exactly what :class:`~harness.judges.client.OpenAIJudgeClient`
sends), uploaded with ``files.create(purpose="batch")`` and submitted with
``batches.create(completion_window="24h")``. The job is written to the state file
(:mod:`harness.judges.batch_state`) before the client waits, and ``batches.retrieve`` is polled
until a final status. Output and error files are read line by line through the normal client's
response parsing and every success goes into the same :class:`~harness.judges.client.JudgeCache`,
so benchmarks' parsers see exactly what the normal client gives them.

- Resume: a process killed while waiting (or between upload and batch creation) that is started
  again finds the open job and polls it (or adopts the batch made from its input file): nothing is
  uploaded or paid twice.
- Missing results (lines absent from the output, retryable error lines, an expired or failed
  batch's unfinished requests) are resubmitted in a new batch, up to ``max_rounds`` submissions per
  call; 4xx error lines fail at once, as in the normal client. What cannot be done comes back as
  failed responses (``content=None``, ``error`` set), never cached.
- One batch per job: ``chunk_size`` asks benchmarks for all their pending requests in one
  ``complete_many`` call (:func:`harness.judges.base.judge_chunk`); only Arena-Hard's second
  attempts (games with no verdict label) necessarily go out as a second batch.
- Cost: tokens are priced at the Batch API price (half the list price, ``batch_price_for``);
  ``usage`` (:class:`BatchRunUsage`) records what was spent and the batch ids.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import HarnessError
from harness.judges.base import ALL_AT_ONCE, JudgeClient, JudgeRequest, JudgeResponse
from harness.judges.batch_api import BatchTransport
from harness.judges.batch_state import STATE_FILE, BatchJob, BatchState
from harness.judges.client import (
    JudgeCache,
    RunUsage,
    _parse_completion,
    _response_from_dict,
    _response_to_dict,
    batch_price_for,
    is_priced_endpoint,
)
from harness.judges.progress import JudgeProgress
from harness.retry import short as _short
from harness.store.judgments import OPENAI_ENDPOINT


class BatchJudgeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | None = None  # None: api.openai.com
    endpoint_label: str | None = None  # the endpoint judgments record (default: the base URL)
    api_key_env: str = "OPENAI_API_KEY"
    cache_path: Path | None = None
    state_path: Path | None = None  # default: judge_batches.json beside the cache
    poll_interval_s: float = Field(30.0, gt=0)
    max_wait_s: float | None = Field(None, gt=0)  # None: until the batch is final (24h window at most)
    max_rounds: int = Field(3, ge=1)  # batch submissions of the same request per call, first included
    max_requests_per_batch: int = Field(50_000, ge=1, le=50_000)  # the Batch API's limits
    max_bytes_per_batch: int = Field(190 * 2**20, ge=1024, le=200 * 2**20)
    timeout_s: float = Field(120.0, gt=0)  # per HTTP call (upload, create, retrieve, download)
    http_retries: int = Field(5, ge=0)  # the openai package's own retries for those calls
    price_per_mtok: tuple[float, float] | None = None  # a *list* price override; batch = half of it


@dataclass
class BatchRunUsage(RunUsage):
    """:class:`RunUsage` priced at the Batch API price, with the batches submitted by this client."""

    batches: int = 0
    batch_ids: list[str] = field(default_factory=list)
    pricing: str = "batch"


@dataclass
class _CallState:
    """What one ``complete_many`` has learned so far, per cache key."""

    todo: dict[str, JudgeRequest]
    answers: dict[str, JudgeResponse] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # last error of each unanswered key
    final: set[str] = field(default_factory=set)  # failed for good (a 4xx line): not resubmitted

    def missing(self) -> dict[str, JudgeRequest]:
        return {k: r for k, r in self.todo.items() if k not in self.answers and k not in self.final}


class BatchJudgeClient(JudgeClient):
    chunk_size = ALL_AT_ONCE  # benchmarks hand over every pending request of a job: one batch, not one per chunk

    def __init__(self, config: BatchJudgeConfig | None = None, *, log: Callable[[str], None] | None = None,
                 **overrides: Any) -> None:
        self.config = c = config or BatchJudgeConfig(**overrides)
        key = os.environ.get(c.api_key_env, "")
        if not key and c.base_url is None:
            raise HarnessError(f"no judge API key: set the environment variable {c.api_key_env} "
                               "(keys are read from the environment only) for Batch API judging")
        self.__key = key or "EMPTY"
        if c.state_path is not None:
            self.state_path = Path(c.state_path)
        elif c.cache_path is not None:
            self.state_path = Path(c.cache_path).parent / STATE_FILE
        else:
            raise HarnessError("Batch API judging needs a state file in the results directory "
                               "(give state_path or cache_path)")
        self.cache = JudgeCache(c.cache_path) if c.cache_path else None
        self.endpoint = c.endpoint_label or c.base_url or OPENAI_ENDPOINT
        self.usage = BatchRunUsage()
        self.progress: JudgeProgress | None = None
        self._log = log or (lambda msg: print(f"judge batch: {msg}", file=sys.stderr, flush=True))

    def __repr__(self) -> str:
        c = self.config
        return f"BatchJudgeClient(base_url={c.base_url!r}, api_key_env={c.api_key_env!r}, state={str(self.state_path)!r})"

    def cache_key(self, req: JudgeRequest) -> str:
        """The judge cache key of ``req``: the one place this client derives it (shared with the live
        client: a batch answer of the same model at the same endpoint is the same judge's)."""
        return req.cache_key(self.endpoint)

    def _redact(self, text: str) -> str:
        key = self.__key
        return text.replace(key, "***") if key and key != "EMPTY" and len(key) >= 6 else text

    # ------------------------------------------------------------------ public
    def complete_many(self, requests: Sequence[JudgeRequest]) -> list[JudgeResponse]:
        results: list[JudgeResponse | None] = [None] * len(requests)
        pending: dict[str, list[int]] = {}
        if self.progress is not None:
            self.progress.submit(len(requests))
        for i, req in enumerate(requests):
            key = self.cache_key(req)
            hit = self.cache.get(key) if self.cache is not None else None
            if hit is not None:
                results[i] = _response_from_dict(hit, cached=True)
                self.usage.cache_hits += 1
                self._tick(cached=True)
            else:
                pending.setdefault(key, []).append(i)
        if pending:
            answers = self._judge({key: requests[idx[0]] for key, idx in pending.items()})
            for key, idx in pending.items():
                for n, i in enumerate(idx):
                    results[i] = answers[key]
                    if n:  # duplicates answered by the same line
                        self._tick(cached=True)
        return [r for r in results if r is not None]

    # ----------------------------------------------------------------- rounds
    def _judge(self, todo: dict[str, JudgeRequest]) -> dict[str, JudgeResponse]:
        c = self.config
        api = BatchTransport(c, self.__key, BatchState.load(self.state_path), self._log)
        run = _CallState(todo)
        try:
            jobs = api.resume(todo)  # a killed process's batches: polled, never paid for again
            covered = set().union(*(j.keys() for j in jobs)) if jobs else set()
            jobs += api.submit({k: r for k, r in todo.items() if k not in covered}, round_no=1)
            for round_no in range(1, c.max_rounds + 1):
                for job, batch in api.wait(jobs):
                    self._collect(api, job, batch, run)
                missing = run.missing()
                if not missing or round_no == c.max_rounds:
                    break
                self.usage.retries += len(missing)
                self._log(f"resubmitting {len(missing)} unanswered request(s) (submission {round_no + 1} of "
                          f"at most {c.max_rounds})")
                jobs = api.submit(missing, round_no=round_no + 1)
        finally:
            self.usage.batches += len(api.submitted)
            self.usage.batch_ids += api.submitted
            api.close()
        for key in todo:
            if key not in run.answers:
                self.usage.failures += 1
                self._tick(failed=True)
                run.answers[key] = JudgeResponse(content=None, error=self._redact(
                    run.errors.get(key, "no result") + f" (after at most {c.max_rounds} batch submissions)"))
        return run.answers

    # ------------------------------------------------------------- collecting
    def _collect(self, api: BatchTransport, job: BatchJob, batch: Any, run: _CallState) -> None:
        lines = api.result_lines(batch)
        why = _batch_errors(batch) or "no result line for this request"
        for cid, key in job.custom_ids.items():
            if key not in run.todo or key in run.answers:
                continue  # another call's request, or answered by an earlier round
            rec = lines.get(cid)
            if rec is None:
                run.errors[key] = f"batch {batch.id} {batch.status}: {why}"
                continue
            resp, error, retryable = _parse_line(rec)
            if resp is None:
                run.errors[key] = f"batch {batch.id}: {error}"
                if not retryable:
                    run.final.add(key)
                continue
            self._account(run.todo[key], resp, batch.id)
            if self.cache is not None:
                self.cache.put(run.todo[key], _response_to_dict(resp), key=key)
            run.answers[key] = resp
            self._tick()
        api.state.mark_collected(job, batch.status)  # after the cache has every answer of this batch

    def _account(self, req: JudgeRequest, resp: JudgeResponse, batch_id: str) -> None:
        u, c = self.usage, self.config
        u.calls += 1
        u.prompt_tokens += resp.prompt_tokens
        u.completion_tokens += resp.completion_tokens
        price = batch_price_for(req.model, c.price_per_mtok) if c.price_per_mtok or is_priced_endpoint(c.base_url) \
            else None
        cost = None if price is None else (resp.prompt_tokens * price[0] + resp.completion_tokens * price[1]) / 1e6
        resp.extra.update(cost_usd=cost, batch_id=batch_id)
        u.cost_usd = None if cost is None or u.cost_usd is None else u.cost_usd + cost

    def _tick(self, *, cached: bool = False, failed: bool = False) -> None:
        if self.progress is not None:
            self.progress.result(cached=cached, failed=failed)


def _parse_line(rec: dict[str, Any]) -> tuple[JudgeResponse | None, str, bool]:
    """(response, error, retryable) of one output/error-file line, parsed like a live response."""
    response = rec.get("response") if isinstance(rec.get("response"), dict) else {}
    status, body = response.get("status_code"), response.get("body")
    if status == 200:
        try:
            return _parse_completion(body), "", False  # the JSON body, parsed as a live one
        except Exception as exc:  # noqa: BLE001 - any malformed body is a retryable failure, as live
            return None, f"malformed response: {_short(exc)}", True
    err = rec.get("error") if isinstance(rec.get("error"), dict) else None
    if err is None and isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
    msg = " ".join(str(x) for x in ((err or {}).get("code"), (err or {}).get("message")) if x) or "no response"
    if isinstance(status, int):
        return None, f"HTTP {status}: {msg}", status in (408, 409, 429) or status >= 500
    return None, msg, True  # batch_expired, batch_cancelled, ...: try again in a new batch


def _batch_errors(batch: Any) -> str:
    data = getattr(getattr(batch, "errors", None), "data", None) or []
    return "; ".join(f"{e.code}: {e.message}" for e in data[:3])[:300]
