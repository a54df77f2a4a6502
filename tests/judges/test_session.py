"""The judge session builds the right client in one place: presets applied, --serve-judge's server
started and stopped with a stable endpoint label, --judge-batch as one batch per job, and what it
records (preset name and hash, transport, official or not)."""

from __future__ import annotations

import sys

import httpx
import pytest

from harness.benchmarks.alpaca_eval import protocol as ae
from harness.benchmarks.mt_bench.benchmark import MTBench
from harness.benchmarks.mt_bench.protocol import needs_reference
from harness.errors import HarnessError
from harness.judges import serve
from harness.judges.base import JudgeRequest
from harness.judges.local_server import Reply
from harness.judges.presets import get_preset
from harness.pipeline.judge_stage import JudgeSession, judge_options_for, judge_run_dir
from harness.pipeline.settings import JudgeSettings
from harness.store.jsonl import append_jsonl, read_jsonl
from harness.store.judgments import OPENAI_ENDPOINT
from harness.store.layout import RunDir
from tests.helpers.fake_batch_api import FakeBatchAPI

OPEN = "llama-3.1-70b-instruct"


def test_settings_derive_model_endpoint_and_references_from_the_preset(monkeypatch):
    from harness.benchmarks import get_spec

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    served = JudgeSettings(judge_preset=OPEN, serve_judge=True)
    assert served.endpoint == f"vllm-serve:{OPEN}" and not served.embedded
    assert served.judge_id("gpt-4").model == "meta-llama/Llama-3.1-70B-Instruct"
    assert served.reference_for("mt_bench") == "gpt-4" and served.reference_for("arena_hard") is None
    turbo = JudgeSettings(judge_preset="gpt-4-1106-preview")
    assert turbo.endpoint == OPENAI_ENDPOINT and turbo.reference_for("mt_bench") == "gpt-4-1106-preview"
    opts = judge_options_for(JudgeSettings(judge_preset=OPEN, judge_base_url="http://h/v1", reference_model="x"),
                             get_spec("mt_bench"), None)
    assert (opts.judge_model, opts.reference_model) == ("meta-llama/Llama-3.1-70B-Instruct", "x")
    monkeypatch.delenv("OPENAI_API_KEY")
    assert JudgeSettings().embedded and not JudgeSettings(judge_preset="gpt-4.1").embedded


def _fake_vllm(monkeypatch) -> None:
    """--serve-judge with the local OpenAI-compatible server standing in for vLLM's."""
    monkeypatch.setattr(serve, "vllm_available", lambda: True)
    monkeypatch.setattr(serve, "server_command", lambda preset, port, **kw: [
        sys.executable, "-m", "harness.judges.local_server", "--port", str(port)])


def test_serve_judge_starts_the_server_once_stops_it_and_keeps_a_stable_identity(tmp_path, monkeypatch):
    _fake_vllm(monkeypatch)
    settings = JudgeSettings(judge_preset=OPEN, serve_judge=True)
    req = JudgeRequest.from_messages(ae.DEFAULT_JUDGE_MODEL, [{"role": "user", "content": "which?"}], **ae.JUDGE_KWARGS)
    urls = []
    for _ in range(2):  # two commands: a server on a new port each time, the same judge
        session = JudgeSession(settings, progress=False)
        session.use(tmp_path / "judge_cache.sqlite", "t", benchmark="alpaca_eval")
        try:
            first = session.complete_many([req])[0]
            session.complete_many([req])
            urls.append(session.served_url)
            hits = session.usage()["cache_hits"]
        finally:
            session.close()
        with pytest.raises(httpx.ConnectError):
            httpx.get(urls[-1] + "/models", timeout=2)  # stopped at the end
        assert session.endpoint == f"vllm-serve:{OPEN}"
    assert urls[0] != urls[1] and first.cached and hits == 2  # the second command pays nothing
    assert first.extra.get("original_cost_usd") is None  # self-hosted: no API price
    assert first.extra["served_model"] == "meta-llama/Llama-3.1-70B-Instruct"  # the preset's model id was sent


def _mt_run(tmp_path, shared_dir, n_questions: int):
    bench = MTBench()
    items = [it for it in bench.load_items(shared_dir / "data") if not needs_reference(it.category)][:n_questions]
    run = RunDir(tmp_path, "tiny-model", "mt_bench").ensure()
    append_jsonl(run.generations, [
        {"key": f"k{i}-{t}", "item_id": it.item_id, "turn": t, "sample_index": 0, "model": "tiny-model",
         "output": f"answer {t} to {i}"} for i, it in enumerate(items) for t in range(2)])
    return bench, items, run


def _grader(body) -> Reply:
    return Reply(content=f"Fine.\n\nRating: [[{1 + len(body['messages'][-1]['content']) % 10}]]")


def test_batch_mode_judges_a_job_in_one_batch_and_records_batch_pricing(tmp_path, shared_dir):
    """80 MT-Bench turns: 2 chunks of 64 for a live client, one batch through the Batch API."""
    bench, items, run = _mt_run(tmp_path, shared_dir, 40)
    with FakeBatchAPI(_grader) as api:
        settings = JudgeSettings(judge_preset="gpt-4", judge_base_url=api.base_url, batch=True, batch_poll_s=0.05)
        session = JudgeSession(settings, progress=False)
        try:
            info = judge_run_dir(bench, run.path, items, session, shared_dir / "data")
        finally:
            session.close()
        creations = list(api.creations)
    assert len(creations) == 1 and len(creations[0]["custom_ids"]) == 80
    rows = list(read_jsonl(run.annotations))
    assert len(rows) == 80 and all(r["error"] is None and r["judge_endpoint"] == api.base_url for r in rows)
    last = list(read_jsonl(run.judge_runs))[-1]
    preset = get_preset("gpt-4")
    assert (last["judge_preset"], last["judge_preset_sha256"], last["judge_transport"]) == (
        "gpt-4", preset.sha256, "batch")
    assert last["pricing"] == "batch" and last["batches"] == 1 and info["usage"]["batch_ids"]
    assert last["judge_official"] is False  # gpt-4, but not at OpenAI's endpoint
    assert (run.path / "judge_batches.json").is_file()  # the state file beside the cache


def test_a_preset_without_the_benchmark_fails_before_any_call(tmp_path, shared_dir):
    from harness.benchmarks.alpaca_eval.benchmark import AlpacaEval2

    session = JudgeSession(JudgeSettings(judge_preset="gpt-4", judge_base_url="http://127.0.0.1:9/v1"), progress=False)
    with pytest.raises(HarnessError, match="has no 'alpaca_eval' protocol"):
        judge_run_dir(AlpacaEval2(), tmp_path, [], session, None)
