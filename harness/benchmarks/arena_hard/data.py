"""Arena-Hard v0.1 questions and the gpt-4-0314 baseline answers.

Looked for in ``--data-dir`` (flat: ``question.jsonl`` + ``gpt-4-0314.model_answer.jsonl[.gz]``,
or laid out like arena-hard-auto's ``data/arena-hard-v0.1`` with ``model_answer/gpt-4-0314.jsonl``;
a parent folder holding ``arena_hard_v0.1/`` or ``arena-hard-v0.1/`` also works), else fetched
once from the public arena-hard-auto repository into the user cache. Both the original
(``question_id``/``turns``/``choices``) and the newer (``uid``/``prompt``/``messages``) record
formats are read.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.paths import download_cached, find_data_file

PUBLIC_BASE = "https://raw.githubusercontent.com/lmarena/arena-hard-auto/main/data/arena-hard-v0.1"
SUBDIRS = ("", "arena_hard_v0.1", "arena-hard-v0.1")
QUESTION_FILES = ("question.jsonl",)


def baseline_files(baseline: str) -> tuple[str, ...]:
    return (f"{baseline}.model_answer.jsonl.gz", f"{baseline}.model_answer.jsonl",
            f"model_answer/{baseline}.jsonl.gz", f"model_answer/{baseline}.jsonl", f"{baseline}.jsonl")


def read_jsonl_any(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    except (OSError, json.JSONDecodeError, EOFError) as exc:
        raise HarnessError(f"{path}: not a readable JSONL file ({exc})") from None


def _find(data_dir: Path, names: tuple[str, ...]) -> Path | None:
    return find_data_file(data_dir, SUBDIRS, names)


def _download(rel: str) -> Path:
    return download_cached(f"{PUBLIC_BASE}/{rel}", f"arena-hard-v0.1/{rel}", "pass --data-dir with the Arena-Hard v0.1 files")


def question_id(rec: dict[str, Any]) -> str:
    return str(rec.get("uid", rec.get("question_id")))


def question_text(rec: dict[str, Any]) -> str:
    if "prompt" in rec:
        return rec["prompt"]
    return rec["turns"][0]["content"]


def answer_text(rec: dict[str, Any]) -> str:
    if "messages" in rec:
        content = rec["messages"][-1]["content"]
        return content["answer"] if isinstance(content, dict) else content
    return rec["choices"][0]["turns"][0]["content"]


def load_questions(data_dir: Path | None) -> tuple[list[dict[str, Any]], str]:
    if data_dir is not None:
        path = _find(Path(data_dir), QUESTION_FILES)
        if path is None:
            raise HarnessError(f"Arena-Hard questions not found under {data_dir} (expected question.jsonl)")
    else:
        path = _download("question.jsonl")
    rows = read_jsonl_any(path)
    if not rows or not all(("prompt" in r or "turns" in r) and ("uid" in r or "question_id" in r) for r in rows):
        raise HarnessError(f"{path}: not an Arena-Hard question file (needs uid/prompt or question_id/turns)")
    return rows, str(path)


def load_baseline(data_dir: Path | None, baseline: str) -> tuple[dict[str, str], str]:
    """question id -> baseline answer text."""
    if data_dir is not None:
        path = _find(Path(data_dir), baseline_files(baseline))
        if path is None:
            raise HarnessError(f"baseline answers of {baseline!r} not found under {data_dir} "
                               f"(expected {baseline}.model_answer.jsonl[.gz] or model_answer/{baseline}.jsonl)")
    else:
        path = _download(f"model_answer/{baseline}.jsonl")
    out: dict[str, str] = {}
    for rec in read_jsonl_any(path):
        try:
            out[question_id(rec)] = answer_text(rec)
        except (KeyError, IndexError, TypeError):
            raise HarnessError(f"{path}: unreadable answer record {question_id(rec)!r}") from None
    return out, str(path)
