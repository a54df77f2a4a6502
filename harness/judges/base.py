"""The judge-client interface shared by every judged benchmark.

Implementations (see ``harness.judges.client``) must: preserve request order in
``complete_many``, never repeat a call whose response is in the persistent cache, and
never write an API key anywhere.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
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

    def cache_key(self) -> str:
        """sha256 of the full canonical request: same request, same key, never re-paid."""
        payload = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)
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
    @abstractmethod
    def complete_many(self, requests: Sequence[JudgeRequest]) -> list[JudgeResponse]:
        """Answer every request (cache first, then the endpoint), in request order."""
