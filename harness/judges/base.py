"""The judge-client interface shared by every judged benchmark.

Implementations (see ``harness.judges.client``) must: preserve request order in
``complete_many``, never repeat a call whose response is in the persistent cache, and
never write an API key anywhere. ``complete_each`` is the streaming form benchmarks judge through:
answers are handed over as they complete, so no chunk waits for the slowest call of the one before.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence, Sized
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class JudgeRequest:
    model: str
    messages: tuple[tuple[str, str], ...]  # (role, content) pairs; hashable and canonical
    temperature: float = 0.0
    max_tokens: int = 4096
    logprobs: bool = False
    top_logprobs: int | None = None
    seed: int | None = None

    @classmethod
    def from_messages(cls, model: str, messages: Sequence[dict[str, str]], **kwargs: Any) -> JudgeRequest:
        return cls(model=model, messages=tuple((m["role"], m["content"]) for m in messages), **kwargs)

    def to_openai_messages(self) -> list[dict[str, str]]:
        return [{"role": role, "content": content} for role, content in self.messages]

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (what ``dataclasses.asdict`` gives, without its deep copy: tuples stay
        tuples, which JSON writes as the same arrays)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def cache_key(self, endpoint: str | None = None) -> str:
        """sha256 of the full canonical request and the endpoint it goes to: the same request to the
        same endpoint is never re-paid, and another endpoint (a proxy under the same model name,
        another server) never reuses its answers. The API key is never part of it."""
        return _cache_key(self, endpoint)


@lru_cache(maxsize=1024)
def _cache_key(request: JudgeRequest, endpoint: str | None) -> str:
    """Memoised: a benchmark keys its rows and the client its cache with the same requests."""
    payload = json.dumps({**request.to_dict(), "endpoint": endpoint}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass
class JudgeResponse:
    content: str | None  # None when the call failed for good (error says why)
    # top-logprobs of each generated position: [[{"token": str, "logprob": float}, ...], ...]
    top_logprobs: list[list[dict[str, Any]]] | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class JudgeClient(ABC):
    """``endpoint``: where the requests go (a base URL, or a stable label such as
    ``embedded:<model>`` for a server the harness starts on a random port). Judgments record it,
    and the judge of a score is its model *and* its endpoint."""

    endpoint: str = "unknown"
    # How many requests a benchmark's ``judge`` hands to one ``complete_many`` call (it appends the
    # judgments of each call to its annotations file). None: the benchmark's own chunk (AlpacaEval
    # 256, Arena-Hard / MT-Bench 64). A Batch API client answers each call with one batch job that
    # may take hours, so it asks for every pending request of a job at once (:data:`ALL_AT_ONCE`).
    chunk_size: int | None = None

    @abstractmethod
    def complete_many(self, requests: Sequence[JudgeRequest]) -> list[JudgeResponse]:
        """Answer every request (cache first, then the endpoint), in request order."""

    def complete_each(self, requests: Iterable[JudgeRequest], on_answer: AnswerSink, chunk: int,
                      total: int | None = None) -> None:
        """Answer every request, calling ``on_answer(position, response)`` for each as it is answered.

        ``requests`` may be lazy: a streaming client (``OpenAIJudgeClient``) builds request k+1 while
        earlier ones are in flight, and ``on_answer(k, ...)`` always comes after request k was drawn.
        This default hands ``chunk`` requests at a time to ``complete_many`` (a Batch API client: one
        job per chunk). ``total``: how many there are, for a progress bar.
        """
        batch: list[JudgeRequest] = []
        start = 0
        for req in requests:
            batch.append(req)
            if len(batch) >= chunk:
                _hand_over(self.complete_many(batch), start, on_answer)
                start, batch = start + len(batch), []
        if batch:
            _hand_over(self.complete_many(batch), start, on_answer)


AnswerSink = Callable[[int, JudgeResponse], None]


def request_total(requests: Iterable[JudgeRequest], total: int | None) -> int | None:
    """``total``, else the length of ``requests`` where it has one (a lazy iterator has none)."""
    return len(requests) if total is None and isinstance(requests, Sized) else total


def _hand_over(responses: list[JudgeResponse], start: int, on_answer: AnswerSink) -> None:
    for offset, resp in enumerate(responses):
        on_answer(start + offset, resp)


ALL_AT_ONCE = 2**31 - 1  # a chunk size meaning "every pending request in one call"


def judge_chunk(client: JudgeClient, default: int) -> int:
    """The number of requests ``client`` takes per ``complete_many`` call (``default``: the benchmark's)."""
    size = getattr(client, "chunk_size", None)
    return int(size) if isinstance(size, int) and size > 0 else default
