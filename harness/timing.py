"""Wall time per pipeline stage of this process: load, generate, judge, score.

Stages nest (a model loaded lazily inside the generate stage is ``load`` time, not ``generate``
time): each stage's total excludes the stages timed inside it, so the totals add up to the time
spent in stages. ``bench/main_job.py`` reads them from a real ``python -m harness run``: with
``SIMPO_HARNESS_TIMINGS=FILE`` in the environment the totals are written to FILE (JSON) at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

TIMINGS_ENV = "SIMPO_HARNESS_TIMINGS"

_totals: dict[str, float] = {}
_local = threading.local()  # per thread: the stack of open stages' [name, start, nested seconds]
_lock = threading.Lock()
_registered = False


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """Time the block as ``name`` (exclusive of stages nested inside it, in the same thread)."""
    _register_dump()
    stack: list[list] = _local.__dict__.setdefault("stack", [])
    frame = [name, time.perf_counter(), 0.0]
    stack.append(frame)
    try:
        yield
    finally:
        stack.pop()
        elapsed = time.perf_counter() - frame[1]
        if stack:
            stack[-1][2] += elapsed
        with _lock:
            _totals[name] = _totals.get(name, 0.0) + elapsed - frame[2]


def timed(name: str) -> Callable[[F], F]:
    """Decorator: every call of the function is timed as stage ``name``."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            with stage(name):
                return fn(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap


def totals() -> dict[str, float]:
    """Seconds per stage so far in this process."""
    with _lock:
        return dict(_totals)


def reset() -> None:
    with _lock:
        _totals.clear()


def _register_dump() -> None:
    global _registered
    if not _registered and os.environ.get(TIMINGS_ENV):
        _registered = True
        atexit.register(_dump, os.environ[TIMINGS_ENV])


def _dump(path: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({k: round(v, 4) for k, v in totals().items()}, fh)
