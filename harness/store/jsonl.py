"""The one reader and the one writer of every JSON / JSONL file the harness touches.

- :func:`read_jsonl` / :func:`read_records`: results files, benchmark data and official tools'
  files alike (``.gz`` read transparently; JSON lists or JSONL). An unparsable **last** line is a
  torn tail left by a killed writer, whatever its last character: it is dropped with a note on
  stderr. An unparsable line anywhere else is an error naming the file and line.
- :func:`append_jsonl`: append-only, flushed and fsynced so completed work survives a kill; a torn
  tail is cut off before the first append, so no record is lost or duplicated.
- :func:`write_text_atomic` / :func:`write_json_atomic` / :func:`write_jsonl_atomic`: a sibling
  ``.tmp`` file and a rename, so readers never see half a file.
- A full disk (ENOSPC / EDQUOT) while writing is one line: :func:`disk_full_error`.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import json
import math
import os
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def disk_full_error(path: Path | str) -> HarnessError:
    return HarnessError(f"disk full while writing {path}; completed work is kept, free space and rerun")


@contextlib.contextmanager
def writing(path: Path | str) -> Iterator[None]:
    """Turn a full disk while writing ``path`` into one clear error."""
    try:
        yield
    except OSError as exc:
        if exc.errno in DISK_FULL_ERRNOS:
            raise disk_full_error(path) from None
        raise


def _open_text(path: Path) -> Any:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def _split_lines(path: Path) -> list[bytes]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            return fh.read().split(b"\n")
    except (OSError, EOFError) as exc:
        raise HarnessError(f"{path}: not readable ({exc})") from None


def _last_content_line(lines: list[bytes]) -> int:
    """1-based number of the last non-blank line (0 if none)."""
    for i in range(len(lines), 0, -1):
        if lines[i - 1].strip():
            return i
    return 0


def read_jsonl(path: Path, *, what: str = "JSON line", objects_only: bool = True) -> Iterator[dict[str, Any]]:
    """Records of a JSONL file (``.gz`` too); a missing file yields nothing.

    The last non-blank line, if unparsable, is a torn tail (dropped with a note); any other bad
    line is an error. With ``objects_only`` a line that is valid JSON but not an object is an error.
    """
    path = Path(path)
    if not path.exists():
        return
    lines = _split_lines(path)
    last = _last_content_line(lines)
    for lineno, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            if lineno == last:
                print(f"note: {path}:{lineno}: dropped a torn last line (an interrupted write)", file=sys.stderr)
                return
            msg = getattr(exc, "msg", str(exc))
            raise HarnessError(f"{path}:{lineno}: malformed {what} ({msg})") from None
        if objects_only and not isinstance(rec, dict):
            raise HarnessError(f"{path}:{lineno}: expected a JSON object per line, got {type(rec).__name__}")
        yield rec


def read_records(path: Path, *, what: str = "records") -> list[dict[str, Any]]:
    """A JSON list of objects (``.json``/``.json.gz``) or JSONL (``.jsonl``/``.jsonl.gz``), checked."""
    path = Path(path)
    if not path.is_file():
        raise HarnessError(f"{what} file not found: {path}")
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        return list(read_jsonl(path))
    try:
        with _open_text(path) as fh:
            data = json.load(fh)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HarnessError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise HarnessError(f"{path}: expected a JSON list of objects ({what})")
    return data


def repair_torn_tail(path: Path) -> None:
    """Cut an incomplete or unparsable final line left by a killed writer (before appending)."""
    if not path.exists():
        return
    data = path.read_bytes()
    body = data.rstrip(b"\n")
    if not body.strip():
        return
    cut = body.rfind(b"\n") + 1
    try:
        json.loads(body[cut:])
    except (json.JSONDecodeError, UnicodeDecodeError):
        with writing(path), path.open("r+b") as fh:  # a torn last line: the next append replaces it
            fh.truncate(cut)
        return
    if not data.endswith(b"\n"):  # a complete record without its newline (another tool wrote it)
        with writing(path), path.open("ab") as fh:
            fh.write(b"\n")


def dumps_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"


def append_jsonl(path: Path, records: Iterable[dict[str, Any]], *, repair: bool = True) -> None:
    """Append records, one line each, flushed and fsynced so completed work survives a kill."""
    path = Path(path)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        if repair:
            repair_torn_tail(path)
        with path.open("a", encoding="utf-8") as fh:
            for rec in records:
                fh.write(dumps_line(rec))
            fh.flush()
            os.fsync(fh.fileno())


class BufferedAppender:
    """Rows appended (:func:`append_jsonl`) every ``every`` rows and when the block ends, also when it
    ends with an error: rows finished before a failure are kept. As a context manager."""

    def __init__(self, path: Path, every: int) -> None:
        self.path, self.every = Path(path), max(1, every)
        self._rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= self.every:
            self.flush()

    def extend(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.add(row)

    def flush(self) -> None:
        rows, self._rows = self._rows, []
        if rows:
            append_jsonl(self.path, rows)

    def __enter__(self) -> BufferedAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()


def json_safe(obj: Any) -> Any:
    """``obj`` with every NaN/inf float replaced by None: JSON has no NaN, and a metric that could
    not be computed (e.g. every judgment failed) is "not measured", which readers show as empty."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` through a sibling ``.tmp`` file and a rename: readers never see half a file.
    The temporary name is the writer's own (process and thread), so two writers of one file (Ray
    workers sharing a cache file) never rename each other's file away; the last rename wins."""
    path = Path(path)
    if path.is_dir():
        raise HarnessError(f"cannot write {path}: it is a directory (give a file name)")
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        with writing(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # gone after a successful replace; removed after a failure


def write_json_atomic(path: Path, obj: Any) -> None:
    write_text_atomic(path, json.dumps(json_safe(obj), indent=2, ensure_ascii=False, sort_keys=True,
                                       allow_nan=False) + "\n")


def write_jsonl_atomic(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Atomic rewrite of a derived JSONL file (one that can be re-created from other files)."""
    write_text_atomic(path, "".join(dumps_line(json_safe(r)) for r in rows))


def read_json(path: Path, what: str = "JSON file") -> Any:
    """A JSON document, or a one-line error naming the file."""
    try:
        with _open_text(Path(path)) as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise HarnessError(f"{what} not found: {path}") from None
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HarnessError(f"{path}: not a readable {what} ({exc})") from None
