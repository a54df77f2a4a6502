"""A toy judged benchmark defined only here: it goes through generate -> judge -> score -> table with
no product file touched (registered with ``harness.benchmarks.register``), which shows that a
benchmark declares itself in one place.

Even items have two turns (like MT-Bench), odd items one. The judge grades each item's first
answer 1-10 with an ``[[x]]`` rating; the score is the mean rating.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

from harness.benchmarks.base import (
    Benchmark,
    BenchmarkItem,
    JudgeOptions,
    PairedValues,
    ScoreOptions,
    completeness,
)
from harness.benchmarks.spec import BenchmarkSpec, DataSpec, JudgeSpec, MetricSpec, VerdictSpec
from harness.errors import HarnessError
from harness.judges.base import JudgeClient, JudgeRequest
from harness.store import (
    JudgeId,
    JudgmentSelection,
    current_generations,
    first_answers,
    read_generation_manifest,
    select_judgments,
)
from harness.store.jsonl import append_jsonl, read_jsonl

TOY = BenchmarkSpec(
    name="toy",
    title="Toy",
    impl="tests.helpers.toy_benchmark:ToyBenchmark",
    description="six made-up questions graded 1-10 by a judge",
    n_items=6,
    data=DataSpec(subdirs=("toy",), files="(built in)", public="(built in)", offline="built in"),
    metrics=(MetricSpec("toy_score", "Toy", 2),),
    judge=JudgeSpec(default_model="toy-judge", units_per_item=1, tokens_per_unit=(20, 5),
                    verdict=VerdictSpec(marker="Grade the answer", choices=tuple(str(i) for i in range(1, 11)),
                                        present=r"\[\[\d+\]\]", prefix=" [[", suffix="]]")),
    paired_test="wilcoxon",
)
RATING = re.compile(r"\[\[(\d+)\]\]")


class ToyBenchmark(Benchmark):
    spec: ClassVar[BenchmarkSpec] = TOY

    def __init__(self, data_dir: Path | None = None, n: int = 6) -> None:
        super().__init__(data_dir)
        self.n = n

    def load_items(self, data_dir: Path | None = None, limit: int | None = None) -> list[BenchmarkItem]:
        items = [BenchmarkItem(item_id=f"q{i}", turns=(f"question {i}: what is {i} plus {i}?", "and why?")
                               if i % 2 == 0 else (f"write {i} words about water",)) for i in range(self.n)]
        return items[:limit] if limit else items

    def judge(self, run_dir: Path, client: JudgeClient, items: list[BenchmarkItem], options: JudgeOptions) -> None:
        judge = JudgeId(options.judge_model or TOY.judge.default_model, client.endpoint)
        answers = first_answers(current_generations(run_dir))
        done = {(r["item_id"], r["answer"]) for r in read_jsonl(run_dir / "annotations.jsonl")
                if r.get("error") is None and JudgeId.of(r) == judge}
        todo = [it for it in items if it.item_id in answers and (it.item_id, answers[it.item_id].output) not in done]
        requests = [JudgeRequest.from_messages(judge.model, [{"role": "user", "content": (
            f"Grade the answer 1-10 as [[x]].\nQ: {it.turns[0]}\nA: {answers[it.item_id].output}")}]) for it in todo]
        rows = []
        for it, resp in zip(todo, client.complete_many(requests), strict=True):
            match = RATING.search(resp.content or "")
            rows.append({"item_id": it.item_id, "answer": answers[it.item_id].output, "model": answers[it.item_id].model,
                         "judge_model": judge.model, "judge_endpoint": judge.endpoint, "judgment": resp.content,
                         "score": int(match.group(1)) if match else None, "error": resp.error})
        append_jsonl(run_dir / "annotations.jsonl", rows)

    def _selection(self, run_dir: Path, options: ScoreOptions) -> tuple[dict[str, Any], JudgmentSelection]:
        answers = first_answers(current_generations(run_dir))
        sel = select_judgments(read_jsonl(run_dir / "annotations.jsonl"), unit=lambda r: (r["item_id"],),
                               failed=lambda r: r.get("error") is not None,
                               current=lambda r: r["item_id"] in answers and answers[r["item_id"]].output == r["answer"],
                               judge_model=options.judge_model, judge_endpoint=options.judge_endpoint)
        return answers, sel

    def paired_values(self, run_dir: Path, options: ScoreOptions) -> list[PairedValues]:
        """The rating of each item, from the judgments the score used (what `compare` tests)."""
        _, sel = self._selection(run_dir, options)
        return [PairedValues(metric="toy_score", kind="wilcoxon",
                             values={r["item_id"]: float(r["score"]) for r in sel.judgments if r["score"] is not None})]

    def score(self, run_dir: Path, options: ScoreOptions) -> dict[str, Any]:
        answers, sel = self._selection(run_dir, options)
        scores = [r["score"] for r in sel.judgments if r["score"] is not None]
        if not scores:
            raise HarnessError(f"no toy judgments with a rating in {run_dir}")
        n_selected = int(read_generation_manifest(run_dir).get("n_items") or len(answers))
        return {"benchmark": "toy", "model": sel.judgments[0]["model"],
                "metrics": {"toy_score": sum(scores) / len(scores)}, "ci": {}, "details": {"judge": sel.judge.label()},
                "n": len(scores), **completeness(n_expected=n_selected, n_scored=len(sel.judgments), what="items",
                                                 n_failed=sel.n_failed, n_stale=sel.n_stale)}
