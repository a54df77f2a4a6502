"""OpenAI-compatible judge client: async, bounded concurrency, retries, persistent cache, cost.

- Any endpoint speaking chat completions (OpenAI, Azure's OpenAI-compatible route, ``vllm serve``,
  :mod:`harness.judges.local_server`): plain-http endpoints through the harness's own keep-alive
  HTTP/1.1 client, the others through ``openai.AsyncOpenAI`` (:mod:`harness.judges.transport`);
  the SDK's own retries are off (``max_retries=0``) so the policy below is the only one.
- Retries follow :mod:`harness.retry` (the policy shared with the openai decoding backend): 429,
  5xx, 408/409, timeouts, connection errors and malformed bodies, with backoff; 401/403 stop the
  run with a HarnessError; other 4xx fail that request only (``JudgeResponse.error``), never cached.
- Cache: sqlite in WAL mode keyed by ``JudgeRequest.cache_key(endpoint)`` (sha256 of the full
  request and the endpoint it goes to); every answer is committed as it arrives, before the next
  request goes out, so a killed run loses only the calls in flight and no paid call is repeated.
  The API key is never part of it.
- API key: read from the environment variable named in the config (default ``OPENAI_API_KEY``);
  it is never stored in the config, never printed, and redacted from every error message.
- Cost: USD per million tokens (input, output) from ``PRICES_PER_MTOK`` (OpenAI list prices as of
  2024-2025; ``price_per_mtok`` overrides; unknown models report ``cost_usd=None``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import HarnessError
from harness.judges.base import AnswerSink, JudgeClient, JudgeRequest, JudgeResponse, request_total
from harness.judges.progress import JudgeProgress
from harness.judges.transport import Transport, TransportKind, make_transport
from harness.retry import GaveUp, MalformedResponse, RetryPolicy, call_with_retries
from harness.store.jsonl import disk_full_error
from harness.store.judgments import OPENAI_ENDPOINT
from harness.timing import timed

# USD per 1M tokens: (input, output). Longest matching prefix wins.
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4-1106-preview": (10.0, 30.0),
    "gpt-4-0125-preview": (10.0, 30.0),
    "gpt-4-turbo": (10.0, 30.0),
    "gpt-4-0314": (30.0, 60.0),
    "gpt-4-0613": (30.0, 60.0),
    "gpt-4": (30.0, 60.0),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.0),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.0, 8.0),
    "gpt-3.5-turbo-1106": (1.0, 2.0),
    "gpt-3.5-turbo": (0.50, 1.50),
}


def price_for(model: str, override: tuple[float, float] | None = None) -> tuple[float, float] | None:
    if override is not None:
        return override
    matches = [k for k in PRICES_PER_MTOK if model == k or model.startswith(k + "-") or model.startswith(k)]
    return PRICES_PER_MTOK[max(matches, key=len)] if matches else None


# OpenAI's Batch API bills input and output tokens at half the synchronous list price.
BATCH_PRICE_FACTOR = 0.5


def batch_price_for(model: str, override: tuple[float, float] | None = None) -> tuple[float, float] | None:
    """USD per 1M tokens through the Batch API: half of ``price_for`` (``override`` is a list price)."""
    price = price_for(model, override)
    return None if price is None else (price[0] * BATCH_PRICE_FACTOR, price[1] * BATCH_PRICE_FACTOR)


def is_priced_endpoint(base_url: str | None) -> bool:
    """Whether list prices apply: OpenAI's / Azure's endpoints. A self-hosted server (vllm serve, the
    embedded judge) answering under a GPT-4 name costs what it costs: unknown, not GPT-4's price."""
    return base_url is None or any(h in base_url for h in ("openai.com", "azure"))


def chat_body(req: JudgeRequest) -> dict[str, Any]:
    """The chat.completions body sent for ``req`` (also the ``body`` of a Batch API input line)."""
    body: dict[str, Any] = {"model": req.model, "messages": req.to_openai_messages(),
                            "temperature": req.temperature, "max_tokens": req.max_tokens}
    if req.logprobs:
        body["logprobs"] = True
        if req.top_logprobs is not None:
            body["top_logprobs"] = req.top_logprobs
    if req.seed is not None:
        body["seed"] = req.seed
    return body


class JudgeClientConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | None = None  # None: api.openai.com
    # The judge's endpoint as recorded in judgments and cache keys; default: the base URL. A
    # server the harness starts on a random port gets a stable label (``embedded:<model>``).
    endpoint_label: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = Field(16, ge=1, le=1024)
    max_retries: int = Field(8, ge=0)
    backoff_initial_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(60.0, ge=0)
    timeout_s: float = Field(120.0, gt=0)
    cache_path: Path | None = None
    price_per_mtok: tuple[float, float] | None = None
    jitter_seed: int | None = None
    # "auto": the harness's own HTTP/1.1 client for plain-http endpoints, the openai SDK otherwise
    transport: TransportKind = "auto"


@dataclass
class RunUsage:
    """Per-run accounting (fresh calls only; cache hits are counted, not charged)."""

    calls: int = 0
    cache_hits: int = 0
    failures: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _is_disk_full(exc: BaseException) -> bool:
    return "disk is full" in str(exc) or "disk I/O error" in str(exc) or getattr(exc, "errno", None) == 28


@contextlib.contextmanager
def _sqlite_errors(path: Path, opening: bool = False) -> Iterator[None]:
    """A full disk is one clear line; a broken file is named as such (never a traceback)."""
    try:
        yield
    except (sqlite3.OperationalError, sqlite3.DatabaseError, OSError) as exc:
        if _is_disk_full(exc):
            raise disk_full_error(path) from None
        if opening or isinstance(exc, sqlite3.DatabaseError):
            raise HarnessError(f"judge cache {path} is not a usable sqlite database ({exc})") from None
        raise


class JudgeCache:
    """sqlite (WAL) store of judge answers, keyed by the request's sha256; insert-only."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        with _sqlite_errors(self.path, opening=True):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS judge_calls (key TEXT PRIMARY KEY, model TEXT, request TEXT NOT NULL,"
                " response TEXT NOT NULL, created_utc TEXT NOT NULL)"
            )
            self._db.commit()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock, _sqlite_errors(self.path):
            row = self._db.execute("SELECT response FROM judge_calls WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, request: JudgeRequest, response: dict[str, Any], key: str) -> None:
        """Insert one answer, committed at once."""
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._lock, _sqlite_errors(self.path):
            self._db.execute(
                "INSERT OR IGNORE INTO judge_calls VALUES (?, ?, ?, ?, ?)",
                (key, request.model, json.dumps(request.to_dict(), ensure_ascii=False),
                 json.dumps(response, ensure_ascii=False), created),
            )
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM judge_calls").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


class OpenAIJudgeClient(JudgeClient):
    def __init__(self, config: JudgeClientConfig | None = None, **overrides: Any) -> None:
        self.config = config or JudgeClientConfig(**overrides)
        key = os.environ.get(self.config.api_key_env, "")
        if not key and self.config.base_url is None:
            raise HarnessError(
                f"no judge API key: set the environment variable {self.config.api_key_env} "
                "(keys are read from the environment only), or pass --judge-base-url for a local server"
            )
        self.__key = key or "EMPTY"  # local OpenAI-compatible servers accept any key
        self.endpoint = self.config.endpoint_label or self.config.base_url or OPENAI_ENDPOINT
        self.policy = RetryPolicy(self.config.max_retries, self.config.backoff_initial_s, self.config.backoff_max_s)
        self.cache = JudgeCache(self.config.cache_path) if self.config.cache_path else None
        self.usage = RunUsage()
        self._rng = random.Random(self.config.jitter_seed)
        self.progress: JudgeProgress | None = None  # set by callers that show a progress bar

    def __repr__(self) -> str:
        c = self.config
        return (f"OpenAIJudgeClient(base_url={c.base_url!r}, api_key_env={c.api_key_env!r}, "
                f"concurrency={c.concurrency}, cache={str(c.cache_path) if c.cache_path else None!r})")

    def _redact(self, text: str) -> str:
        key = self.__key
        return text.replace(key, "***") if key and key != "EMPTY" and len(key) >= 6 else text

    # ------------------------------------------------------------------ public
    def complete_many(self, requests: Sequence[JudgeRequest]) -> list[JudgeResponse]:
        if not requests:
            return []
        results: list[JudgeResponse | None] = [None] * len(requests)

        def keep(position: int, response: JudgeResponse) -> None:
            results[position] = response

        self.complete_each(requests, keep, len(requests))
        answered = [r for r in results if r is not None]
        if len(answered) != len(requests):  # complete_each answers every position or raises
            raise RuntimeError(f"judge client answered {len(answered)} of {len(requests)} requests")
        return answered

    @timed("judge")
    def complete_each(self, requests: Iterable[JudgeRequest], on_answer: AnswerSink, chunk: int,
                      total: int | None = None) -> None:
        """Streams (``chunk`` is for clients that do not): a cached answer is handed over at once, the
        others as they arrive, and the next request is drawn while earlier ones are in flight."""
        total = request_total(requests, total)
        if total == 0:
            return
        if self.progress is not None and total:
            self.progress.submit(total)
        from harness.judges.stream import CallStream

        transport = make_transport(self.config.base_url, self.__key, self.config.timeout_s, self.config.transport)
        stream = CallStream(self, transport, on_answer, count_each=total is None)
        _run_coroutine(stream.run(iter(requests)))

    # ----------------------------------------------------------------- private
    def hand_over(self, position: int, resp: JudgeResponse, on_answer: AnswerSink, *, cached: bool = False,
                  failed: bool = False) -> None:
        """Count one answer on the progress bar and give it to the caller's ``on_answer``."""
        if self.progress is not None:
            self.progress.result(cached=cached, failed=failed)
        on_answer(position, resp)

    async def ask(self, transport: Transport, req: JudgeRequest) -> JudgeResponse:
        """One request through the retry policy: the answer, or a failed response saying why; a
        refused key raises HarnessError."""
        body = chat_body(req)

        def retried(_: Any) -> None:
            self.usage.retries += 1

        async def attempt() -> JudgeResponse:  # a malformed body is retried like a failed call
            return _parse_completion(await transport.chat(body))

        try:
            resp, _ = await call_with_retries(attempt, self.policy, self._rng, on_retry=retried)
            return self._account(req, resp)
        except GaveUp as exc:
            if exc.failure.verdict == "auth":
                raise HarnessError(f"judge endpoint refused the API key from ${self.config.api_key_env}: "
                                   f"{self._redact(exc.failure.message)}") from None
            self.usage.failures += 1
            what = exc.failure.message if exc.failure.verdict == "final" else \
                f"gave up after {exc.attempts} attempts; last: {exc.failure.message}"
            return JudgeResponse(content=None, error=self._redact(what))

    def _account(self, req: JudgeRequest, resp: JudgeResponse) -> JudgeResponse:
        self.usage.calls += 1
        self.usage.prompt_tokens += resp.prompt_tokens
        self.usage.completion_tokens += resp.completion_tokens
        official = is_priced_endpoint(self.config.base_url)
        price = price_for(req.model, self.config.price_per_mtok) if official or self.config.price_per_mtok else None
        cost = None if price is None else (resp.prompt_tokens * price[0] + resp.completion_tokens * price[1]) / 1e6
        resp.extra["cost_usd"] = cost
        if cost is None or self.usage.cost_usd is None:
            self.usage.cost_usd = None
        else:
            self.usage.cost_usd += cost
        return resp


def _parse_completion(raw: Any) -> JudgeResponse:
    """A successful chat completion (its JSON body) as a JudgeResponse; malformed bodies raise
    :class:`harness.retry.MalformedResponse` (retried)."""
    choices = raw.get("choices") if isinstance(raw, dict) else None
    if not choices or not isinstance(choices[0], dict):
        raise MalformedResponse("no choices in the response body")
    choice = choices[0]
    message = choice.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        raise MalformedResponse("choice without message content")
    top = None
    logprobs = choice.get("logprobs")
    if isinstance(logprobs, dict) and logprobs.get("content"):
        try:
            top = [[{"token": str(t["token"]), "logprob": float(t["logprob"])} for t in pos.get("top_logprobs") or ()]
                   for pos in logprobs["content"]]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedResponse(f"unreadable logprobs ({exc})") from None
    usage = raw.get("usage") or {}
    return JudgeResponse(
        content=content, top_logprobs=top,
        prompt_tokens=int(usage.get("prompt_tokens") or 0), completion_tokens=int(usage.get("completion_tokens") or 0),
        extra={"finish_reason": choice.get("finish_reason"), "served_model": raw.get("model")},
    )


def _response_to_dict(resp: JudgeResponse) -> dict[str, Any]:
    return {"content": resp.content, "top_logprobs": resp.top_logprobs, "prompt_tokens": resp.prompt_tokens,
            "completion_tokens": resp.completion_tokens, "extra": resp.extra}


def _response_from_dict(d: dict[str, Any], cached: bool) -> JudgeResponse:
    extra = dict(d.get("extra") or {})
    extra["original_cost_usd"] = extra.pop("cost_usd", None)
    extra["cost_usd"] = 0.0  # already paid in an earlier run
    return JudgeResponse(content=d["content"], top_logprobs=d.get("top_logprobs"), prompt_tokens=d.get("prompt_tokens", 0),
                         completion_tokens=d.get("completion_tokens", 0), cached=cached, extra=extra)


def _run_coroutine(coro: Any) -> Any:
    """asyncio.run, also from inside a running event loop (e.g. a notebook): then in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}
    started = threading.Event()

    async def tracked() -> Any:
        box["loop"], box["task"] = asyncio.get_running_loop(), asyncio.current_task()
        started.set()
        return await coro

    def target() -> None:
        try:
            box["value"] = asyncio.run(tracked())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc
        finally:
            started.set()

    t = threading.Thread(target=target)
    t.start()
    try:
        started.wait()
        t.join()
    except BaseException:  # Ctrl-C in the notebook: stop the calls in flight too, then re-raise
        if "loop" in box:
            box["loop"].call_soon_threadsafe(box["task"].cancel)
        t.join()
        raise
    if "error" in box:
        raise box["error"]
    return box["value"]
