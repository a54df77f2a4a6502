"""GSM8K and MMLU-Redux items, from ``--data-dir`` files or the public hub.

Local layout (``--data-dir DIR``; ``python -m harness.benchmarks.zeroeval.prepare --out DIR``
writes it when online)::

    DIR/gsm8k/test.jsonl       {"question": str, "answer": str[, "id": str]} per line; the answer is
                               GSM8K's ("...rationale... #### 72") or ZeroEval's ("# 72" / "72")
    DIR/gsm8k/train.jsonl      same fields, the 7,473 train items (few-shot pool of the lm-eval 5-shot variant)
    DIR/mmlu_redux/test.jsonl  ZeroEval's filtered set (yuchenlin/zero-eval, config mmlu-redux):
                               {"id", "question", "choices": [str], "correct_answer": str (a choice)}
      or DIR/mmlu_redux/<subject>.jsonl   raw edinburgh-dawg/mmlu-redux rows ({"question", "choices",
                               "answer": int, "error_type", "correct_answer"}), filtered here the
                               ZeroEval way (subjects in file-name order)

Hub sources (used when no ``--data-dir`` is given): GSM8K from ``openai/gsm8k`` (main, test /
train), reformatted as ZeroEval's ``data_reformatting/gsm8k.py`` does (id
``gsm8k-main-test-#<i>``, answer = ``answer.split("###")[1].strip()``); MMLU-Redux from
``yuchenlin/zero-eval`` (config ``mmlu-redux``, split test: 2,778 items), the exact set ZeroEval's
``src/task_configs.py`` loads, built by ``data_reformatting/mmlu-redux.py``: keep ``error_type ==
"ok"`` (gold = ``choices[answer]``) and ``wrong_groundtruth`` whose ``correct_answer`` is a letter
A-F (gold = that choice); drop the rest.

Offline, the hub is not waited on: a quick reachability check fails over to the local
``datasets`` cache, and then to a HarnessError naming the file to provide.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from harness.errors import HarnessError

GSM8K_HUB = ("openai/gsm8k", "main")
ZEROEVAL_HUB = "yuchenlin/zero-eval"
MMLU_REDUX_RAW_HUB = "edinburgh-dawg/mmlu-redux"
N_GSM8K_TEST = 1319
N_MMLU_REDUX = 2778
PREPARE_HINT = "python -m harness.benchmarks.zeroeval.prepare --out DIR"


def read_jsonl_file(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise HarnessError(f"{path}:{lineno}: malformed JSON line ({exc.msg})") from None
            if not isinstance(row, dict):
                raise HarnessError(f"{path}:{lineno}: expected a JSON object per line")
            rows.append(row)
    return rows


def _require(row: dict[str, Any], fields: Iterable[str], where: str) -> None:
    missing = [f for f in fields if f not in row]
    if missing:
        raise HarnessError(f"{where}: missing field(s) {', '.join(missing)}")


# ------------------------------------------------------------------ GSM8K
def zeroeval_gsm_answer(answer: str) -> str:
    """ZeroEval's reformatting: ``"... #### 72"`` -> ``"# 72"`` (a bare answer is kept)."""
    return answer.split("###")[1].strip() if "###" in answer else answer.strip()


def gsm8k_rows(rows: list[dict[str, Any]], split: str, where: str) -> list[dict[str, Any]]:
    out = []
    for i, row in enumerate(rows):
        _require(row, ("question", "answer"), f"{where} row {i + 1}")
        out.append({
            "id": str(row.get("id") or f"gsm8k-main-{split}-#{i}"),
            "question": str(row["question"]),
            "answer": zeroeval_gsm_answer(str(row["answer"])),
            "raw_answer": str(row["answer"]),
        })
    return out


def load_gsm8k(data_dir: Path | None, split: str = "test") -> tuple[list[dict[str, Any]], str]:
    """GSM8K rows ``{id, question, answer (ZeroEval form), raw_answer}`` and their source."""
    if data_dir is not None:
        path = Path(data_dir) / "gsm8k" / f"{split}.jsonl"
        if not path.is_file():
            raise HarnessError(f"GSM8K {split} file not found: {path} (JSONL with question/answer; "
                               f"create it with '{PREPARE_HINT}' where the hub is reachable)")
        return gsm8k_rows(read_jsonl_file(path), split, str(path)), str(path)
    rows = hub_rows(GSM8K_HUB[0], GSM8K_HUB[1], split, expected=f"gsm8k/{split}.jsonl")
    return gsm8k_rows(rows, split, f"hub {GSM8K_HUB[0]}"), f"hub:{GSM8K_HUB[0]}/{GSM8K_HUB[1]}/{split}"


# ------------------------------------------------------------------ MMLU-Redux
def filter_mmlu_redux(subject: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ZeroEval's ``data_reformatting/mmlu-redux.py`` filter for one subject's raw rows."""
    out = []
    for index, item in enumerate(rows):
        _require(item, ("question", "choices", "answer", "error_type"), f"mmlu_redux/{subject} row {index + 1}")
        if item["error_type"] == "ok":
            correct = item["choices"][int(item["answer"])]
        elif item["error_type"] == "wrong_groundtruth" and item.get("correct_answer") in list("ABCDEF"):
            correct = item["choices"]["ABCDEF".index(item["correct_answer"])]
        else:
            continue  # multiple answers, bad questions, ...
        out.append({"id": f"mmlu-redux-{subject}-#{index}", "question": item["question"],
                    "choices": list(item["choices"]), "correct_answer": correct, "config": subject})
    return out


def _check_mmlu_rows(rows: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
    for i, row in enumerate(rows):
        _require(row, ("question", "choices", "correct_answer"), f"{where} row {i + 1}")
        if row["correct_answer"] not in row["choices"]:
            raise HarnessError(f"{where} row {i + 1}: correct_answer is not one of the choices")
        row.setdefault("id", f"mmlu-redux-#{i}")
    return rows


def load_mmlu_redux(data_dir: Path | None) -> tuple[list[dict[str, Any]], str]:
    """ZeroEval's MMLU-Redux rows ``{id, question, choices, correct_answer}`` and their source."""
    if data_dir is not None:
        folder = Path(data_dir) / "mmlu_redux"
        test = folder / "test.jsonl"
        if test.is_file():
            return _check_mmlu_rows(read_jsonl_file(test), str(test)), str(test)
        subjects = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
        if not subjects:
            raise HarnessError(f"MMLU-Redux file not found: {test} (ZeroEval-format JSONL, or raw "
                               f"<subject>.jsonl files in {folder}; create it with '{PREPARE_HINT}')")
        rows = [r for p in subjects for r in filter_mmlu_redux(p.stem, read_jsonl_file(p))]
        return rows, f"{folder} (raw, filtered)"
    rows = hub_rows(ZEROEVAL_HUB, "mmlu-redux", "test", expected="mmlu_redux/test.jsonl")
    return _check_mmlu_rows(rows, f"hub {ZEROEVAL_HUB}"), f"hub:{ZEROEVAL_HUB}/mmlu-redux/test"


def build_mmlu_redux_from_raw(load: Callable[[str], list[dict[str, Any]]], subjects: list[str]) -> list[dict[str, Any]]:
    """Rebuild ZeroEval's set from the raw dataset (used by ``prepare`` as a cross-check)."""
    return [r for s in subjects for r in filter_mmlu_redux(s, load(s))]


# ------------------------------------------------------------------ hub access
def _offline_env() -> bool:
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
               for v in ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def hub_reachable(timeout: float = 3.0) -> bool:
    """A quick TCP check of the hub endpoint (skipped, i.e. True, behind an HTTP proxy)."""
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host, port = url.hostname or "huggingface.co", url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def hub_rows(path: str, name: str | None, split: str, *, expected: str) -> list[dict[str, Any]]:
    """Rows of a hub dataset split: online if reachable, else the local ``datasets`` cache."""
    missing = (f"cannot load {path}" + (f" ({name})" if name else "") + f" split {split!r}: the hub is "
               f"unreachable and it is not in the datasets cache; pass --data-dir DIR with {expected} "
               f"(see '{PREPARE_HINT}')")
    try:
        import datasets
    except ImportError:
        raise HarnessError(f"the 'datasets' package is needed to load {path} from the hub; "
                           f"install it or pass --data-dir DIR with {expected}") from None
    offline = _offline_env() or not hub_reachable()
    try:
        if offline:
            return _load_cached(datasets, path, name, split)
        return [dict(r) for r in datasets.load_dataset(path, name, split=split)]
    except HarnessError:
        raise
    except Exception as exc:  # noqa: BLE001 - network/cache errors of datasets vary by version
        raise HarnessError(f"{missing} [{type(exc).__name__}]") from None


def _load_cached(datasets: Any, path: str, name: str | None, split: str) -> list[dict[str, Any]]:
    """``load_dataset`` with the hub switched off, so only the local cache is read (no retries)."""
    import huggingface_hub.constants as hub_constants

    saved = (datasets.config.HF_HUB_OFFLINE, hub_constants.HF_HUB_OFFLINE)
    datasets.config.HF_HUB_OFFLINE = hub_constants.HF_HUB_OFFLINE = True
    try:
        return [dict(r) for r in datasets.load_dataset(path, name, split=split)]
    finally:
        datasets.config.HF_HUB_OFFLINE, hub_constants.HF_HUB_OFFLINE = saved
