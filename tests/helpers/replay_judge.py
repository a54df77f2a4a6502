"""Judges for agreement tests: a replay judge that answers each published judge input with the
published raw judge output, and helpers to start it as a local OpenAI-compatible server."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from harness.agreement.base import AgreementProtocol, Unit
from harness.benchmarks.base import JudgeOptions
from harness.judges.local_server import Reply, Responder

NO_REPLAY = "(no published judgment for this prompt)"


def _key(messages: Sequence[dict[str, Any]]) -> str:
    """The first two messages (system + user prompt): a continuation of the same game replays too."""
    first = [{"role": m["role"], "content": m["content"]} for m in messages[:2]]
    return hashlib.sha256(json.dumps(first, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def replay_responder(protocol: AgreementProtocol, units: Sequence[Unit], options: JudgeOptions | None = None
                     ) -> Responder:
    """Answers each unit's judge input with its published raw output (text and logprobs)."""
    reqs = protocol.requests(units, options or JudgeOptions())
    table = {_key(r.to_openai_messages()): u.raw for r, u in zip(reqs, units, strict=True) if u.raw is not None}

    def respond(body: dict[str, Any]) -> Reply:
        raw = table.get(_key(body["messages"]))
        if raw is None:
            return Reply(content=NO_REPLAY)
        return Reply(content=raw.content, top_logprobs=raw.top_logprobs)

    respond.table = table  # type: ignore[attr-defined]
    return respond
