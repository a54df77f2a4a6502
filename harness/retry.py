"""The one retry policy for every call to an OpenAI-compatible endpoint (judges and the openai
decoding backend): which failures are retried, and how long to wait.

Retried: HTTP 408, 409, 429 and 5xx, timeouts, connection errors and malformed bodies; a
``Retry-After`` header is honoured when larger than the backoff. 401/403 are authentication
failures (never retried). Other 4xx are final for that request. Backoff is exponential with
"equal jitter" (half fixed, half random), capped.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

T = TypeVar("T")
Verdict = Literal["auth", "retry", "final"]
RETRYABLE_STATUS = frozenset({408, 409, 429})


class MalformedResponse(Exception):
    """A 200 answer whose body cannot be used (no choices, no content): retried."""


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 8
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 60.0

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        cap = min(self.backoff_max_s, self.backoff_initial_s * 2**attempt)
        return max(cap / 2 + rng.uniform(0, cap / 2), min(retry_after or 0.0, self.backoff_max_s))


@dataclass(frozen=True)
class Failure:
    verdict: Verdict
    message: str
    retry_after: float | None = None


def short(exc: BaseException) -> str:
    return str(exc).replace("\n", " ")[:300]


def _retry_after(exc: Any) -> float | None:
    try:
        value = exc.response.headers.get("retry-after")
        return float(value) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


class ClassifiedError(Exception):
    """A failure whose verdict its raiser already knows (the judges' own HTTP transport)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def classify(exc: BaseException) -> Failure:
    """How the policy treats an exception raised by an ``openai`` client call (or a :class:`ClassifiedError`)."""
    if isinstance(exc, ClassifiedError):
        return exc.failure
    if isinstance(exc, (MalformedResponse, json.JSONDecodeError)):
        return Failure("retry", f"malformed response: {short(exc)}")
    import openai

    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return Failure("auth", short(exc))
    if isinstance(exc, openai.APIStatusError):
        code = exc.status_code
        verdict: Verdict = "retry" if code in RETRYABLE_STATUS or code >= 500 else "final"
        return Failure(verdict, f"HTTP {code}: {short(exc)}", _retry_after(exc))
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return Failure("retry", f"{type(exc).__name__}: {short(exc)}")
    if isinstance(exc, (MalformedResponse, openai.APIResponseValidationError, json.JSONDecodeError, ValueError,
                        KeyError, TypeError, AttributeError)):
        return Failure("retry", f"malformed response: {short(exc)}")
    raise exc


class GaveUp(Exception):
    """Raised by :func:`call_with_retries` for a final failure or when retries are exhausted."""

    def __init__(self, failure: Failure, attempts: int) -> None:
        super().__init__(failure.message)
        self.failure = failure
        self.attempts = attempts


async def call_with_retries(call: Callable[[], Awaitable[T]], policy: RetryPolicy, rng: random.Random,
                            on_retry: Callable[[Failure], None] | None = None) -> tuple[T, int]:
    """``(await call(), attempts)`` under ``policy``; raises :class:`GaveUp` (auth failures at once)."""
    for attempt in range(policy.max_retries + 1):
        try:
            return await call(), attempt + 1
        except Exception as exc:  # noqa: BLE001 - classified by the policy (unknown ones re-raised)
            failure = classify(exc)
        if failure.verdict != "retry" or attempt == policy.max_retries:
            raise GaveUp(failure, attempt + 1)
        if on_retry is not None:
            on_retry(failure)
        await asyncio.sleep(policy.delay(attempt, rng, failure.retry_after))
    raise AssertionError("unreachable")
