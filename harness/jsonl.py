"""Append-only JSONL with crash safety: a torn last line (from SIGKILL) is ignored on read
and truncated before the next append, so no record is ever lost or duplicated."""

from __future__ import annotations

import json
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


def write_json_atomic(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
