"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests, benchmarks and local judges.

Speaks ``POST /v1/chat/completions`` (with ``logprobs`` / ``top_logprobs``) and ``GET /v1/models``;
``GET /v1/stats`` returns the request counters (for a server started in another process).
What it answers comes from a pluggable *responder*: a callable taking the request body (dict) and
returning a :class:`Reply` (or a plain string). Optional seeded fault injection (429, 500,
timeouts, malformed JSON bodies) and a fixed latency make it usable for fault-tolerance tests and
for throughput benchmarks; ``request_count`` counts every chat request it received.

    with LocalJudgeServer(scripted_logprob_responder({"m": -2.0, "M": -0.2})) as server:
        client = OpenAIJudgeClient(JudgeClientConfig(base_url=server.base_url, ...))

Command line: ``python -m harness.judges.local_server --port 8000 --responder harness.judges.local_server:echo_responder``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    content: str
    # per generated position: a {token: logprob} dict, or a list of {"token", "logprob"} best first
    # (the list form keeps distinct token ids that decode to the same text apart)
    top_logprobs: list[dict[str, float] | list[dict[str, Any]]] | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


Responder = Callable[[dict[str, Any]], "Reply | str"]


@dataclass
class Faults:
    """Per-request fault probabilities (drawn from one seeded RNG, in arrival order)."""

    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_timeout: float = 0.0
    timeout_sleep_s: float = 5.0
    rate_malformed: float = 0.0
    seed: int = 0
    rate_401: float = 0.0  # "invalid API key" answers, for auth-failure tests


@dataclass
class Stats:
    requests: int = 0
    chat_requests: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
    bodies: list[dict[str, Any]] = field(default_factory=list)


def echo_responder(body: dict[str, Any]) -> Reply:
    """Answers with the last user message (handy smoke test)."""
    return Reply(content=str(body["messages"][-1]["content"]))


def scripted_logprob_responder(logprobs: dict[str, float]) -> Responder:
    """Always answers the argmax token with the given top-logprobs (e.g. {"m": -2.0, "M": -0.14})."""

    def respond(body: dict[str, Any]) -> Reply:
        best = max(logprobs, key=logprobs.get)
        return Reply(content=best, top_logprobs=[dict(logprobs)])

    return respond


def hashed_preference_responder(body: dict[str, Any]) -> Reply:
    """A deterministic m/M judge: P(m) from a hash of the prompt (varied but reproducible)."""
    digest = hashlib.sha256(json.dumps(body["messages"], sort_keys=True).encode()).digest()
    p_m = 0.02 + 0.96 * int.from_bytes(digest[:4], "big") / 2**32
    lp = {"m": math.log(p_m), "M": math.log(1 - p_m), "Both": -9.5}
    return Reply(content="m" if p_m > 0.5 else "M", top_logprobs=[lp])


def _approx_tokens(messages: list[dict[str, Any]]) -> int:
    return sum(len(str(m.get("content", "")).split()) + 4 for m in messages)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes; without TCP_NODELAY the body waits ~40 ms for the
    # client's delayed ACK on every keep-alive response
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr logging
        pass

    def _send(self, status: int, payload: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout fired)

    def _json(self, status: int, obj: Any) -> None:
        self._send(status, json.dumps(obj).encode())

    def do_GET(self) -> None:  # noqa: N802
        owner = self.server.owner
        if self.path.rstrip("/") in ("/v1/stats", "/stats"):  # not counted: lets other processes read the counter
            self._json(200, {"requests": owner.stats.requests, "chat_requests": owner.stats.chat_requests,
                             "by_outcome": dict(owner.stats.by_outcome)})
            return
        owner._count("get")
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._json(200, {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "local"}
                                                         for m in self.server.owner.model_names]})
        elif not self._extra_route("GET", b""):
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def _extra_route(self, method: str, raw: bytes) -> bool:
        """Let the owner answer a route beyond chat completions (``LocalJudgeServer.handle_route``)."""
        reply = self.server.owner.handle_route(method, self.path, {k.lower(): v for k, v in self.headers.items()}, raw)
        if reply is None:
            return False
        status, payload, content_type = reply
        self._send(status, payload, content_type)
        return True

    def do_POST(self) -> None:  # noqa: N802
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            if self._extra_route("POST", raw):
                return
            owner._count("post_other")
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        try:
            body = json.loads(raw)
            assert isinstance(body.get("messages"), list)
        except (json.JSONDecodeError, AssertionError):
            owner._count("bad_request", chat=True)
            self._json(400, {"error": {"message": "body must be JSON with 'messages'", "type": "invalid_request_error"}})
            return
        fault = owner._draw_fault(body)
        if owner.latency_s:
            time.sleep(owner.latency_s)
        if fault == "429":
            self._json(429, {"error": {"message": "Rate limit reached (injected)", "type": "rate_limit_error"}})
        elif fault == "401":
            self._json(401, {"error": {"message": "Incorrect API key provided (injected)", "type": "invalid_request_error"}})
        elif fault == "500":
            self._json(500, {"error": {"message": "internal error (injected)", "type": "server_error"}})
        elif fault == "timeout":
            time.sleep(owner.faults.timeout_sleep_s)
            self._json(500, {"error": {"message": "late answer after injected timeout", "type": "server_error"}})
        elif fault == "malformed":
            self._send(200, b'{"id": "chatcmpl-broken", "choices": [{"index": 0, "mess')
        else:
            try:
                self._json(200, owner._completion(body))
            except Exception as exc:  # noqa: BLE001 - a responder bug becomes a 500, not a hung client
                self._json(500, {"error": {"message": f"responder failed: {exc}", "type": "server_error"}})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # listen backlog: socketserver's default of 5 drops the SYNs of a client opening 16-64
    # connections at once, and each dropped SYN costs the client a 1 s retransmission
    request_queue_size = 1024
    owner: LocalJudgeServer


class LocalJudgeServer:
    """Start with ``start()`` / ``stop()`` or as a context manager; ``base_url`` ends in ``/v1``."""

    def __init__(
        self,
        responder: Responder = echo_responder,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_s: float = 0.0,
        faults: Faults | None = None,
        model_names: tuple[str, ...] = ("local-judge",),
        record_bodies: bool = False,
    ) -> None:
        self.responder = responder
        self.latency_s = latency_s
        self.faults = faults or Faults()
        self.model_names = model_names
        self.record_bodies = record_bodies
        self.stats = Stats()
        self._lock = threading.Lock()
        self._rng = random.Random(self.faults.seed)
        self._httpd = _Server((host, port), _Handler)
        self._httpd.owner = self
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------- lifecycle
    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def request_count(self) -> int:
        return self.stats.chat_requests

    def start(self) -> LocalJudgeServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="local-judge-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LocalJudgeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def handle_route(self, method: str, path: str, headers: dict[str, str], body: bytes
                     ) -> tuple[int, bytes, str] | None:
        """(status, payload, content type) for a route other than chat completions, or None (404).

        None here; subclasses add endpoints (e.g. the fake Batch API of the tests)."""
        return None

    # -------------------------------------------------------------- internals
    def _count(self, outcome: str, chat: bool = False) -> None:
        with self._lock:
            self.stats.requests += 1
            self.stats.chat_requests += int(chat)
            self.stats.by_outcome[outcome] = self.stats.by_outcome.get(outcome, 0) + 1

    def _draw_fault(self, body: dict[str, Any]) -> str:
        f = self.faults
        with self._lock:
            u = self._rng.random()
            if self.record_bodies:
                self.stats.bodies.append(body)
        outcome = "ok"
        for name, rate in (("429", f.rate_429), ("500", f.rate_500), ("timeout", f.rate_timeout),
                           ("malformed", f.rate_malformed), ("401", f.rate_401)):
            if u < rate:
                outcome = name
                break
            u -= rate
        self._count(outcome, chat=True)
        return outcome

    def _completion(self, body: dict[str, Any]) -> dict[str, Any]:
        reply = self.responder(body)
        if isinstance(reply, str):
            reply = Reply(content=reply)
        choice: dict[str, Any] = {"index": 0, "finish_reason": "stop",
                                  "message": {"role": "assistant", "content": reply.content}}
        if body.get("logprobs"):
            k = int(body.get("top_logprobs") or 0)
            positions = reply.top_logprobs or [{reply.content: 0.0}]
            content = []
            for pos in positions:
                items = sorted(pos.items(), key=lambda kv: -kv[1]) if isinstance(pos, dict) else \
                    [(t["token"], t["logprob"]) for t in pos]
                tops = [{"token": t, "logprob": lp, "bytes": list(t.encode())} for t, lp in items[:k]]
                token, lp = items[0]
                content.append({"token": token, "logprob": lp, "bytes": list(token.encode()), "top_logprobs": tops})
            choice["logprobs"] = {"content": content}
        prompt_tokens = reply.prompt_tokens if reply.prompt_tokens is not None else _approx_tokens(body["messages"])
        completion_tokens = reply.completion_tokens if reply.completion_tokens is not None else max(1, len(reply.content.split()))
        return {
            "id": f"chatcmpl-local-{self.stats.chat_requests}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", self.model_names[0]),
            "choices": [choice],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }


def load_responder(spec: str) -> Responder:
    """A responder named ``module:attr``; a class there is instantiated without arguments."""
    module_name, _, attr = spec.partition(":")
    obj = getattr(importlib.import_module(module_name), attr)
    return obj() if isinstance(obj, type) else obj


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m harness.judges.local_server", description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--responder", default="harness.judges.local_server:hashed_preference_responder",
                   help="module:callable taking the request dict")
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every chat request")
    p.add_argument("--fault-429", type=float, default=0.0)
    p.add_argument("--fault-500", type=float, default=0.0)
    p.add_argument("--fault-timeout", type=float, default=0.0)
    p.add_argument("--fault-malformed", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    faults = Faults(a.fault_429, a.fault_500, a.fault_timeout, 5.0, a.fault_malformed, a.seed)
    server = LocalJudgeServer(load_responder(a.responder), port=a.port, latency_s=a.latency, faults=faults)
    print(f"serving OpenAI-compatible chat completions at {server.base_url}", flush=True)
    try:
        server._httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
