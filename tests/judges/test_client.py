from __future__ import annotations

import asyncio
import sqlite3

import pytest

from harness.errors import HarnessError
from harness.judges.base import JudgeRequest
from harness.judges.client import JudgeCache, JudgeClientConfig, OpenAIJudgeClient, price_for
from harness.judges.local_server import Faults, LocalJudgeServer, Reply, hashed_preference_responder

SECRET = "sk-test-SECRET-value-1234567890"


def _reqs(n: int, model: str = "gpt-4-1106-preview") -> list[JudgeRequest]:
    return [JudgeRequest.from_messages(model, [{"role": "user", "content": f"q{i}"}], max_tokens=1, logprobs=True,
                                       top_logprobs=5, temperature=1.0) for i in range(n)]


def _client(srv: LocalJudgeServer, tmp_path, **kw) -> OpenAIJudgeClient:
    cfg = dict(base_url=srv.base_url, cache_path=tmp_path / "cache.sqlite", backoff_initial_s=0.01,
               backoff_max_s=0.05, timeout_s=2.0, jitter_seed=0)
    cfg.update(kw)
    return OpenAIJudgeClient(JudgeClientConfig(**cfg))


def test_order_logprobs_cache_and_no_repeat(tmp_path):
    with LocalJudgeServer(hashed_preference_responder) as srv:
        client = _client(srv, tmp_path, price_per_mtok=(10.0, 30.0))
        reqs = _reqs(20)
        out = client.complete_many(reqs + reqs[:3])  # duplicates in one batch are asked once
        assert srv.request_count == 20
        assert len(out) == 23 and all(r.content in ("m", "M") for r in out)
        assert out[20].top_logprobs == out[0].top_logprobs
        assert {t["token"] for t in out[0].top_logprobs[0]} >= {"m", "M"}
        assert client.usage.calls == 20 and client.usage.prompt_tokens > 0
        expected = (client.usage.prompt_tokens * 10 + client.usage.completion_tokens * 30) / 1e6
        assert client.usage.cost_usd == pytest.approx(expected)
        # a new client (new process) on the same cache makes zero calls
        again = _client(srv, tmp_path).complete_many(list(reversed(reqs)))
        assert srv.request_count == 20
        assert all(r.cached for r in again) and again[0].top_logprobs == out[19].top_logprobs
        assert again[0].extra["cost_usd"] == 0.0


def test_retries_through_injected_faults(tmp_path):
    """Independent of machine speed: an injected timeout sleeps far longer than the client waits, and a
    normal answer that a loaded machine delays past the client's timeout is simply retried too."""
    faults = Faults(rate_429=0.15, rate_500=0.15, rate_malformed=0.15, rate_timeout=0.05, timeout_sleep_s=60, seed=7)
    with LocalJudgeServer(hashed_preference_responder, faults=faults) as srv:
        client = _client(srv, tmp_path, timeout_s=3.0, max_retries=20)
        out = client.complete_many(_reqs(40))
        assert all(r.content is not None and r.error is None for r in out)
        assert client.usage.retries > 0 and client.usage.failures == 0 and client.usage.calls == 40
        assert srv.stats.by_outcome["timeout"] >= 1 and srv.stats.by_outcome["ok"] >= 40
        assert len(client.cache) == 40


def test_gives_up_and_does_not_cache_failures(tmp_path):
    with LocalJudgeServer(faults=Faults(rate_500=1.0)) as srv:
        client = _client(srv, tmp_path, max_retries=2)
        out = client.complete_many(_reqs(2))
        assert all(r.content is None and "gave up after 3 attempts" in r.error for r in out)
        assert srv.request_count == 6 and len(client.cache) == 0 and client.usage.failures == 2


def test_cache_is_written_per_call_in_wal_mode(tmp_path):
    with LocalJudgeServer(hashed_preference_responder) as srv:
        client = _client(srv, tmp_path)
        client.complete_many(_reqs(3))
    db = sqlite3.connect(tmp_path / "cache.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = db.execute("SELECT key, request FROM judge_calls").fetchall()
    assert {k for k, _ in rows} == {r.cache_key(srv.base_url) for r in _reqs(3)}


def test_api_key_from_env_only_and_never_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MY_JUDGE_KEY", SECRET)
    seen = []

    def responder(body):
        return Reply("M", top_logprobs=[{"M": -0.1, "m": -2.4}])

    with LocalJudgeServer(responder, record_bodies=True) as srv:
        client = _client(srv, tmp_path, api_key_env="MY_JUDGE_KEY")
        assert SECRET not in repr(client) and SECRET not in client.config.model_dump_json()
        client.complete_many(_reqs(2))
        seen = srv.stats.bodies
    assert seen and all(SECRET not in str(b) for b in seen)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in capsys.readouterr().out


def test_missing_key_for_openai_is_a_one_line_error(monkeypatch):
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    with pytest.raises(HarnessError, match="NO_SUCH_KEY_VAR"):
        OpenAIJudgeClient(JudgeClientConfig(api_key_env="NO_SUCH_KEY_VAR"))


def test_auth_error_stops_with_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_JUDGE_KEY", SECRET)
    with LocalJudgeServer(faults=Faults(rate_401=1.0)) as srv:
        client = _client(srv, tmp_path, api_key_env="MY_JUDGE_KEY")
        with pytest.raises(HarnessError, match="MY_JUDGE_KEY") as info:
            client.complete_many(_reqs(1))
        assert SECRET not in str(info.value) and srv.request_count == 1


def test_responder_error_is_retried_then_reported(tmp_path):
    with LocalJudgeServer(lambda body: (_ for _ in ()).throw(RuntimeError("boom"))) as srv:
        out = _client(srv, tmp_path, max_retries=1).complete_many(_reqs(1))
        assert out[0].content is None and "500" in out[0].error and srv.request_count == 2


def test_a_self_hosted_server_is_not_priced_as_gpt4(tmp_path):
    """A local server answering under a GPT-4 name: cost unknown (None), not GPT-4's list price."""
    with LocalJudgeServer(hashed_preference_responder) as srv:
        client = _client(srv, tmp_path)
        out = client.complete_many(_reqs(2))
    assert client.usage.calls == 2 and client.usage.cost_usd is None and out[0].extra["cost_usd"] is None


def test_unknown_price_and_override():
    assert price_for("gpt-4-1106-preview") == (10.0, 30.0)
    assert price_for("gpt-4o-mini-2024-07-18") == (0.15, 0.60)
    assert price_for("my-local-judge") is None
    assert price_for("my-local-judge", (1.0, 2.0)) == (1.0, 2.0)


def test_complete_many_inside_running_event_loop(tmp_path):
    with LocalJudgeServer(hashed_preference_responder) as srv:
        client = _client(srv, tmp_path)

        async def inside():
            return client.complete_many(_reqs(2))

        assert len(asyncio.run(inside())) == 2


def test_cache_rejects_garbage_file(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database at all" * 100)
    with pytest.raises(HarnessError, match="not a usable sqlite"):
        JudgeCache(bad)


def test_progress_counts_new_cached_and_failed_calls(tmp_path):
    from harness.judges.progress import JudgeProgress

    with LocalJudgeServer(hashed_preference_responder) as srv:
        client = _client(srv, tmp_path)
        client.progress = JudgeProgress("test judge", enabled=True)
        reqs = _reqs(6)
        client.complete_many(reqs[:4] + reqs[:1])  # 4 calls, 1 duplicate answered by one of them
        client.complete_many(reqs)  # 4 from the cache, 2 new
        p = client.progress
        assert (p.submitted, p.done, p.cached, p.failed) == (11, 11, 5, 0)
        p.close()
    with LocalJudgeServer(faults=Faults(rate_500=1.0)) as srv:
        client = _client(srv, tmp_path / "other", max_retries=0)
        client.progress = JudgeProgress("test judge", enabled=False)
        client.complete_many(_reqs(2))
        assert (client.progress.done, client.progress.failed) == (2, 2)
