"""The study's board: counts read from the store, ETA, judge cost, bar and table, terminal and log output."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

from harness.study.progress import LineCounter, LiveBoard, StatusBoard


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _job(tmp_path: Path, model: str, bench: str, units: int, cached: int, judge_calls: int = 0):
    run = SimpleNamespace(generations=tmp_path / model / bench / "generations.jsonl")
    run.generations.parent.mkdir(parents=True, exist_ok=True)
    run.generations.write_text("{}\n" * cached)
    plan = SimpleNamespace(generation_units=units, generations_cached=cached, judge_calls_todo=judge_calls)
    return SimpleNamespace(label=f"{model} {bench}", model=model, benchmark=bench, plan=plan,
                           needs_generation=cached < units, job=SimpleNamespace(run_dir=run))


def _append(job, n: int) -> None:
    with open(job.job.run_dir.generations, "a") as fh:
        fh.write("{}\n" * n)


def test_line_counter_reads_appends_incrementally_and_skips_a_torn_tail(tmp_path):
    path = tmp_path / "g.jsonl"
    counter = LineCounter(path)
    assert counter.at_plan == 0 and counter.read() == 0
    path.write_text('{"a": 1}\n{"a": 2}\n{"a": ')
    assert counter.read() == 2
    with open(path, "a") as fh:
        fh.write('3}\n')
    assert counter.read() == 3 and counter.read() == 3


def test_board_counts_eta_cost_and_renders(tmp_path):
    clock = Clock()
    a = _job(tmp_path, "model-a", "alpaca_eval", units=10, cached=2, judge_calls=10)
    b = _job(tmp_path, "model-b", "mt_bench", units=4, cached=4)
    board = StatusBoard(SimpleNamespace(jobs=[a, b]), clock=clock)
    assert board.rows[b.label].done == 4 and b.label not in board.counters  # nothing to generate: not polled
    _append(a, 3)
    clock.now += 2
    board.poll(a.label)
    row = board.rows[a.label]
    assert (row.state, row.done, row.eta_s) == ("generating", 5, None)  # the rate needs a second look
    _append(a, 2)
    clock.now += 2
    board.poll(a.label)
    assert row.done == 7 and row.eta_s == 3.0  # 2 units in 2 s, 3 left
    totals = board.totals()
    assert (totals["units"], totals["units_done"], totals["jobs_finished"]) == (14, 11, 0)
    assert totals["eta_s"] == 3 / (5 / 4)  # 5 new units in 4 s overall
    board.judged(a.label, {"calls": 6, "cost_usd": 0.125})
    board.set_state(b.label, "done")
    bar = board.render_bar()
    assert "jobs 1/2 | items 11/14 | ETA 2s | judge 6 calls $0.12" in bar and bar.startswith("[")
    table = board.render_table()
    assert table.splitlines()[0].split() == ["model", "benchmark", "state", "done/total", "ETA", "judge", "calls",
                                             "judge", "$"]
    assert "model-a  alpaca_eval  generating        7/10      3s           6    $0.12" in table
    board.judged(b.label, {"calls": 3, "cost_usd": None})  # an endpoint without a price
    assert "judge 9 calls ?" in board.render_bar()
    board.set_state(a.label, "failed", "boom")
    assert board.render_table(max_rows=1).splitlines()[1:] == [
        "model-a  alpaca_eval  failed            7/10       -           6    $0.12  boom", "... and 1 more jobs"]
    assert board.snapshot()[0] == {"model": "model-a", "benchmark": "alpaca_eval", "state": "failed", "done": 7,
                                   "total": 10, "judge_calls": 6, "judge_cost_usd": 0.125, "error": "boom"}


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_live_board_prints_events_in_logs_and_redraws_on_a_terminal(tmp_path):
    a = _job(tmp_path, "m", "toy", units=3, cached=0)
    log = io.StringIO()
    live = LiveBoard(StatusBoard(SimpleNamespace(jobs=[a])), enabled=True, stream=log, interval=0.01)
    with live:
        live.event(a.label, "generating")
        _append(a, 3)
        live.event(a.label, "done")
    lines = log.getvalue().splitlines()
    assert lines[0].endswith("m toy: generating (0/3)") and lines[1].endswith("m toy: done (3/3)")
    assert "\x1b[" not in log.getvalue()
    tty = Tty()
    board = StatusBoard(SimpleNamespace(jobs=[_job(tmp_path, "n", "toy", units=2, cached=0)]))
    with LiveBoard(board, enabled=True, stream=tty, interval=0.01) as live:
        live.event("n toy", "judging")
        live.usage["n toy"] = lambda: {"calls": 2, "cost_usd": 0.5}
        live.refresh()
    assert board.rows["n toy"].judge_calls == 2
    assert "\x1b[3F\x1b[J" in tty.getvalue() and "n      toy          judging" in tty.getvalue()  # redrawn in place
    quiet = io.StringIO()
    with LiveBoard(StatusBoard(SimpleNamespace(jobs=[_job(tmp_path, "q", "toy", 1, 0)])), enabled=False,
                   stream=quiet) as live:
        live.event("q toy", "done")
    assert quiet.getvalue() == ""
