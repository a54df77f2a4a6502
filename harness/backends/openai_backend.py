"""Decoding through any OpenAI-compatible server (vLLM's, a hosted API, ...).

``mode="completions"`` sends the rendered prompt as token ids (vLLM's server accepts them,
so the server cannot add a second BOS); ``send_token_ids=False`` sends the text instead.
``mode="chat"`` sends the conversation and lets the server apply its template. Requests run
concurrently (asyncio, at most ``concurrency`` in flight), are retried under the shared policy of
:mod:`harness.retry` (the judges' policy too), and are yielded as they finish.
The API key is read from the environment variable named by ``api_key_env`` and never stored.
"""

from __future__ import annotations

import asyncio
import os
import queue
import random
import threading
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, model_validator

from harness.backends.base import Backend, BackendOptions, GenerationRequest, GenerationResult
from harness.errors import HarnessError
from harness.retry import GaveUp, RetryPolicy, call_with_retries

if TYPE_CHECKING:
    from harness.model_loading import ResolvedModel

_DONE = object()


class OpenAIOptions(BackendOptions):
    api_base: str | None = Field(None, description="server URL, e.g. http://localhost:8000/v1")
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable holding the "
                             "API key (never stored)")
    openai_mode: Literal["completions", "chat"] = Field(
        "completions", description="token ids to /completions, or messages to /chat/completions")
    api_concurrency: int = Field(8, ge=1, description="parallel requests (default 8)")

    @model_validator(mode="after")
    def _needs_a_server(self) -> OpenAIOptions:
        if not self.api_base:
            raise ValueError("--api-base is required with --backend openai (the server's URL, e.g. "
                             "http://localhost:8000/v1)")
        return self


class OpenAIBackend(Backend):
    name: ClassVar[str] = "openai"
    Options: ClassVar[type[BackendOptions]] = OpenAIOptions

    @classmethod
    def create(cls, model: ResolvedModel, options: BackendOptions, *, tokenizer: Any = None) -> OpenAIBackend:
        assert isinstance(options, OpenAIOptions) and options.api_base
        served = model.config.hf_repo if model.config is not None else model.name
        return cls(base_url=options.api_base, model=served, api_key_env=options.api_key_env,
                   concurrency=options.api_concurrency, mode=options.openai_mode)

    def __init__(self, *, base_url: str, model: str, api_key_env: str = "OPENAI_API_KEY", concurrency: int = 8,
                 max_retries: int = 6, backoff_s: float = 1.0, max_backoff_s: float = 60.0,
                 timeout_s: float = 600.0, mode: str = "completions", send_token_ids: bool = True,
                 vllm_extensions: bool = True) -> None:
        if mode not in ("completions", "chat"):
            raise HarnessError(f"openai backend mode must be 'completions' or 'chat', not {mode!r}")
        if concurrency < 1:
            raise HarnessError("--api-concurrency must be >= 1")
        self.base_url, self.model, self.mode = base_url, model, mode
        self.api_key_env = api_key_env
        self.concurrency, self.timeout_s = concurrency, timeout_s
        self.policy = RetryPolicy(max_retries, backoff_s, max_backoff_s)
        self.send_token_ids, self.vllm_extensions = send_token_ids, vllm_extensions

    def _payload(self, req: GenerationRequest) -> dict[str, Any]:
        p = req.params
        greedy = p.greedy
        kw: dict[str, Any] = {"model": self.model, "max_tokens": p.max_new_tokens,
                              "temperature": 0.0 if greedy else p.temperature, "top_p": 1.0 if greedy else p.top_p,
                              "seed": p.seed}
        if self.vllm_extensions and p.stop_token_ids:
            kw["extra_body"] = {"stop_token_ids": list(p.stop_token_ids)}
        if self.mode == "chat":
            if not req.messages:
                raise HarnessError("openai chat mode needs the request's messages")
            kw["messages"] = [dict(m) for m in req.messages]
        else:
            kw["prompt"] = list(req.prompt_token_ids) if self.send_token_ids else req.prompt_text
        return kw

    async def _one(self, client: Any, req: GenerationRequest) -> GenerationResult:
        payload = self._payload(req)
        start = time.perf_counter()

        async def attempt() -> tuple[Any, str, Any]:
            if self.mode == "chat":
                resp = await client.chat.completions.create(**payload)
                return resp, resp.choices[0].message.content or "", resp.choices[0]
            resp = await client.completions.create(**payload)
            return resp, resp.choices[0].text or "", resp.choices[0]

        try:
            (resp, text, choice), attempts = await call_with_retries(attempt, self.policy, random.Random())
        except GaveUp as exc:
            if exc.failure.verdict == "retry":
                raise HarnessError(f"openai backend: {self.base_url} failed {exc.attempts} times "
                                   f"({exc.failure.message[:120]}); completed results are kept") from None
            hint = ("; the server may not offer /v1/completions: try --openai-mode chat"
                    if exc.failure.message.startswith("HTTP 404") and self.mode != "chat" else "")
            raise HarnessError(f"openai backend: {self.base_url} refused the request: "
                               f"{exc.failure.message[:160]}{hint}") from None
        usage = getattr(resp, "usage", None)
        n_prompt = getattr(usage, "prompt_tokens", None) or len(req.prompt_token_ids)
        n_out = getattr(usage, "completion_tokens", None) or 0
        return GenerationResult(request_id=req.request_id, text=text, num_prompt_tokens=int(n_prompt),
                                num_output_tokens=int(n_out), finish_reason=choice.finish_reason or "stop",
                                seconds=time.perf_counter() - start, extra={"attempts": attempts})

    async def _run_all(self, requests: Sequence[GenerationRequest], out: queue.Queue) -> None:
        from openai import AsyncOpenAI

        client = AsyncOpenAI(base_url=self.base_url, api_key=os.environ.get(self.api_key_env) or "EMPTY",
                             max_retries=0, timeout=self.timeout_s)
        sem = asyncio.Semaphore(self.concurrency)

        async def worker(req: GenerationRequest) -> None:
            async with sem:
                out.put(await self._one(client, req))

        try:
            await asyncio.gather(*(worker(r) for r in requests))
        finally:
            await client.close()

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        if not requests:
            return
        results: queue.Queue = queue.Queue()

        def runner() -> None:
            try:
                asyncio.run(self._run_all(requests, results))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer thread
                results.put(exc)
            results.put(_DONE)

        thread = threading.Thread(target=runner, name="openai-backend", daemon=True)
        thread.start()
        while True:
            item = results.get()
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
        thread.join()
