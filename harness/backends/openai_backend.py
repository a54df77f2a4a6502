"""Decoding through any OpenAI-compatible server (vLLM's, a hosted API, ...).

``mode="completions"`` sends the rendered prompt as token ids (vLLM's server accepts them,
so the server cannot add a second BOS); ``send_token_ids=False`` sends the text instead.
``mode="chat"`` sends the conversation and lets the server apply its template. Requests run
concurrently (asyncio, at most ``concurrency`` in flight), are retried with exponential
backoff on rate limits, timeouts, connection errors and 5xx, and are yielded as they finish.
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
from typing import Any

from harness.backends.base import Backend, GenerationRequest, GenerationResult
from harness.errors import HarnessError

_DONE = object()


class OpenAIBackend(Backend):
    name = "openai"

    def __init__(self, *, base_url: str, model: str, api_key_env: str = "OPENAI_API_KEY", concurrency: int = 8,
                 max_retries: int = 6, backoff_s: float = 1.0, max_backoff_s: float = 60.0,
                 timeout_s: float = 600.0, mode: str = "completions", send_token_ids: bool = True,
                 vllm_extensions: bool = True) -> None:
        if mode not in ("completions", "chat"):
            raise HarnessError(f"openai backend mode must be 'completions' or 'chat', not {mode!r}")
        if concurrency < 1:
            raise HarnessError("--concurrency must be >= 1")
        self.base_url, self.model, self.mode = base_url, model, mode
        self.api_key_env = api_key_env
        self.concurrency, self.max_retries = concurrency, max_retries
        self.backoff_s, self.max_backoff_s, self.timeout_s = backoff_s, max_backoff_s, timeout_s
        self.send_token_ids, self.vllm_extensions = send_token_ids, vllm_extensions

    def _payload(self, req: GenerationRequest) -> dict[str, Any]:
        p = req.params
        greedy = p.temperature <= 0.0 or p.alpaca_eval_062_beam_quirk
        kw: dict[str, Any] = {"model": self.model, "max_tokens": p.max_new_tokens,
                              "temperature": 0.0 if greedy else p.temperature, "top_p": 1.0 if greedy else p.top_p,
                              "seed": p.seed}
        if p.stop:
            kw["stop"] = list(p.stop)
        if self.vllm_extensions and p.stop_token_ids:
            kw["extra_body"] = {"stop_token_ids": list(p.stop_token_ids)}
        if self.mode == "chat":
            if not req.messages:
                raise HarnessError("openai chat mode needs the request's messages")
            kw["messages"] = [dict(m) for m in req.messages]
        else:
            kw["prompt"] = list(req.prompt_token_ids) if self.send_token_ids else req.prompt_text
        return kw

    @staticmethod
    def _retryable(exc: Exception) -> bool:
        import openai

        if isinstance(exc, (openai.RateLimitError, openai.APIConnectionError, openai.APITimeoutError,
                            openai.InternalServerError)):
            return True
        return isinstance(exc, openai.APIStatusError) and (exc.status_code == 429 or exc.status_code >= 500)

    async def _one(self, client: Any, req: GenerationRequest) -> GenerationResult:
        payload = self._payload(req)
        start = time.perf_counter()
        for attempt in range(self.max_retries + 1):
            try:
                if self.mode == "chat":
                    resp = await client.chat.completions.create(**payload)
                    choice = resp.choices[0]
                    text = choice.message.content or ""
                else:
                    resp = await client.completions.create(**payload)
                    choice = resp.choices[0]
                    text = choice.text or ""
                break
            except Exception as exc:  # noqa: BLE001 - classified below
                if not self._retryable(exc):
                    hint = ("; the server may not offer /v1/completions: try --openai-mode chat"
                            if getattr(exc, "status_code", None) == 404 and self.mode != "chat" else "")
                    raise HarnessError(f"openai backend: {self.base_url} refused the request: "
                                       f"{exc.__class__.__name__} {getattr(exc, 'status_code', '')}".strip()
                                       + hint) from None
                if attempt == self.max_retries:
                    raise HarnessError(f"openai backend: {self.base_url} failed {attempt + 1} times "
                                       f"({exc.__class__.__name__}); completed results are kept") from None
                delay = min(self.max_backoff_s, self.backoff_s * 2**attempt) * (0.5 + random.random() / 2)
                await asyncio.sleep(delay)
        usage = getattr(resp, "usage", None)
        n_prompt = getattr(usage, "prompt_tokens", None) or len(req.prompt_token_ids)
        n_out = getattr(usage, "completion_tokens", None) or 0
        return GenerationResult(request_id=req.request_id, text=text, num_prompt_tokens=int(n_prompt),
                                num_output_tokens=int(n_out), finish_reason=choice.finish_reason or "stop",
                                seconds=time.perf_counter() - start, extra={"attempts": attempt + 1})

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
