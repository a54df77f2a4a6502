"""The study's progress: one overall bar (jobs and items) and a status table of every job.

Progress is read from the store itself: a job's done count is its cached units plus the lines
appended to its ``generations.jsonl`` since the plan (the file is append-only and, while the job
runs, only this configuration writes to it), so the same board follows jobs running in this
process and jobs running as Ray tasks on other nodes of a shared filesystem. On a terminal the
board is redrawn in place; elsewhere each job's state change is one line.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from harness.study.plan import StudyPlan

FINAL = ("done", "cached", "failed", "skipped")


@dataclass
class JobStatus:
    model: str
    benchmark: str
    total: int  # generation units
    cached: int  # units present at plan time
    judge_todo: int = 0
    state: str = "queued"
    done: int = 0
    judge_calls: int = 0
    judge_cost: float | None = 0.0
    error: str | None = None
    eta_s: float | None = None
    _t0: float | None = None
    _done0: int = 0

    def __post_init__(self) -> None:
        self.done = self.cached


class LineCounter:
    """Lines of an append-only file, read incrementally (a torn last line is not counted)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.count = 0
        self.at_plan = self.read()

    def read(self) -> int:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read()
        except FileNotFoundError:
            return self.count
        end = chunk.rfind(b"\n") + 1
        self.count += chunk.count(b"\n", 0, end)
        self.offset += end
        return self.count


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(round(seconds))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def _cost(value: float | None) -> str:
    return "?" if value is None else f"${value:.2f}"


class StatusBoard:
    """Every job's state, counts, ETA and judge cost; rendered as a bar and a table."""

    def __init__(self, plan: StudyPlan, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.rows: dict[str, JobStatus] = {}
        self.counters: dict[str, LineCounter] = {}
        self._lock = threading.Lock()
        self._started = clock()
        for j in plan.jobs:
            self.rows[j.label] = JobStatus(j.model, j.benchmark, j.plan.generation_units, j.plan.generations_cached,
                                           judge_todo=j.plan.judge_calls_todo)
            if j.needs_generation:
                self.counters[j.label] = LineCounter(j.job.run_dir.generations)
        self._units0 = self.units_done()

    def set_state(self, label: str, state: str, error: str | None = None, done: int | None = None) -> None:
        with self._lock:
            row = self.rows[label]
            row.state, row.error = state, error
            if done is not None:
                row.done = done
            if state in FINAL:
                row.eta_s = None

    def poll(self, label: str) -> None:
        """Refresh a running job's done count from its generations file."""
        counter = self.counters.get(label)
        if counter is None:
            return
        lines = counter.read()
        with self._lock:
            row = self.rows[label]
            row.done = min(row.total, row.cached + max(0, lines - counter.at_plan))
            now = self.clock()
            if row._t0 is None and row.done > row.cached:  # the rate counts from the first progress seen
                row._t0, row._done0 = now, row.done
            if row._t0 is not None and now > row._t0 and row.done > row._done0:
                rate = (row.done - row._done0) / (now - row._t0)
                row.eta_s = (row.total - row.done) / rate
            if row.state == "queued" and row.done > row.cached:
                row.state = "generating"

    def judged(self, label: str, usage: dict[str, Any]) -> None:
        with self._lock:
            row = self.rows[label]
            row.judge_calls = int(usage.get("calls", 0) or 0)
            cost = usage.get("cost_usd", 0.0)
            row.judge_cost = None if cost is None and row.judge_calls else float(cost or 0.0)

    def units_done(self) -> int:
        return sum(r.done for r in self.rows.values())

    def totals(self) -> dict[str, Any]:
        rows = list(self.rows.values())
        units, done = sum(r.total for r in rows), self.units_done()
        elapsed = self.clock() - self._started
        rate = (done - self._units0) / elapsed if elapsed > 0 else 0.0
        costs = [r.judge_cost for r in rows]
        return {"jobs": len(rows), "jobs_finished": sum(r.state in FINAL for r in rows), "units": units,
                "units_done": done, "eta_s": (units - done) / rate if rate > 0 else None,
                "judge_calls": sum(r.judge_calls for r in rows), "elapsed_s": elapsed,
                "failed": sum(r.state == "failed" for r in rows),
                "judge_cost": None if any(c is None for c in costs) else sum(c or 0.0 for c in costs)}

    def render_bar(self, width: int = 24) -> str:
        t = self.totals()
        frac = (t["jobs_finished"] + t["units_done"] / max(t["units"], 1)) / (t["jobs"] + 1)
        filled = int(round(frac * width))
        failed = f" | {t['failed']} failed" if t["failed"] else ""
        return (f"[{'#' * filled}{'.' * (width - filled)}] jobs {t['jobs_finished']}/{t['jobs']} | items "
                f"{t['units_done']}/{t['units']} | ETA {_duration(t['eta_s'])} | judge {t['judge_calls']} calls "
                f"{_cost(t['judge_cost'])}{failed} | {_duration(t['elapsed_s'])}")

    def render_table(self, max_rows: int | None = None) -> str:
        rows = list(self.rows.values())
        if max_rows is not None and len(rows) > max_rows:  # running and failed jobs first
            order = {"generating": 0, "judging": 0, "scoring": 0, "failed": 1, "queued": 2}
            rows = sorted(rows, key=lambda r: order.get(r.state, 3))[:max_rows]
        width = max([len(r.model) for r in rows] + [5])
        lines = [f"{'model':<{width}}  {'benchmark':<12} {'state':<10} {'done/total':>11} {'ETA':>7} "
                 f"{'judge calls':>11} {'judge $':>8}"]
        for r in rows:
            lines.append(f"{r.model:<{width}}  {r.benchmark:<12} {r.state:<10} {f'{r.done}/{r.total}':>11} "
                         f"{_duration(r.eta_s) if r.state not in FINAL else '-':>7} {r.judge_calls:>11} "
                         f"{_cost(r.judge_cost):>8}" + (f"  {r.error}" if r.error else ""))
        hidden = len(self.rows) - len(rows)
        return "\n".join(lines + ([f"... and {hidden} more jobs"] if hidden else []))

    def snapshot(self) -> list[dict[str, Any]]:
        return [{"model": r.model, "benchmark": r.benchmark, "state": r.state, "done": r.done, "total": r.total,
                 "judge_calls": r.judge_calls, "judge_cost_usd": r.judge_cost, "error": r.error}
                for r in self.rows.values()]


class LiveBoard:
    """Polls the running jobs and redraws the board on a terminal (a thread); prints events elsewhere."""

    def __init__(self, board: StatusBoard, *, enabled: bool, stream: TextIO | None = None,
                 interval: float = 1.0, max_rows: int = 30) -> None:
        self.board = board
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.live = enabled and self.stream.isatty()
        self.interval, self.max_rows = interval, max_rows
        self.usage: dict[str, Callable[[], dict[str, Any]]] = {}  # label -> live judge usage while judging
        self._drawn = 0
        self._draw_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LiveBoard:
        if self.enabled:
            self._thread = threading.Thread(target=self._loop, name="study-board", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.refresh()
        self._draw()

    def refresh(self) -> None:
        for label, row in self.board.rows.items():
            if row.state not in FINAL:
                self.board.poll(label)
        for label, usage in list(self.usage.items()):
            self.board.judged(label, usage())

    def event(self, label: str, state: str, error: str | None = None, done: int | None = None) -> None:
        self.board.poll(label)
        self.board.set_state(label, state, error, done)
        if state in FINAL:
            self.usage.pop(label, None)
        if self.live:
            self._draw()
        elif self.enabled:
            row = self.board.rows[label]
            print(f"{self.board.render_bar(12)} {label}: {state} ({row.done}/{row.total})"
                  + (f": {error}" if error else ""), file=self.stream, flush=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.refresh()
            self._draw()

    def _draw(self) -> None:
        if not self.live:
            return
        with self._draw_lock:  # the poll thread and job events both redraw
            text = self.board.render_bar() + "\n" + self.board.render_table(self.max_rows)
            up = f"\x1b[{self._drawn}F\x1b[J" if self._drawn else ""
            self.stream.write(up + text + "\n")
            self.stream.flush()
            self._drawn = text.count("\n") + 1
