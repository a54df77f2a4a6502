"""Arena-Hard v0.1 questions and the gpt-4-0314 baseline answers.

Looked for in ``--data-dir`` (flat: ``question.jsonl`` + ``gpt-4-0314.model_answer.jsonl[.gz]``,
or laid out like arena-hard-auto's ``data/arena-hard-v0.1`` with ``model_answer/gpt-4-0314.jsonl``;
a parent folder holding ``arena_hard_v0.1/`` or ``arena-hard-v0.1/`` also works), else fetched
once from the public arena-hard-auto repository into the user cache. Both the original
(``question_id``/``turns``/``choices``) and the newer (``uid``/``prompt``/``messages``) record
formats are read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.benchmarks.arena_hard.spec import SPEC
from harness.errors import HarnessError
from harness.paths import download_cached, find_data_file
from harness.store.jsonl import read_records

PUBLIC_BASE = "https://raw.githubusercontent.com/lmarena/arena-hard-auto/main/data/arena-hard-v0.1"
QUESTION_FILES = ("question.jsonl",)


def baseline_files(baseline: str) -> tuple[str, ...]:
    return (f"{baseline}.model_answer.jsonl.gz", f"{baseline}.model_answer.jsonl",
            f"model_answer/{baseline}.jsonl.gz", f"model_answer/{baseline}.jsonl", f"{baseline}.jsonl")


def _find(data_dir: Path, names: tuple[str, ...]) -> Path | None:
    return find_data_file(data_dir, SPEC.data.subdirs, names)


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
    rows = read_records(path, what="Arena-Hard questions")
    if not rows or not all(_is_question(r) for r in rows):
        other = " (it looks like MT-Bench's)" if rows and all(isinstance(t, str) for t in rows[0].get("turns", [0])) else ""
        raise HarnessError(f"{path}: not an Arena-Hard question file{other}; Arena-Hard reads "
                           f"<data-dir>/{SPEC.data.subdirs[0]}/question.jsonl (uid/prompt or question_id/turns "
                           "with {content} turns)")
    return rows, str(path)


def _is_question(r: dict[str, Any]) -> bool:
    if "uid" in r and "prompt" in r:
        return True
    turns = r.get("turns")
    return ("question_id" in r and isinstance(turns, list) and bool(turns)
            and isinstance(turns[0], dict) and "content" in turns[0])


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
    for rec in read_records(path, what="Arena-Hard answers"):
        try:
            out[question_id(rec)] = answer_text(rec)
        except (KeyError, IndexError, TypeError):
            raise HarnessError(f"{path}: unreadable answer record {question_id(rec)!r}") from None
    return out, str(path)
