"""The openai backend against a small OpenAI-compatible HTTP server started in the test."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.backends.base import GenerationRequest, SamplingParams
from harness.backends.openai_backend import OpenAIBackend
from harness.errors import HarnessError


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = self.max_in_flight = 0
        self.fail_first = 0  # respond 500 / 429 to this many requests first
        self.requests: list[dict] = []
        self.auth: set[str] = set()


def _server(state: _State) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.lock:
                state.auth.add(self.headers.get("Authorization", ""))
                state.requests.append({"path": self.path, **body})
                state.in_flight += 1
                state.max_in_flight = max(state.max_in_flight, state.in_flight)
                fail = state.fail_first > 0
                if fail:
                    state.fail_first -= 1
            time.sleep(0.02)
            with state.lock:
                state.in_flight -= 1
            if fail:
                code = 429 if len(state.requests) % 2 else 500
                return self._send(code, {"error": {"message": "try again", "type": "server_error"}})
            if body.get("model") == "bad":
                return self._send(400, {"error": {"message": "no such model", "type": "invalid_request_error"}})
            if self.path.endswith("/chat/completions"):
                text = "chat:" + body["messages"][-1]["content"]
                choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                obj = "chat.completion"
            else:
                prompt = body["prompt"]
                text = f"ids:{len(prompt)}" if isinstance(prompt, list) else "text:" + prompt
                choice = {"index": 0, "text": text, "finish_reason": "length", "logprobs": None}
                obj = "text_completion"
            n_prompt = len(body.get("prompt") or body.get("messages"))
            self._send(200, {"id": "x", "object": obj, "created": 0, "model": body["model"], "choices": [choice],
                             "usage": {"prompt_tokens": n_prompt, "completion_tokens": 3, "total_tokens": n_prompt + 3}})

        def _send(self, code, obj):
            data = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@pytest.fixture
def server():
    state = _State()
    srv = _server(state)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1", state
    srv.shutdown()
    srv.server_close()


def _reqs(n, params=None):
    params = params or SamplingParams(max_new_tokens=7, stop_token_ids=(4,), seed=3)
    return [GenerationRequest(f"r{i}", tuple(range(i + 1)), params, prompt_text=f"p{i}",
                              messages=({"role": "user", "content": f"q{i}"},)) for i in range(n)]


def test_completions_on_token_ids_with_concurrency_limit(server, monkeypatch):
    url, state = server
    monkeypatch.setenv("MY_KEY", "sk-test-123")
    backend = OpenAIBackend(base_url=url, model="tiny", api_key_env="MY_KEY", concurrency=3)
    results = {r.request_id: r for r in backend.generate(_reqs(10))}
    assert {k: v.text for k, v in results.items()} == {f"r{i}": f"ids:{i + 1}" for i in range(10)}
    assert all(r.num_output_tokens == 3 and r.finish_reason == "length" for r in results.values())
    assert 1 < state.max_in_flight <= 3
    assert state.auth == {"Bearer sk-test-123"}
    sent = state.requests[0]
    assert sent["max_tokens"] == 7 and sent["temperature"] == 0.0 and sent["stop_token_ids"] == [4]
    assert sent["seed"] == 3


def test_text_prompts_chat_mode_and_quirk(server):
    url, state = server
    text = OpenAIBackend(base_url=url, model="tiny", send_token_ids=False)
    assert sorted(r.text for r in text.generate(_reqs(2))) == ["text:p0", "text:p1"]
    chat = OpenAIBackend(base_url=url, model="tiny", mode="chat", vllm_extensions=False)
    quirk = SamplingParams(temperature=0.9, max_new_tokens=5, alpaca_eval_062_beam_quirk=True)
    assert sorted(r.text for r in chat.generate(_reqs(2, quirk))) == ["chat:q0", "chat:q1"]
    last = state.requests[-1]
    assert last["path"] == "/v1/chat/completions" and last["temperature"] == 0.0 and "stop_token_ids" not in last


def test_retries_with_backoff_then_succeeds(server):
    url, state = server
    state.fail_first = 3
    backend = OpenAIBackend(base_url=url, model="tiny", concurrency=1, backoff_s=0.01)
    results = list(backend.generate(_reqs(2)))
    assert len(results) == 2 and max(r.extra["attempts"] for r in results) == 4


def test_gives_up_with_a_clear_error_but_keeps_finished_results(server):
    url, state = server
    backend = OpenAIBackend(base_url=url, model="tiny", concurrency=1, max_retries=1, backoff_s=0.01)
    got = []
    state.fail_first = 0
    gen = backend.generate(_reqs(3))
    got.append(next(gen))
    state.fail_first = 100
    with pytest.raises(HarnessError, match="failed 2 times"):
        got.extend(gen)
    assert got[0].request_id == "r0"


def test_client_errors_are_not_retried(server):
    url, state = server
    with pytest.raises(HarnessError, match="refused the request"):
        list(OpenAIBackend(base_url=url, model="bad").generate(_reqs(1)))
    assert len(state.requests) == 1
