"""GSM8K and MMLU-Redux, zero-shot, scored exactly as ZeroEval scores them.

Generation: one user turn holding ZeroEval's prompt (:mod:`.prompts`), rendered by the model's
chat template, greedy, 4096 new tokens (the harness default for every model config).

Scoring design: ``score(run_dir, options)`` reads the run's generations (the last
``generate`` configuration, via :func:`harness.store.current_generations`) and the gold answers.
Gold answers come from ``data_dir`` / the hub when available and are then snapshotted to
``<run_dir>/gold.jsonl``; a later re-score without data (offline, other machine) reads that
snapshot. The run's item set is all items, or the first ``limit`` when the generation manifest
records a ``--limit``. ZeroEval's accuracy divides by the items that have an output (its
``len(data)``); a run missing some of its items is *incomplete* and also reports the full-set
accuracy (missing = wrong). Per-item parses are written to ``<run_dir>/parsed.jsonl`` (ZeroEval
likewise writes ``result_dirs_parsed``) for auditing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from harness.benchmarks.base import Benchmark, BenchmarkItem, PairedValues, ScoreOptions, completeness
from harness.benchmarks.zeroeval import data, prompts, scoring
from harness.benchmarks.zeroeval.extraction import Parsed, clear_output, parse_prediction
from harness.benchmarks.zeroeval.spec import GSM8K, MMLU
from harness.errors import HarnessError
from harness.manifest import base_manifest, sha256_text
from harness.store import GenerationRecord, current_generations, first_answers, read_generation_manifest
from harness.store.jsonl import read_jsonl, write_jsonl_atomic
from harness.store.layout import GENERATIONS

if TYPE_CHECKING:
    from harness.benchmarks.spec import BenchmarkSpec

GOLD_FILE = "gold.jsonl"
PARSED_FILE = "parsed.jsonl"
ZEROEVAL_REF = ("yuchenlin/ZeroEval src/evaluation/{gsm_eval.py@a7cadc00, mcqa_eval.py@ee85a2f9, "
                "eval_utils.py@7cfccf97}, src/unified_utils.py@044f8935 (clear_output)")


def _json_safe(value: Any) -> Any:
    """Parsed answers may be any JSON value, NaN included; keep parsed.jsonl strict JSON."""
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError, RecursionError):
        return str(value)


class _ZeroEvalBenchmark(Benchmark):
    metric: ClassVar[str]
    reject_empty: ClassVar[bool] = False
    prompt_template: ClassVar[str] = ""

    # subclasses: rows from the source, an item from a row, correctness
    def _rows(self, data_dir: Path | None) -> tuple[list[dict[str, Any]], str]:
        raise NotImplementedError

    def _item(self, row: dict[str, Any], source: str) -> BenchmarkItem:
        raise NotImplementedError

    def _gold(self, item: BenchmarkItem) -> dict[str, Any]:
        return {"id": item.item_id, "gold": item.reference}

    def _correct(self, answer: Any, gold: dict[str, Any]) -> bool:
        raise NotImplementedError

    # ----------------------------------------------------------------- items
    def load_items(self, data_dir: Path | None = None, limit: int | None = None) -> list[BenchmarkItem]:
        if limit is not None and limit < 1:
            raise HarnessError("--limit must be >= 1")
        rows, source = self._rows(Path(data_dir) if data_dir else self.data_dir)
        items = [self._item(r, source) for r in rows]
        ids = [it.item_id for it in items]
        if len(set(ids)) != len(ids):
            raise HarnessError(f"{source}: duplicate item ids")
        return items[:limit] if limit is not None else items

    def paired_values(self, run_dir: Path, options: ScoreOptions) -> list[PairedValues]:
        """Per-item correctness from the parsed.jsonl the score wrote (unparsed = wrong, as scored)."""
        from harness.benchmarks.zeroeval.paired import item_correctness, parsed_rows

        values = item_correctness(parsed_rows(run_dir), str(Path(run_dir) / PARSED_FILE))
        return [PairedValues(metric=self.metric, kind=self.spec.paired_test or "mcnemar", values=values)]

    # ----------------------------------------------------------------- score
    def score(self, run_dir: Path, options: ScoreOptions) -> dict[str, Any]:
        run = load_run(self, Path(run_dir), options.data_dir)
        model_hint = f"{run.model} {run.model_id}"
        parsed: list[Parsed | None] = []
        correct: list[bool] = []
        rows: list[dict[str, Any]] = []
        for g in run.gold:
            rec = run.outputs.get(g["id"])
            if rec is None:
                parsed.append(None)
                correct.append(False)
                rows.append({"id": g["id"], "missing": True, "matched": False})
                continue
            p = parse_prediction(clear_output(rec.output), model_name=model_hint, reject_empty=self.reject_empty)
            ok = p.parsed and self._correct(p.answer, g)
            parsed.append(p)
            correct.append(ok)
            rows.append({"id": g["id"], "parsed": p.parsed, "method": p.method, "model_answer": _json_safe(p.answer),
                         "reasoning_length": p.reasoning_length if p.parsed else None, "gold": g["gold"],
                         "matched": ok})
        write_jsonl_atomic(run.path / PARSED_FILE, rows)
        # items of the run's set that the gold snapshot does not list (an imported partial file)
        # have no output: missing, as items never generated
        agg = scoring.aggregate(parsed + [None] * run.n_unlisted, correct + [False] * run.n_unlisted)
        details = {**agg, "limit": run.limit, "protocol": "zeroeval", "zeroeval_ref": ZEROEVAL_REF,
                   "gold_source": run.gold_source, "n_outside_items": run.n_outside,
                   "no_answer_rate": 100.0 * agg["n_parse_failures"] / max(agg["n_present"], 1),
                   "denominator": "items with an output, as ZeroEval (accuracy_full_set: missing = wrong)"}
        return {
            "benchmark": self.name,
            "model": run.model,
            "metrics": {self.metric: agg["accuracy"], f"{self.metric}_length": agg["length"]},
            "details": details,
            **completeness(n_expected=agg["n_total"], n_scored=agg["n_present"], what="items",
                           n_ungenerated=agg["n_missing"]),
            "n": agg["n_present"],
            "manifest": base_manifest(benchmark=self.name, protocol="zeroeval", zeroeval_ref=ZEROEVAL_REF,
                                      prompt_sha256=sha256_text(self.prompt_template), limit=run.limit,
                                      gold_source=run.gold_source, generation_run_config=run.run_config),
        }


@dataclass
class RunInputs:
    """What scoring needs from a run directory: first-sample outputs by item id and the gold rows."""

    path: Path
    outputs: dict[str, GenerationRecord]
    gold: list[dict[str, Any]]  # {"id", "gold"} in item order, cut to the run's --limit
    gold_source: str
    limit: int | None
    model: str
    model_id: str
    run_config: str | None
    n_outside: int  # generations whose item is not in the (limited) item set
    n_unlisted: int = 0  # items of the run's set (manifest n_items) the gold rows do not list


def load_run(bench: Any, run_dir: Path, data_dir: Path | None) -> RunInputs:
    """Generations of ``run_dir`` (last generate config, turn 0, sample 0) plus the gold answers.

    ``bench`` provides ``load_items``, ``_gold(item)``, ``name`` and ``data_dir``. Gold rows are
    snapshotted to ``gold.jsonl`` whenever the items load, and read back from it when they don't.
    """
    outputs = first_answers(current_generations(run_dir))
    if not outputs:
        raise HarnessError(f"no generations in {run_dir / GENERATIONS}; run 'simpo-harness generate' first")
    gen_manifest = read_generation_manifest(run_dir)
    limit = gen_manifest.get("limit")
    snapshot = run_dir / GOLD_FILE
    try:
        items = bench.load_items(Path(data_dir) if data_dir else bench.data_dir)
    except HarnessError as exc:
        if not snapshot.is_file():
            raise HarnessError(f"cannot score {run_dir}: no gold answers ({exc})") from None
        gold, gold_source = list(read_jsonl(snapshot)), str(snapshot)
    else:
        gold = [bench._gold(it) for it in items]
        gold_source = items[0].metadata.get("source", "") if items else ""
        write_jsonl_atomic(snapshot, gold)
    if limit is not None:
        gold = gold[: int(limit)]
    ids = {g["id"] for g in gold}
    if not ids & set(outputs):
        raise HarnessError(f"the generations in {run_dir} match none of the {len(gold)} {bench.name} items "
                           "(a different data set?)")
    first = next(iter(outputs.values()))
    n_items = gen_manifest.get("n_items")
    n_unlisted = max(int(n_items) - len(gold), 0) if isinstance(n_items, int) and limit is None else 0
    return RunInputs(path=run_dir, outputs=outputs, gold=gold, gold_source=gold_source, limit=limit,
                     model=first.model or run_dir.parent.name, model_id=first.model_id,
                     run_config=gen_manifest.get("run_config"), n_outside=len(set(outputs) - ids),
                     n_unlisted=n_unlisted)


class GSM8KZeroEval(_ZeroEvalBenchmark):
    """GSM8K test (1,319), ZeroEval OEQA prompt, first-number float match."""

    spec: ClassVar[BenchmarkSpec] = GSM8K
    metric: ClassVar[str] = "gsm"
    prompt_template: ClassVar[str] = prompts.OEQA

    def _rows(self, data_dir: Path | None) -> tuple[list[dict[str, Any]], str]:
        return data.load_gsm8k(data_dir, "test")

    def _item(self, row: dict[str, Any], source: str) -> BenchmarkItem:
        return BenchmarkItem(item_id=row["id"], turns=(prompts.apply_oeqa_template(row["question"]),),
                             reference=row["answer"], metadata={"source": source, "question": row["question"]})

    def _correct(self, answer: Any, gold: dict[str, Any]) -> bool:
        return scoring.gsm_is_correct(answer, gold["gold"])


class MMLUReduxZeroEval(_ZeroEvalBenchmark):
    """MMLU-Redux (ZeroEval's 2,778 kept items), MCQA prompt, letter / ``"X)"`` match."""

    spec: ClassVar[BenchmarkSpec] = MMLU
    metric: ClassVar[str] = "mmlu"
    reject_empty: ClassVar[bool] = True
    prompt_template: ClassVar[str] = prompts.MCQA

    def _rows(self, data_dir: Path | None) -> tuple[list[dict[str, Any]], str]:
        return data.load_mmlu_redux(data_dir)

    def _item(self, row: dict[str, Any], source: str) -> BenchmarkItem:
        choices = [str(c) for c in row["choices"]]
        letter = scoring.gold_letter(choices, row["correct_answer"])
        return BenchmarkItem(item_id=str(row["id"]), turns=(prompts.apply_mc_template(row["question"], choices),),
                             category=str(row.get("config", "")), reference=letter,
                             metadata={"source": source, "choices": choices, "correct_answer": row["correct_answer"]})

    def _correct(self, answer: Any, gold: dict[str, Any]) -> bool:
        return scoring.mmlu_is_correct(answer, gold["gold"])
