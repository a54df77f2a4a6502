"""The streaming core of :meth:`OpenAIJudgeClient.complete_each`: calls in flight, answers out as they arrive.

At most ``concurrency`` calls are in flight. Requests are drawn from the caller's iterator only
when a slot is about to be free, so a benchmark builds each prompt while earlier calls wait on the
network, and there is no barrier between chunks. Every answer is committed to the judge cache
before its slot is released: the request the slot lets out next is sent after that answer is on
disk, so a killed run loses only the calls in flight and no paid call is repeated. A request equal
to one already sent waits for that call and gets its answer as a cache hit (paid once). The first
failure that stops the run (a refused key, the caller's ``on_answer`` raising) cancels the calls
in flight at once, also while the next request is waiting for a slot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from harness.judges.base import AnswerSink, JudgeRequest, JudgeResponse
from harness.judges.client import _response_from_dict, _response_to_dict

if TYPE_CHECKING:
    from harness.judges.client import OpenAIJudgeClient
    from harness.judges.transport import Transport


class CallStream:
    def __init__(self, client: OpenAIJudgeClient, transport: Transport, on_answer: AnswerSink,
                 count_each: bool) -> None:
        self.client, self.transport, self.on_answer = client, transport, on_answer
        self.count_each = count_each  # the caller gave no total: each request drawn is counted as submitted
        self.slots = asyncio.Semaphore(client.config.concurrency)
        self.sent: dict[str, asyncio.Future[JudgeResponse]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.fatal: list[BaseException] = []
        self.stop: asyncio.Future[None] | None = None

    async def run(self, requests: Iterator[JudgeRequest]) -> None:
        self.stop = asyncio.get_running_loop().create_future()
        try:
            await self._draw(requests)
            while self.tasks and not self.fatal:
                await asyncio.wait(set(self.tasks), return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for task in list(self.tasks):
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            await self.transport.close()
        if self.fatal:
            raise self.fatal[0]

    async def _draw(self, requests: Iterator[JudgeRequest]) -> None:
        client = self.client
        for position, req in enumerate(requests):
            if self.fatal:
                return
            if client.progress is not None and self.count_each:
                client.progress.submit(1)
            key = req.cache_key(client.endpoint)
            if key in self.sent:
                self._spawn(self._duplicate(position, self.sent[key]))
                continue
            hit = client.cache.get(key) if client.cache is not None else None
            if hit is not None:
                client.usage.cache_hits += 1
                client.hand_over(position, _as_cached(hit), self.on_answer, cached=True)
                continue
            if not await self._free_slot():
                return
            self.sent[key] = asyncio.get_running_loop().create_future()
            self._spawn(self._call(position, key, req, self.sent[key]))

    async def _call(self, position: int, key: str, req: JudgeRequest, answer: asyncio.Future[JudgeResponse]) -> None:
        try:
            resp = await self.client.ask(self.transport, req)
            if resp.content is not None and self.client.cache is not None:
                self.client.cache.put(req, _response_to_dict(resp), key=key)  # before the slot is released
        finally:
            self.slots.release()
        answer.set_result(resp)
        await asyncio.sleep(0)  # the request the freed slot lets out goes first, then the caller's work
        self.client.hand_over(position, resp, self.on_answer, failed=resp.content is None)

    async def _duplicate(self, position: int, answer: asyncio.Future[JudgeResponse]) -> None:
        resp = await answer
        same = _as_cached(_response_to_dict(resp)) if resp.content is not None else resp
        self.client.hand_over(position, same, self.on_answer, cached=True)

    async def _free_slot(self) -> bool:
        """Wait for a slot; False (holding none) if a failure stopped the run meanwhile."""
        assert self.stop is not None
        if not self.slots.locked():
            await self.slots.acquire()  # a free slot: no wait
        else:
            acquiring = asyncio.ensure_future(self.slots.acquire())
            await asyncio.wait({acquiring, self.stop}, return_when=asyncio.FIRST_COMPLETED)
            if not acquiring.done():
                acquiring.cancel()
                return False
        if self.fatal:
            self.slots.release()
            return False
        return True

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.fatal.append(task.exception())  # type: ignore[arg-type]
            if self.stop is not None and not self.stop.done():
                self.stop.set_result(None)


def _as_cached(stored: dict[str, Any]) -> JudgeResponse:
    return _response_from_dict(stored, cached=True)
