"""Write a ``--data-dir`` for GSM8K (ZeroEval and lm-eval variants) and MMLU-Redux from the public hub (run where online).

Usage::

    python -m harness.benchmarks.zeroeval.prepare --out data/zeroeval
    simpo-harness run --benchmark gsm8k --data-dir data/zeroeval --limit 20

Writes ``gsm8k/test.jsonl`` and ``gsm8k/train.jsonl`` (``openai/gsm8k`` main, answers kept in
GSM8K's own "... #### 72" form, ids as ZeroEval's) and ``mmlu_redux/test.jsonl`` (ZeroEval's
2,778-item set from ``yuchenlin/zero-eval``; with ``--mmlu-from-raw`` rebuilt from
``edinburgh-dawg/mmlu-redux`` with ZeroEval's filter instead). The layout is documented in
:mod:`harness.benchmarks.zeroeval.data`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.benchmarks.zeroeval import data
from harness.errors import HarnessError


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".jsonl.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)


def prepare_gsm8k(out: Path) -> dict[str, int]:
    counts = {}
    for split in ("test", "train"):
        rows = data.hub_rows(data.GSM8K_HUB[0], data.GSM8K_HUB[1], split, expected=f"gsm8k/{split}.jsonl")
        _write(out / "gsm8k" / f"{split}.jsonl",
               [{"id": f"gsm8k-main-{split}-#{i}", "question": r["question"], "answer": r["answer"]}
                for i, r in enumerate(rows)])
        counts[f"gsm8k/{split}"] = len(rows)
    if counts["gsm8k/test"] != data.N_GSM8K_TEST:
        print(f"warning: GSM8K test has {counts['gsm8k/test']} items, expected {data.N_GSM8K_TEST}", file=sys.stderr)
    return counts


def prepare_mmlu_redux(out: Path, from_raw: bool = False) -> dict[str, int]:
    if from_raw:
        try:
            from datasets import get_dataset_config_names
        except ImportError:
            raise HarnessError("the 'datasets' package is needed for --mmlu-from-raw") from None
        subjects = get_dataset_config_names(data.MMLU_REDUX_RAW_HUB)

        def load(subject: str) -> list[dict[str, Any]]:
            return data.hub_rows(data.MMLU_REDUX_RAW_HUB, subject, "test", expected="mmlu_redux/<subject>.jsonl")

        rows = data.build_mmlu_redux_from_raw(load, list(subjects))
    else:
        rows = data.hub_rows(data.ZEROEVAL_HUB, "mmlu-redux", "test", expected="mmlu_redux/test.jsonl")
        rows = [{k: r[k] for k in ("id", "question", "choices", "correct_answer", "config") if k in r} for r in rows]
    _write(out / "mmlu_redux" / "test.jsonl", rows)
    if len(rows) != data.N_MMLU_REDUX:
        print(f"warning: MMLU-Redux has {len(rows)} kept items, ZeroEval's set has {data.N_MMLU_REDUX}",
              file=sys.stderr)
    return {"mmlu_redux/test": len(rows)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.benchmarks.zeroeval.prepare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="data directory to write")
    parser.add_argument("--only", choices=("gsm8k", "mmlu"), action="append",
                        help="only this data set (repeatable; default: both)")
    parser.add_argument("--mmlu-from-raw", action="store_true",
                        help="rebuild MMLU-Redux from edinburgh-dawg/mmlu-redux with ZeroEval's filter")
    args = parser.parse_args(argv)
    only = args.only or ["gsm8k", "mmlu"]
    try:
        counts: dict[str, int] = {}
        if "gsm8k" in only:
            counts.update(prepare_gsm8k(args.out))
        if "mmlu" in only:
            counts.update(prepare_mmlu_redux(args.out, args.mmlu_from_raw))
    except HarnessError as exc:
        print(f"prepare: error: {exc}", file=sys.stderr)
        return exc.exit_code
    for name, n in counts.items():
        print(f"{args.out / name}.jsonl: {n} items")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
