"""Tiny native results directories for the `compare` / `report` tests, written by the benchmarks' own
``judge`` and ``score`` (scripted in-process judges) on real questions from ../shared.

Arena-Hard and MT-Bench answers carry the verdict / grade the scripted judge gives them
(``verdict=win`` / ``grade=7``), so two models differ by construction; GSM8K uses two real ZeroEval
output files, the second model with its last items not generated.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

from harness.benchmarks.arena_hard.benchmark import ArenaHard
from harness.benchmarks.base import JudgeOptions, ScoreOptions
from harness.benchmarks.mt_bench.benchmark import MTBench
from harness.benchmarks.zeroeval.benchmark import GSM8KZeroEval
from harness.judges.base import JudgeRequest
from harness.store.jsonl import append_jsonl, write_json_atomic
from tests.helpers.fake_judge import FakeJudgeClient
from tests.report.builders import generation_record

N_ARENA, N_MT, N_GSM = 12, 6, 40
GSM_MODELS = ("gemma-2-9b-it", "Meta-Llama-3.1-8B-Instruct")
_VERDICT = re.compile(r"verdict=(\w+)")
_GRADE = re.compile(r"grade=(\d+)")
# the model's outcome -> the label when the model is assistant B (game 0) and when it is A (game 1)
_LABELS = {"bigwin": ("B>>A", "A>>B"), "win": ("B>A", "A>B"), "tie": ("A=B", "A=B"), "loss": ("A>B", "B>A")}


def arena_judge(req: JudgeRequest) -> str:
    """The verdict an answer asks for, in the judge's A/B terms (the baseline answer has none)."""
    text = req.messages[1][1]
    model_is_a = _VERDICT.search(text.split("<|The End of Assistant A's Answer|>")[0]) is not None
    label = _LABELS[_VERDICT.search(text).group(1)][1 if model_is_a else 0]
    return f"Both are fine.\n\nMy final verdict is: [[{label}]]"


def mt_judge(req: JudgeRequest) -> str:
    """The grade of the last answer in the prompt (turn 2's prompt holds both turns)."""
    return f"Reasonable.\n\nRating: [[{_GRADE.findall(req.messages[-1][1])[-1]}]]"


def write_arena(results: Path, data: Path, outcomes: dict[str, list[str]]) -> None:
    """``<results>/<model>/arena_hard`` per model, answer k asking for ``outcomes[model][k]``; scored."""
    items = ArenaHard().load_items(data)[:N_ARENA]
    for model, wanted in outcomes.items():
        run = results / model / "arena_hard"
        run.mkdir(parents=True)
        append_jsonl(run / "generations.jsonl", [
            generation_record(model, it.item_id, f"{model} answer {k} verdict={wanted[k % len(wanted)]}", index=k)
            for k, it in enumerate(items)])
        ArenaHard().judge(run, FakeJudgeClient(arena_judge), items, JudgeOptions())
        write_json_atomic(run / "scores.json", ArenaHard().score(run, ScoreOptions(data_dir=data)))


def write_mt_bench(results: Path, data: Path, grades: dict[str, list[int]]) -> list[str]:
    """``<results>/<model>/mt_bench`` on the first questions that need no reference answer; scored.
    Returns their ids."""
    from harness.benchmarks.mt_bench.protocol import needs_reference

    items = [it for it in MTBench().load_items(data) if not needs_reference(it.category)][:N_MT]
    for model, g in grades.items():
        run = results / model / "mt_bench"
        run.mkdir(parents=True)
        append_jsonl(run / "generations.jsonl", [
            generation_record(model, it.item_id, f"{model} turn {t} grade={g[(2 * k + t) % len(g)]}", turn=t, index=k)
            for k, it in enumerate(items) for t in range(2)])
        MTBench().judge(run, FakeJudgeClient(mt_judge), items, JudgeOptions(data_dir=data))
        write_json_atomic(run / "scores.json", MTBench().score(run, ScoreOptions(data_dir=data)))
    return [it.item_id for it in items]


def gsm_rows(shared: Path) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for model in GSM_MODELS:
        with gzip.open(shared / "official_files" / "zeroeval" / "gsm" / f"{model}.json.gz", "rt") as fh:
            out[model] = json.load(fh)[:N_GSM]
    return out


def write_gsm8k(results: Path, data_root: Path, shared: Path, missing_b: int = 10) -> dict[str, list[dict[str, Any]]]:
    """Two real ZeroEval GSM8K output files as runs (the second without its last ``missing_b`` items),
    the data's test.jsonl under ``data_root/gsm8k``; scored by GSM8KZeroEval.score."""
    rows = gsm_rows(shared)
    first = rows[GSM_MODELS[0]]
    (data_root / "gsm8k").mkdir(parents=True, exist_ok=True)
    (data_root / "gsm8k" / "test.jsonl").write_text("".join(
        json.dumps({"id": r["id"], "question": r["question"], "answer": r["answer"]}) + "\n" for r in first))
    for i, (model, recs) in enumerate(rows.items()):
        run = results / model / "gsm8k"
        run.mkdir(parents=True)
        kept = recs if i == 0 else recs[: len(recs) - missing_b]
        append_jsonl(run / "generations.jsonl", [generation_record(model, r["id"], r["output"][0], index=k)
                                                 for k, r in enumerate(kept)])
        write_json_atomic(run / "scores.json", GSM8KZeroEval().score(run, ScoreOptions(data_dir=data_root)))
    return rows
