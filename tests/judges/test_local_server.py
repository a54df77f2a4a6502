from __future__ import annotations

import json
import math
import subprocess
import sys
import time
import urllib.request

import httpx
import pytest

from harness.judges.local_server import Faults, LocalJudgeServer, Reply, scripted_logprob_responder


def _post(url: str, body: dict) -> httpx.Response:
    return httpx.post(url + "/chat/completions", json=body, timeout=10)


def test_chat_completion_with_logprobs_and_models():
    with LocalJudgeServer(scripted_logprob_responder({"m": -2.0, "M": -0.2, "x": -9.0}), model_names=("judge-a",)) as srv:
        r = _post(srv.base_url, {"model": "judge-a", "messages": [{"role": "user", "content": "hi"}],
                                 "logprobs": True, "top_logprobs": 2, "max_tokens": 1})
        assert r.status_code == 200
        body = r.json()
        choice = body["choices"][0]
        assert choice["message"] == {"role": "assistant", "content": "M"}
        pos = choice["logprobs"]["content"][0]
        assert pos["token"] == "M" and [t["token"] for t in pos["top_logprobs"]] == ["M", "m"]
        assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
        models = httpx.get(srv.base_url + "/models").json()
        assert [m["id"] for m in models["data"]] == ["judge-a"]
        assert srv.request_count == 1


def test_openai_package_talks_to_it():
    import openai

    with LocalJudgeServer(lambda body: Reply("pong", top_logprobs=[{"pong": -0.01, "ping": -4.6}])) as srv:
        client = openai.OpenAI(base_url=srv.base_url, api_key="EMPTY", max_retries=0)
        out = client.chat.completions.create(model="x", messages=[{"role": "user", "content": "ping"}],
                                             logprobs=True, top_logprobs=2, max_tokens=1)
        assert out.choices[0].message.content == "pong"
        assert out.choices[0].logprobs.content[0].top_logprobs[1].token == "ping"


def test_fault_injection_is_seeded_and_counted():
    def outcomes(seed):
        faults = Faults(rate_429=0.2, rate_500=0.2, rate_malformed=0.2, seed=seed)
        with LocalJudgeServer(faults=faults) as srv:
            codes = []
            for i in range(30):
                r = _post(srv.base_url, {"messages": [{"role": "user", "content": str(i)}]})
                ok_json = True
                try:
                    r.json()
                except json.JSONDecodeError:
                    ok_json = False
                codes.append((r.status_code, ok_json))
            return codes, dict(srv.stats.by_outcome), srv.request_count

    a, stats, n = outcomes(3)
    assert a == outcomes(3)[0] and n == 30
    assert {429, 500} <= {c for c, _ in a} and (200, False) in a and (200, True) in a
    assert sum(stats.values()) == 30


def test_timeout_fault_sleeps_and_latency_applies():
    with LocalJudgeServer(latency_s=0.2, faults=Faults(rate_timeout=1.0, timeout_sleep_s=0.3)) as srv:
        t = time.perf_counter()
        r = _post(srv.base_url, {"messages": [{"role": "user", "content": "x"}]})
        assert r.status_code == 500 and time.perf_counter() - t >= 0.5


def test_bad_request_and_unknown_route():
    with LocalJudgeServer() as srv:
        assert httpx.post(srv.base_url + "/chat/completions", content=b"nope").status_code == 400
        assert httpx.get(srv.base_url + "/nothing").status_code == 404


def test_runs_as_a_module():
    proc = subprocess.Popen([sys.executable, "-m", "harness.judges.local_server", "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = line.strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        req = urllib.request.Request(url + "/chat/completions", data=json.dumps(
            {"messages": [{"role": "user", "content": "a"}], "logprobs": True, "top_logprobs": 2}).encode(),
            headers={"Content-Type": "application/json"})
        body = json.loads(urllib.request.urlopen(req, timeout=10).read())
        tops = body["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        assert {t["token"] for t in tops} == {"m", "M"}
        assert math.isclose(sum(math.exp(t["logprob"]) for t in tops), 1.0, rel_tol=1e-6)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("path", ["/v1/models", "/models"])
def test_models_paths(path):
    with LocalJudgeServer() as srv:
        assert httpx.get(f"http://127.0.0.1:{srv.port}{path}").status_code == 200


def test_stats_endpoint_reports_counts_without_counting_itself():
    with LocalJudgeServer(faults=Faults(rate_429=1.0)) as srv:
        _post(srv.base_url, {"messages": [{"role": "user", "content": "x"}]})
        stats = httpx.get(srv.base_url + "/stats").json()
        assert stats["chat_requests"] == 1 and stats["by_outcome"] == {"429": 1}
        assert httpx.get(srv.base_url + "/stats").json()["requests"] == 1


class _ConstResponder:
    def __call__(self, body):
        return Reply("k")


def test_load_responder_accepts_callables_and_classes():
    from harness.judges.local_server import echo_responder, load_responder

    assert load_responder("harness.judges.local_server:echo_responder") is echo_responder
    assert load_responder(f"{__name__}:_ConstResponder")({}).content == "k"
