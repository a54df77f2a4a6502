"""A scripted in-process JudgeClient for benchmark unit tests (no HTTP, no cache)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from harness.judges.base import JudgeClient, JudgeRequest, JudgeResponse


class FakeJudgeClient(JudgeClient):
    """Answers each request with ``respond(request)``: a string, or None for a failed call.

    Every request is recorded in ``requests`` (in order), so tests can check what was sent
    and that resumed runs send nothing twice.
    """

    def __init__(self, respond: Callable[[JudgeRequest], str | None]) -> None:
        self.respond = respond
        self.requests: list[JudgeRequest] = []
        self.batches: list[int] = []

    def complete_many(self, requests: Sequence[JudgeRequest]) -> list[JudgeResponse]:
        self.batches.append(len(requests))
        out = []
        for req in requests:
            self.requests.append(req)
            text = self.respond(req)
            if text is None:
                out.append(JudgeResponse(content=None, error="HTTP 500 from fake judge"))
            else:
                out.append(JudgeResponse(content=text, prompt_tokens=10, completion_tokens=5,
                                         extra={"cost_usd": 0.001}))
        return out
