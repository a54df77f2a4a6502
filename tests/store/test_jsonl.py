"""The one JSONL reader/writer: torn tails, foreign files, and a full disk as one line."""

from __future__ import annotations

import errno
import gzip
import json
import os
import sqlite3

import pytest

from harness.errors import HarnessError
from harness.store.jsonl import append_jsonl, read_jsonl, read_records, write_json_atomic


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_read_records_reads_json_lists_jsonl_and_gzip(tmp_path):
    rows = [{"a": 1}, {"a": 2}]
    (tmp_path / "x.json").write_text(json.dumps(rows))
    (tmp_path / "x.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with gzip.open(tmp_path / "x.json.gz", "wt") as fh:
        json.dump(rows, fh)
    for name in ("x.json", "x.jsonl", "x.json.gz"):
        assert read_records(tmp_path / name) == rows
    (tmp_path / "bad.json").write_text('{"a": 1}')
    with pytest.raises(HarnessError, match="expected a JSON list of objects"):
        read_records(tmp_path / "bad.json")
    with pytest.raises(HarnessError, match="file not found"):
        read_records(tmp_path / "missing.json")


def test_a_line_that_is_not_an_object_is_an_error(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n[1, 2]\n{"a": 3}\n')
    with pytest.raises(HarnessError, match=r"x\.jsonl:2: expected a JSON object"):
        list(read_jsonl(path))


def test_full_disk_while_appending_is_one_line_and_keeps_what_was_written(tmp_path, monkeypatch):
    path = tmp_path / "a.jsonl"
    append_jsonl(path, [{"n": 1}])
    monkeypatch.setattr(os, "fsync", _enospc)
    with pytest.raises(HarnessError, match=r"^disk full while writing .*a\.jsonl; completed work is kept, free space"):
        append_jsonl(path, [{"n": 2}])
    monkeypatch.undo()
    assert [r["n"] for r in read_jsonl(path)][0] == 1


def test_full_disk_in_the_atomic_writer_leaves_the_old_file_and_no_tmp(tmp_path, monkeypatch):
    path = tmp_path / "scores.json"
    write_json_atomic(path, {"v": 1})
    monkeypatch.setattr(os, "replace", _enospc)
    with pytest.raises(HarnessError, match=r"disk full while writing .*scores\.json"):
        write_json_atomic(path, {"v": 2})
    monkeypatch.undo()
    assert json.loads(path.read_text()) == {"v": 1} and not list(tmp_path.glob("*.tmp"))


def test_full_disk_in_the_judge_cache_is_one_line(tmp_path):
    from harness.judges.base import JudgeRequest
    from harness.judges.client import JudgeCache

    cache = JudgeCache(tmp_path / "c.sqlite")

    class FullDisk:
        def execute(self, *args):
            raise sqlite3.OperationalError("database or disk is full")

        def close(self):
            pass

    cache._db = FullDisk()
    req = JudgeRequest.from_messages("m", [{"role": "user", "content": "x"}])
    with pytest.raises(HarnessError, match=r"^disk full while writing .*c\.sqlite; completed work is kept"):
        cache.put(req, {"content": "y"}, key="k")


def test_full_disk_reaches_the_cli_as_one_line(tmp_path, monkeypatch, capsys):
    """Any ENOSPC that escapes a writer (here: the table file) is still one line, never a traceback."""
    from harness.cli import main

    monkeypatch.setattr(os, "replace", _enospc)
    assert main(["table", "--paper", "v0.1", "--output", str(tmp_path / "t.md")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "disk full while writing" in err and "Traceback" not in err


def test_concurrent_atomic_writers_of_one_file_never_fail(tmp_path):
    """Two writers of one file (Ray workers sharing a cache file): each renames its own temporary."""
    import threading

    from harness.store.jsonl import write_json_atomic

    path, errors = tmp_path / "shared.json", []

    def writer(n: int) -> None:
        try:
            for i in range(200):
                write_json_atomic(path, {"writer": n, "i": i})
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and json.loads(path.read_text())["i"] == 199 and not list(tmp_path.glob("*.tmp"))


def test_buffered_appender_writes_every_n_rows_and_what_is_left_on_error(tmp_path):
    from harness.store.jsonl import BufferedAppender

    path = tmp_path / "rows.jsonl"
    with pytest.raises(RuntimeError), BufferedAppender(path, every=3) as out:
        for i in range(5):
            out.add({"i": i})
            if i == 2:
                assert [r["i"] for r in read_jsonl(path)] == [0, 1, 2]  # flushed at 3 rows
        raise RuntimeError("stopped mid-way")
    assert [r["i"] for r in read_jsonl(path)] == [0, 1, 2, 3, 4]  # the finished rows are kept
