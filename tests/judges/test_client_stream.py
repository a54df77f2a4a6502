"""``complete_each``: answers handed over as they arrive, requests drawn lazily, no chunk barrier."""

from __future__ import annotations

import time

import pytest

from harness.errors import HarnessError
from harness.judges.base import JudgeClient, JudgeRequest, JudgeResponse
from harness.judges.local_server import Faults, LocalJudgeServer, Reply, hashed_preference_responder
from tests.judges.test_client import _client  # the client the judge-client tests configure


def _req(i: int) -> JudgeRequest:
    return JudgeRequest.from_messages("local-judge", [{"role": "user", "content": f"q{i}"}], max_tokens=1)


def test_answers_stream_while_later_requests_are_still_being_drawn(tmp_path):
    drawn: list[int] = []
    answered: list[tuple[int, int]] = []  # (position, how many requests were drawn by then)

    def requests():
        for i in range(12):
            drawn.append(i)
            yield _req(i)

    with LocalJudgeServer(hashed_preference_responder, latency_s=0.05) as srv:
        client = _client(srv, tmp_path, concurrency=2)
        client.complete_each(requests(), lambda pos, resp: answered.append((pos, len(drawn))), chunk=4)
    assert sorted(p for p, _ in answered) == list(range(12))
    assert all(n_drawn > pos for pos, n_drawn in answered)  # never an answer before its request
    assert answered[0][1] < 12  # the first answer came while requests were still being built
    assert srv.request_count == 12


def test_no_barrier_between_chunks(tmp_path):
    """7 calls of 300 ms at concurrency 4 take 2 rounds; in chunks of 3, one after the other, 3 rounds."""
    with LocalJudgeServer(hashed_preference_responder, latency_s=0.3) as srv:
        client = _client(srv, tmp_path, concurrency=4)
        start = time.perf_counter()
        client.complete_each([_req(i) for i in range(7)], lambda pos, resp: None, chunk=3)
        elapsed = time.perf_counter() - start
    assert srv.request_count == 7
    assert elapsed < 0.85


def test_duplicates_are_asked_once_and_cache_hits_come_without_a_call(tmp_path):
    with LocalJudgeServer(hashed_preference_responder) as srv:
        client = _client(srv, tmp_path)
        got: dict[int, JudgeResponse] = {}
        client.complete_each([_req(0), _req(1), _req(0)], got.__setitem__, chunk=8)
        assert srv.request_count == 2 and got[2].top_logprobs == got[0].top_logprobs
        again: dict[int, JudgeResponse] = {}
        client.complete_each(iter([_req(1), _req(2)]), again.__setitem__, chunk=8)
        assert srv.request_count == 3 and again[0].cached and not again[1].cached


def test_a_failing_sink_stops_the_stream_and_keeps_what_was_cached(tmp_path):
    with LocalJudgeServer(hashed_preference_responder, latency_s=0.02) as srv:
        client = _client(srv, tmp_path, concurrency=2)

        def sink(pos: int, resp: JudgeResponse) -> None:
            raise OSError("disk full (test)")

        with pytest.raises(OSError, match="disk full"):
            client.complete_each([_req(i) for i in range(50)], sink, chunk=8)
        assert srv.request_count < 50  # stopped early, not after every call
        assert 1 <= len(client.cache) <= srv.request_count


def test_a_refused_key_stops_the_stream_with_a_one_line_error(tmp_path):
    with LocalJudgeServer(faults=Faults(rate_401=1.0)) as srv:
        client = _client(srv, tmp_path, concurrency=4)
        with pytest.raises(HarnessError, match="refused the API key"):
            client.complete_each([_req(i) for i in range(40)], lambda p, r: None, chunk=8)
        assert srv.request_count <= 8


def test_the_default_complete_each_hands_chunks_to_complete_many():
    class Recording(JudgeClient):
        def __init__(self) -> None:
            self.calls: list[int] = []

        def complete_many(self, requests):
            self.calls.append(len(requests))
            return [JudgeResponse(content=r.messages[0][1]) for r in requests]

    client, got = Recording(), {}
    client.complete_each((_req(i) for i in range(7)), lambda p, r: got.__setitem__(p, r.content), chunk=3)
    assert client.calls == [3, 3, 1]
    assert got == {i: f"q{i}" for i in range(7)}


def test_responder_reply_object_round_trips_through_the_stream(tmp_path):
    with LocalJudgeServer(lambda body: Reply(content="[[7]]")) as srv:
        got: dict[int, JudgeResponse] = {}
        _client(srv, tmp_path).complete_each([_req(0)], got.__setitem__, chunk=1)
    assert got[0].content == "[[7]]"


def _slow_for(prompt: str, seconds: float):
    def respond(body):
        if body["messages"][-1]["content"] == prompt:
            time.sleep(seconds)
        return hashed_preference_responder(body)

    return respond


def test_a_sink_failing_while_the_next_request_waits_for_a_slot_stops_at_once(tmp_path):
    """The slow call in flight is not waited for: the failure ends the stream while the next
    request is still waiting for a slot."""
    with LocalJudgeServer(_slow_for("q1", 5.0)) as srv:
        client = _client(srv, tmp_path, concurrency=2)

        def sink(pos: int, resp: JudgeResponse) -> None:
            raise OSError("disk full (test)")

        start = time.perf_counter()
        with pytest.raises(OSError, match="disk full"):
            client.complete_each([_req(i) for i in range(20)], sink, chunk=8)
        assert time.perf_counter() - start < 3.0
        assert srv.request_count <= 3


def test_a_duplicate_drawn_after_its_call_finished_is_a_free_cache_hit(tmp_path):
    with LocalJudgeServer(hashed_preference_responder) as srv:
        client = _client(srv, tmp_path, concurrency=1, price_per_mtok=(10.0, 30.0))
        got: dict[int, JudgeResponse] = {}
        client.complete_each([_req(0), _req(1), _req(0)], got.__setitem__, chunk=8)
    assert srv.request_count == 2
    assert not got[0].cached and got[0].extra["cost_usd"] > 0
    assert got[2].cached and got[2].extra["cost_usd"] == 0.0 and got[2].content == got[0].content
