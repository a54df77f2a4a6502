"""Batch API judging against the local fake of the files and batches endpoints."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.benchmarks.base import JudgeOptions, ScoreOptions
from harness.errors import HarnessError
from harness.judges.batch import BatchJudgeClient, BatchJudgeConfig
from harness.judges.batch_api import input_lines
from harness.judges.client import JudgeClientConfig, OpenAIJudgeClient
from harness.judges.local_server import LocalJudgeServer
from harness.judges.progress import JudgeProgress
from tests.helpers.batch_worker import essentials, worker_requests
from tests.helpers.fake_batch_api import BatchFaults, FakeBatchAPI, verdict_or_logprob_responder

REPO_ROOT = Path(__file__).resolve().parents[2]
LIST_PRICE = (10.0, 30.0)


def _fake(**kw) -> FakeBatchAPI:
    return FakeBatchAPI(verdict_or_logprob_responder, **kw)


def _client(srv, tmp_path, **kw) -> BatchJudgeClient:
    cfg = dict(base_url=srv.base_url, cache_path=tmp_path / "judge_cache.sqlite", poll_interval_s=0.02,
               http_retries=0, price_per_mtok=LIST_PRICE)
    cfg.update(kw)
    return BatchJudgeClient(BatchJudgeConfig(**cfg), log=lambda msg: None)


def _state(tmp_path) -> list[dict]:
    return json.loads((tmp_path / "judge_batches.json").read_text())["jobs"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """What the normal client gets for the worker's requests from the same responder."""
    tmp = tmp_path_factory.mktemp("ref")
    with LocalJudgeServer(verdict_or_logprob_responder, record_bodies=True) as srv:
        client = OpenAIJudgeClient(JudgeClientConfig(base_url=srv.base_url, cache_path=tmp / "c.sqlite"))
        out = client.complete_many(worker_requests(12))
        return essentials(out), list(srv.stats.bodies)


def test_one_batch_same_answers_bodies_and_cache_as_the_normal_client(tmp_path, reference):
    ref_answers, ref_bodies = reference
    reqs = worker_requests(12)
    with _fake() as srv:
        client = _client(srv, tmp_path)
        client.progress = JudgeProgress("batch judge", enabled=False)
        out = client.complete_many(reqs + reqs[:3])  # duplicates go out once
        p = client.progress
        assert (p.submitted, p.done, p.cached, p.failed) == (15, 15, 3, 0)
        assert len(srv.creations) == 1 and srv.uploads == 1 and len(srv.creations[0]["custom_ids"]) == 12
        assert essentials(out[:12]) == ref_answers and essentials(out[12:]) == ref_answers[:3]
        key = lambda b: json.dumps(b, sort_keys=True)  # noqa: E731
        assert sorted(map(key, srv.line_bodies)) == sorted(map(key, ref_bodies))  # the very same bodies
        u = client.usage
        assert (u.calls, u.failures, u.batches, u.pricing) == (12, 0, 1, "batch")
        half = (u.prompt_tokens * LIST_PRICE[0] + u.completion_tokens * LIST_PRICE[1]) / 2e6
        assert u.cost_usd == pytest.approx(half) and out[0].extra["batch_id"] == u.batch_ids[0]
        (job,) = _state(tmp_path)
        assert job["batch_id"] == u.batch_ids[0] and job["status"] == "collected" and job["final_status"] == "completed"
        assert sorted(job["custom_ids"].values()) == sorted({r.cache_key(client.endpoint) for r in reqs})
        # a second call, and the normal client on the same cache, are answered from the cache
        again = client.complete_many(reqs)
        assert all(r.cached for r in again) and len(srv.creations) == 1
        with LocalJudgeServer(verdict_or_logprob_responder) as live:
            # the same judge (model and endpoint) through the live API shares the cache
            normal = OpenAIJudgeClient(JudgeClientConfig(base_url=live.base_url, endpoint_label=client.endpoint,
                                                         cache_path=tmp_path / "judge_cache.sqlite"))
            assert essentials(normal.complete_many(reqs)) == [{**a, "error": None} for a in ref_answers]
            assert live.request_count == 0


def test_failed_batch_is_resubmitted_then_reported(tmp_path, reference):
    reqs = worker_requests(6)
    with _fake(faults=BatchFaults(fail_batches=(0,))) as srv:
        out = _client(srv, tmp_path).complete_many(reqs)
        assert len(srv.creations) == 2 and essentials(out) == reference[0][:6]
    with _fake(faults=BatchFaults(fail_batches=(0, 1))) as srv:
        client = _client(srv, tmp_path / "b", max_rounds=2)
        out = client.complete_many(reqs)
        assert len(srv.creations) == 2 and all(r.content is None for r in out)
        assert "token_limit_exceeded" in out[0].error and client.usage.failures == 6
        assert len(client.cache) == 0 and client.usage.cost_usd == 0.0


def test_partial_results_resubmit_only_the_missing_retryable_lines(tmp_path, reference):
    reqs = worker_requests(12)
    faults = BatchFaults(drop_rate=0.2, error_rate=0.2, bad_request_rate=0.15, malformed_rate=0.15, seed=3)
    with _fake(faults=faults) as srv:
        client = _client(srv, tmp_path)
        out = client.complete_many(reqs)
    first, second = srv.creations
    job1, job2 = _state(tmp_path)
    kinds = {job1["custom_ids"][cid]: kind for cid, kind in srv.outcomes[first["batch_id"]].items()}
    assert {"ok", "drop", "500", "400", "malformed"} <= set(kinds.values())
    # the second batch holds exactly the dropped, 500 and malformed lines of the first
    assert set(job2["custom_ids"].values()) == {k for k, v in kinds.items() if v in ("drop", "500", "malformed")}
    assert client.usage.retries == len(second["custom_ids"])
    by_key = {r.cache_key(client.endpoint): i for i, r in enumerate(reqs)}
    bad = sorted(by_key[k] for k, v in kinds.items() if v == "400")
    assert [i for i, r in enumerate(out) if r.content is None] == bad  # 4xx lines fail for good, as live
    assert all("HTTP 400" in out[i].error for i in bad)
    good = [i for i in range(12) if i not in bad]
    assert [essentials(out)[i] for i in good] == [reference[0][i] for i in good]
    assert len(client.cache) == len(good) and client.usage.failures == len(bad)


def test_expired_batch_resubmits_its_unfinished_requests(tmp_path, reference):
    with _fake(faults=BatchFaults(expire_batches={0: 0.5})) as srv:
        client = _client(srv, tmp_path)
        out = client.complete_many(worker_requests(12))
        assert [len(c["custom_ids"]) for c in srv.creations] == [12, 6]
        assert essentials(out) == reference[0]
        assert [j["final_status"] for j in _state(tmp_path)] == ["expired", "completed"]


def test_kill_between_submit_and_collect_does_not_submit_twice(tmp_path, reference):
    out_file = tmp_path / "out.json"
    with _fake(complete_after_s=1.0) as srv:
        cmd = [sys.executable, "-m", "tests.helpers.batch_worker", "--base-url", srv.base_url,
               "--cache", str(tmp_path / "judge_cache.sqlite"), "--n", "12", "--out", str(out_file)]
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT)
        try:
            deadline = time.monotonic() + 60
            while not _submitted(tmp_path):
                assert proc.poll() is None and time.monotonic() < deadline, "worker ended before submitting"
                time.sleep(0.01)
        finally:
            proc.kill()
            proc.wait(timeout=10)
        assert not out_file.exists() and len(srv.creations) == 1
        assert srv.batches[srv.creations[0]["batch_id"]]["status"] not in ("completed", "expired", "failed")
        subprocess.run(cmd, cwd=REPO_ROOT, check=True, timeout=60)  # started again: resumes polling
        assert len(srv.creations) == 1 and srv.uploads == 1 and srv.create_calls == 1
    result = json.loads(out_file.read_text())
    assert result["responses"] == reference[0]  # complete, and what an uninterrupted run gets
    assert result["usage"]["batches"] == 0 and result["usage"]["calls"] == 12


def _submitted(tmp_path) -> bool:
    try:
        return any(j.get("batch_id") for j in _state(tmp_path))
    except (OSError, json.JSONDecodeError):
        return False


@pytest.mark.parametrize("lost_reply", [False, True])
def test_crash_between_upload_and_creation_reuses_the_upload(tmp_path, reference, lost_reply):
    """No reply to batches.create: the next run adopts the batch made from the uploaded file, if
    any (found with batches.list), or creates it from that file; nothing is uploaded twice."""
    faults = BatchFaults(create_lost_replies=1) if lost_reply else BatchFaults(create_errors=1)
    with _fake(faults=faults) as srv:
        with pytest.raises(HarnessError, match="cannot create the batch: HTTP 500"):
            _client(srv, tmp_path).complete_many(worker_requests(4))
        (job,) = _state(tmp_path)
        assert job["batch_id"] is None and job["input_file_id"] == "file-fake-0"
        out = _client(srv, tmp_path).complete_many(worker_requests(4))
        assert srv.uploads == 1 and len(srv.creations) == 1 and essentials(out) == reference[0][:4]


def test_waiting_too_long_is_an_error_and_a_rerun_resumes(tmp_path, reference):
    with _fake(complete_after_s=0.6) as srv:
        with pytest.raises(HarnessError, match="not finished after 0.1 s; run the same command again"):
            _client(srv, tmp_path, max_wait_s=0.1).complete_many(worker_requests(4))
        out = _client(srv, tmp_path).complete_many(worker_requests(4))
        assert len(srv.creations) == 1 and essentials(out) == reference[0][:4]


def test_endpoint_without_batch_api_is_a_one_line_error(tmp_path):
    with LocalJudgeServer() as srv, pytest.raises(HarnessError, match="needs OpenAI's files and batches"):
        _client(srv, tmp_path).complete_many(worker_requests(1))


def test_api_key_from_env_never_written_and_required_for_openai(tmp_path, monkeypatch):
    secret = "sk-batch-SECRET-0123456789"
    monkeypatch.setenv("MY_BATCH_KEY", secret)
    with _fake() as srv:
        client = _client(srv, tmp_path, api_key_env="MY_BATCH_KEY")
        client.complete_many(worker_requests(3))
        assert secret not in repr(client)
    assert all(secret.encode() not in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    monkeypatch.delenv("NO_SUCH_KEY", raising=False)
    with pytest.raises(HarnessError, match="NO_SUCH_KEY"):
        BatchJudgeClient(BatchJudgeConfig(api_key_env="NO_SUCH_KEY", cache_path=tmp_path / "c.sqlite"))


def test_self_hosted_endpoint_cost_unknown_and_bad_state_file(tmp_path):
    with _fake() as srv:
        client = _client(srv, tmp_path, price_per_mtok=None)
        client.complete_many(worker_requests(2))
        assert client.usage.cost_usd is None and client.usage.calls == 2
        (tmp_path / "judge_batches.json").write_text("{not json")
        with pytest.raises(HarnessError, match="judge_batches.json is unreadable"):
            _client(srv, tmp_path).complete_many(worker_requests(3))


def test_inputs_are_split_by_model_and_within_the_batch_limits(tmp_path, reference):
    with _fake() as srv:
        out = _client(srv, tmp_path, max_requests_per_batch=5).complete_many(worker_requests(12))
        assert [len(c["custom_ids"]) for c in srv.creations] == [5, 5, 2]
        assert essentials(out) == reference[0]
    other = [dataclasses.replace(r, model="gpt-4.1-2025-04-14") for r in worker_requests(3)]
    parts = input_lines({r.cache_key(): r for r in worker_requests(3) + other}, 50_000, 2**20)
    assert [[json.loads(line)["body"]["model"] for _, _, line in part] for part in parts] == [
        ["gpt-4-1106-preview"] * 3, ["gpt-4.1-2025-04-14"] * 3]  # one model per input file
    assert len({cid for part in parts for cid, _, _ in part}) == 6
    with pytest.raises(HarnessError, match="over the batch input limit of 100"):
        input_lines({r.cache_key(): r for r in other}, 10, 100)


def test_arena_hard_annotations_via_batch_equal_the_live_ones(tmp_path, shared_dir):
    """Through a real benchmark: same verdicts, same rows, one batch for the chunk of games."""
    from harness.benchmarks.arena_hard.benchmark import ArenaHard
    from harness.store.jsonl import append_jsonl, read_jsonl
    from harness.store.layout import RunDir

    bench = ArenaHard()
    items = bench.load_items(shared_dir / "data" / "arena_hard_v0.1", limit=4)
    rows = {}
    for how in ("live", "batch"):
        run = RunDir(tmp_path / how, "tiny-model", "arena_hard")
        append_jsonl(run.ensure().generations, [
            {"key": f"k{i}", "item_id": it.item_id, "turn": 0, "sample_index": 0, "model": "tiny-model",
             "output": f"answer {i}"} for i, it in enumerate(items)])
        cache = run.path / "judge_cache.sqlite"
        if how == "live":
            with LocalJudgeServer(verdict_or_logprob_responder) as srv:
                client = OpenAIJudgeClient(JudgeClientConfig(base_url=srv.base_url, cache_path=cache))
                bench.judge(run.path, client, items, JudgeOptions())
        else:
            with _fake() as srv:
                bench.judge(run.path, _client(srv, run.path), items, JudgeOptions())
                assert [len(c["custom_ids"]) for c in srv.creations] == [8]
        rows[how] = [{k: v for k, v in r.items() if k not in ("cost_usd", "cached", "judge_endpoint")}
                     for r in read_jsonl(run.annotations)]  # the two servers' URLs differ, nothing else
        scores = bench.score(run.path, ScoreOptions())
        rows[how].append(scores["metrics"])
    assert rows["batch"] == rows["live"] and len(rows["live"]) == 9
