"""Append-only JSONL with crash safety: a torn last line (from SIGKILL) is ignored on read
and truncated before the next append, so no record is ever lost or duplicated."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from harness.errors import HarnessError


def read_jsonl(path: Path, *, tolerate_torn_tail: bool = True) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open("rb") as fh:
        lines = fh.read().split(b"\n")
    for lineno, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            yield json.loads(raw)
        except json.JSONDecodeError as exc:
            is_last = lineno == len(lines) or all(not r.strip() for r in lines[lineno:])
            if tolerate_torn_tail and is_last and not raw.endswith(b"}"):
                return  # torn final write from a killed process
            raise HarnessError(f"{path}:{lineno}: malformed JSON line ({exc.msg})") from None


def repair_torn_tail(path: Path) -> None:
    """Drop an incomplete final line left by a killed writer."""
    if not path.exists():
        return
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return
    cut = data.rfind(b"\n") + 1
    with path.open("r+b") as fh:
        fh.truncate(cut)


def append_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    """Append records, one line each, flushed and fsynced so completed work survives a kill."""
    path.parent.mkdir(parents=True, exist_ok=True)
    repair_torn_tail(path)
    with path.open("a", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


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
    """Write ``text`` through a sibling ``.tmp`` file and a rename: readers never see half a file."""
    if path.is_dir():
        raise HarnessError(f"cannot write {path}: it is a directory (give a file name)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # gone after a successful replace; removed after a failure


def write_json_atomic(path: Path, obj: Any) -> None:
    write_text_atomic(path, json.dumps(json_safe(obj), indent=2, ensure_ascii=False, sort_keys=True,
                                       allow_nan=False) + "\n")
