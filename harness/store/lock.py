"""An advisory lock per run directory, so two processes never work on one (model, benchmark).

Two ``run``s on one results directory used to duplicate rows and pay every judge call twice.
Whoever generates, judges, imports or scores a run directory holds ``<run_dir>/.lock``
(``fcntl.flock``, released by the kernel when the process dies, so a killed run leaves no stale
lock). A second process stops at once with one line naming the holder's PID, or waits with
``--wait``. The lock is re-entrant within a process (a ``run`` holds it across its stages).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

from harness.errors import HarnessError
from harness.store.jsonl import writing

_HELD: dict[str, tuple[int, int]] = {}  # lock path -> (fd, depth) held by this process
_GUARD = threading.Lock()


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return "another process"
    return f"process {text}" if text else "another process"


@contextlib.contextmanager
def run_lock(run_path: Path, *, wait: bool = False) -> Iterator[None]:
    """Hold the advisory lock of ``run_path`` (created if needed) for the ``with`` block."""
    path = Path(run_path) / ".lock"
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
    key = str(path.resolve())
    with _GUARD:
        if key in _HELD:
            fd, depth = _HELD[key]
            _HELD[key] = (fd, depth + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            _release(key)
        return
    with writing(path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise HarnessError(f"{run_path} is in use by {_holder(path)}; wait for it to finish "
                           "or pass --wait to queue behind it") from None
    with writing(path):
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} on {socket.gethostname()}".encode())
    with _GUARD:
        _HELD[key] = (fd, 1)
    try:
        yield
    finally:
        _release(key)


def _release(key: str) -> None:
    with _GUARD:
        fd, depth = _HELD[key]
        if depth > 1:
            _HELD[key] = (fd, depth - 1)
            return
        del _HELD[key]
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
