"""A fake of OpenAI's files and batches endpoints, on top of the local OpenAI-compatible server.

``FakeBatchAPI`` is a :class:`~harness.judges.local_server.LocalJudgeServer` (so chat completions
work too) that also speaks ``POST /v1/files`` (multipart upload), ``GET /v1/files/{id}[/content]``,
``POST /v1/batches``, ``GET /v1/batches`` and ``GET /v1/batches/{id}``. A batch is "in_progress"
until ``complete_after_s`` have passed since its creation; the next retrieve then answers every
input line through the server's responder (the same completion bodies as a live call) and writes
the output and error files in the Batch API's line format.

Seeded faults (:class:`BatchFaults`), by batch creation order (0-based): a batch that ends
``failed`` (no files, ``errors.data`` set); an ``expired`` batch that finished only a fraction of
its lines (the rest are ``batch_expired`` error lines); and per-line faults in chosen batches: lines
absent from both files, 500 error lines, 400 error lines, and 200 lines whose body has no choices.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from harness.judges.local_server import (
    LocalJudgeServer,
    Reply,
    Responder,
    echo_responder,
    hashed_preference_responder,
)


@dataclass
class BatchFaults:
    fail_batches: tuple[int, ...] = ()
    expire_batches: dict[int, float] = field(default_factory=dict)  # index -> fraction of lines done
    line_fault_batches: tuple[int, ...] = (0,)  # which batches the per-line rates apply to
    drop_rate: float = 0.0  # line in neither file
    error_rate: float = 0.0  # 500 error line (retryable)
    bad_request_rate: float = 0.0  # 400 error line (fails for good)
    malformed_rate: float = 0.0  # 200 line whose body has no choices (retryable)
    seed: int = 0
    create_errors: int = 0  # the first N batches.create calls answer 500 and create nothing
    create_lost_replies: int = 0  # the next N create the batch but answer 500 (the reply is lost)


class FakeBatchAPI(LocalJudgeServer):
    def __init__(self, responder: Responder = echo_responder, *, faults: BatchFaults | None = None,
                 complete_after_s: float = 0.0, **kwargs: Any) -> None:
        super().__init__(responder, **kwargs)
        self.batch_faults = faults or BatchFaults()
        self.complete_after_s = complete_after_s
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.creations: list[dict[str, Any]] = []  # one per batches.create: batch id, input file, custom ids
        self.uploads = 0
        self.create_calls = 0
        self.retrieves = 0
        self.line_bodies: list[dict[str, Any]] = []  # the chat bodies of every answered input line
        self.outcomes: dict[str, dict[str, str]] = {}  # batch id -> custom_id -> ok/drop/500/400/malformed/expired
        self._blk = threading.Lock()
        self._line_rng = random.Random(self.batch_faults.seed)

    # ------------------------------------------------------------------ routes
    def handle_route(self, method: str, path: str, headers: dict[str, str], body: bytes
                     ) -> tuple[int, bytes, str] | None:
        parts = [p for p in path.split("?")[0].split("/") if p]
        if parts[:1] == ["v1"]:
            parts = parts[1:]
        with self._blk:
            if parts == ["files"] and method == "POST":
                return self._upload(headers, body)
            if parts[:1] == ["files"] and len(parts) in (2, 3) and method == "GET":
                f = self.files.get(parts[1])
                if f is None:
                    return _error(404, f"no file {parts[1]}")
                if len(parts) == 3 and parts[2] == "content":
                    return 200, f["data"], "application/octet-stream"
                return _ok(f["object"])
            if parts == ["batches"] and method == "POST":
                return self._create(json.loads(body))
            if parts == ["batches"] and method == "GET":
                data = [self.batches[k] for k in reversed(list(self.batches))]
                return _ok({"object": "list", "data": data, "has_more": False,
                            "first_id": data[0]["id"] if data else None, "last_id": data[-1]["id"] if data else None})
            if parts[:1] == ["batches"] and len(parts) == 2 and method == "GET":
                return self._retrieve(parts[1])
        return None

    def _upload(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        form = _multipart(headers.get("content-type", ""), body)
        if "file" not in form or form.get("purpose", (None, b""))[1] != b"batch":
            return _error(400, "expected a multipart 'file' with purpose 'batch'")
        self.uploads += 1
        filename, data = form["file"]
        return _ok(self._new_file(data, "batch", filename or "upload.jsonl"))

    def _new_file(self, data: bytes, purpose: str, filename: str) -> dict[str, Any]:
        fid = f"file-fake-{len(self.files)}"
        obj = {"id": fid, "object": "file", "bytes": len(data), "created_at": int(time.time()),
               "filename": filename, "purpose": purpose, "status": "processed"}
        self.files[fid] = {"object": obj, "data": data}
        return obj

    def _create(self, req: dict[str, Any]) -> tuple[int, bytes, str]:
        f = self.files.get(req.get("input_file_id", ""))
        if f is None or req.get("endpoint") != "/v1/chat/completions" or req.get("completion_window") != "24h":
            return _error(400, "bad batch request")
        self.create_calls += 1
        if self.create_calls <= self.batch_faults.create_errors:
            return _error(500, "injected: batch not created")
        lines = [json.loads(x) for x in f["data"].decode("utf-8").splitlines() if x.strip()]
        bid = f"batch_fake_{len(self.batches)}"
        now = int(time.time())
        batch = {"id": bid, "object": "batch", "endpoint": req["endpoint"], "errors": None,
                 "input_file_id": req["input_file_id"], "completion_window": "24h", "status": "validating",
                 "output_file_id": None, "error_file_id": None, "created_at": now, "expires_at": now + 86400,
                 "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
                 "metadata": req.get("metadata"), "_t0": time.monotonic(), "_index": len(self.creations)}
        self.batches[bid] = batch
        self.creations.append({"batch_id": bid, "input_file_id": req["input_file_id"],
                               "custom_ids": [x["custom_id"] for x in lines]})
        if self.create_calls <= self.batch_faults.create_errors + self.batch_faults.create_lost_replies:
            return _error(500, "injected: batch created, reply lost")
        return _ok(_public(batch))

    def _retrieve(self, bid: str) -> tuple[int, bytes, str]:
        batch = self.batches.get(bid)
        if batch is None:
            return _error(404, f"no batch {bid}")
        self.retrieves += 1
        if batch["status"] in ("validating", "in_progress"):
            if time.monotonic() - batch["_t0"] < self.complete_after_s:
                batch["status"] = "in_progress"
            else:
                self._finish(batch)
        return _ok(_public(batch))

    # --------------------------------------------------------------- finishing
    def _finish(self, batch: dict[str, Any]) -> None:
        f = self.batch_faults
        idx, now = batch["_index"], int(time.time())
        lines = [json.loads(x) for x in self.files[batch["input_file_id"]]["data"].decode().splitlines() if x.strip()]
        if idx in f.fail_batches:
            batch.update(status="failed", failed_at=now, errors={"object": "list", "data": [
                {"code": "token_limit_exceeded", "message": "Enqueued token limit reached (injected)",
                 "param": None, "line": None}]})
            return
        out, err = [], []
        outcomes = self.outcomes.setdefault(batch["id"], {})
        n_done = int(f.expire_batches[idx] * len(lines)) if idx in f.expire_batches else len(lines)
        for n, line in enumerate(lines):
            if n >= n_done:
                outcomes[line["custom_id"]] = "expired"
                err.append({"id": f"batch_req_{n}", "custom_id": line["custom_id"], "response": None,
                            "error": {"code": "batch_expired", "message": "not executed before the window expired"}})
                continue
            kind = outcomes[line["custom_id"]] = self._line_fault() if idx in f.line_fault_batches else "ok"
            if kind == "drop":
                continue
            rec = {"id": f"batch_req_{n}", "custom_id": line["custom_id"], "error": None,
                   "response": {"status_code": 200, "request_id": f"req_{n}", "body": None}}
            if kind == "ok":
                self.line_bodies.append(line["body"])
                rec["response"]["body"] = self._completion(line["body"])
            elif kind == "malformed":
                rec["response"]["body"] = {"id": "chatcmpl-broken", "object": "chat.completion", "choices": []}
            else:
                code = 500 if kind == "500" else 400
                rec["response"].update(status_code=code, body={"error": {
                    "message": f"injected {code}", "type": "server_error" if code == 500 else "invalid_request_error"}})
            (out if rec["response"]["status_code"] == 200 else err).append(rec)
        batch["request_counts"].update(completed=len(out), failed=len(err))
        batch["status"] = "expired" if idx in f.expire_batches else "completed"
        batch["completed_at" if batch["status"] == "completed" else "expired_at"] = now
        for key, recs in (("output_file_id", out), ("error_file_id", err)):
            if recs:
                data = "".join(json.dumps(r) + "\n" for r in recs).encode()
                batch[key] = self._new_file(data, "batch_output", f"{batch['id']}_{key}.jsonl")["id"]

    def _line_fault(self) -> str:
        f, u = self.batch_faults, self._line_rng.random()
        for kind, rate in (("drop", f.drop_rate), ("500", f.error_rate), ("400", f.bad_request_rate),
                           ("malformed", f.malformed_rate)):
            if u < rate:
                return kind
            u -= rate
        return "ok"


def _public(batch: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in batch.items() if not k.startswith("_")}


def _ok(obj: Any) -> tuple[int, bytes, str]:
    return 200, json.dumps(obj).encode(), "application/json"


def _error(status: int, message: str) -> tuple[int, bytes, str]:
    return status, json.dumps({"error": {"message": message, "type": "invalid_request_error"}}).encode(), \
        "application/json"


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Fields of a multipart/form-data body: name -> (filename, bytes)."""
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    out: dict[str, tuple[str | None, bytes]] = {}
    if not msg.is_multipart():
        return out
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            out[str(name)] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return out


def verdict_or_logprob_responder(body: dict[str, Any]) -> Reply:
    """Logprob requests: the hashed m/M judge; text requests: an Arena-Hard-style verdict from a hash."""
    if body.get("logprobs"):
        return hashed_preference_responder(body)
    digest = hashlib.sha256(json.dumps(body["messages"], sort_keys=True).encode()).digest()
    label = ("A>>B", "A>B", "A=B", "B>A", "B>>A")[digest[0] % 5]
    return Reply(content=f"Both answers are fine; one is shorter.\n\nMy final verdict is: [[{label}]]")
