"""AlpacaEval 2 (weighted_alpaca_eval_gpt4_turbo judge, gpt4_1106_preview reference)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from harness.benchmarks.alpaca_eval import data as ae_data
from harness.benchmarks.alpaca_eval import protocol, scoring
from harness.benchmarks.alpaca_eval.spec import SPEC
from harness.benchmarks.base import (
    Benchmark,
    BenchmarkItem,
    JudgeOptions,
    PairedValues,
    ScoreOptions,
    completeness,
    judge_details,
)
from harness.errors import HarnessError
from harness.judges.base import JudgeRequest, JudgeResponse, judge_chunk
from harness.manifest import base_manifest, package_versions
from harness.store import (
    GenerationRecord,
    JudgeId,
    JudgmentSelection,
    current_generations,
    first_answers,
    read_generation_manifest,
    select_judgments,
)
from harness.store.jsonl import BufferedAppender, read_jsonl
from harness.store.judgments import failed_calls_error
from harness.store.layout import ANNOTATIONS, GENERATIONS

if TYPE_CHECKING:
    from harness.benchmarks.spec import BenchmarkSpec
    from harness.judges.base import JudgeClient

CHUNK = 256  # rows are appended (fsynced) per CHUNK answers; each call is already cached as it completes


class AlpacaEval2(Benchmark):
    spec: ClassVar[BenchmarkSpec] = SPEC

    # ----------------------------------------------------------------- items
    def load_items(self, data_dir: Path | None = None, limit: int | None = None) -> list[BenchmarkItem]:
        records, source = ae_data.load_reference(data_dir or self.data_dir)
        items = [
            BenchmarkItem(
                item_id=f"{i:03d}",
                turns=(r["instruction"],),
                category=r.get("dataset", ""),
                reference=r["output"],
                metadata={"dataset": r.get("dataset", ""), "generator_1": r.get("generator", ae_data.REFERENCE_GENERATOR),
                          "source": source},
            )
            for i, r in enumerate(records)
        ]
        return items[:limit] if limit is not None else items

    # ----------------------------------------------------------------- judge
    def judge(self, run_dir: Path, client: JudgeClient, items: list[BenchmarkItem], options: JudgeOptions) -> None:
        """Judge stored generations against the reference; appends one row per instruction.

        A row with a real preference by the same judge (model and endpoint) on the same output is
        never judged again; failed rows are retried.
        """
        run_dir = Path(run_dir)
        judge = JudgeId(options.judge_model or SPEC.judge.default_model, client.endpoint)
        by_id = {it.item_id: it for it in items}
        answers = {i: r for i, r in first_answers(current_generations(run_dir)).items() if i in by_id}
        if not answers:
            raise HarnessError(f"no AlpacaEval generations in {run_dir / GENERATIONS}; run 'simpo-harness generate' first")
        done = {(r["instruction"], r["output_2"]) for r in read_jsonl(run_dir / ANNOTATIONS)
                if JudgeId.of(r) == judge and not math.isnan(scoring._as_float(r.get("preference")))}
        pending = [by_id[i] for i in answers if (by_id[i].turns[0], answers[i].output) not in done]
        with BufferedAppender(run_dir / ANNOTATIONS, CHUNK) as out:
            judge_pending(client, pending, answers, judge, out.add)

    # ----------------------------------------------------------------- score
    def score(self, run_dir: Path, options: ScoreOptions) -> dict[str, Any]:
        run_dir = Path(run_dir)
        data_dir = options.data_dir or self.data_dir
        reference = _try_reference(data_dir)
        answers, sel = self.judgments(run_dir, options)
        judged = next(iter(read_jsonl(run_dir / ANNOTATIONS)), None) is not None
        if not judged and answers and reference is not None:
            return self._score_outputs(run_dir, answers, reference, data_dir)  # not judged yet: length (and LC)
        manifest = read_generation_manifest(run_dir)
        n_selected = int(manifest.get("n_items") or len(answers) or len(sel.judgments))
        if not sel.judgments:
            if sel.n_failed:
                raise failed_calls_error(sel.n_failed, sel.errors, str(run_dir / ANNOTATIONS))
            stale = f" ({sel.n_stale} judged outputs are no longer the current generations)" if sel.n_stale else ""
            raise HarnessError(f"nothing to score in {run_dir}: no judgments of the current generations{stale}; "
                               "run 'simpo-harness judge'")
        status = completeness(n_expected=n_selected, n_scored=len(sel.judgments), what="instructions",
                              n_failed=sel.n_failed, n_stale=sel.n_stale,
                              n_ungenerated=max(n_selected - len(answers), 0) if answers else 0)
        generator = sel.judgments[0].get("generator_2") or run_dir.parent.name
        incomplete = status["incomplete"]["reason"] if status["incomplete"] else None
        # an official file with fewer rows than instructions: LC as alpaca-eval computes it for that file
        # (the score stays incomplete); failed or stale judgments never get an LC
        official_file = manifest.get("imported_from") and not (sel.n_failed or sel.n_stale)
        payload = self.score_records(generator, None, _in_reference_order(sel.judgments, reference), reference,
                                     data_dir, annotations_source=str(run_dir / ANNOTATIONS),
                                     n_instructions=n_selected, incomplete=None if official_file else incomplete)
        payload.update(status)
        payload["details"].update(n_stale_judgments=sel.n_stale, **judge_details(sel.judge))
        return payload

    def judgments(self, run_dir: Path, options: ScoreOptions) -> tuple[dict[str, GenerationRecord], JudgmentSelection]:
        """The current answers and the judgments a score of them uses (one judge, judged on the current
        outputs; a run scored from files only, without generations, uses every judged row)."""
        run_dir = Path(run_dir)
        answers = first_answers(current_generations(run_dir))
        current = {a.output for a in answers.values()} if answers else None
        return answers, _select(list(read_jsonl(run_dir / ANNOTATIONS)), current, options, run_dir)

    def paired_values(self, run_dir: Path, options: ScoreOptions) -> list[PairedValues]:
        """WR per instruction (the judgments the score used) and, where the run's LC was predicted from
        published GLM weights, length-adjusted LC values (:mod:`.paired`)."""
        from harness.benchmarks.alpaca_eval.paired import run_paired_values

        return run_paired_values(self, Path(run_dir), options)

    def _score_outputs(self, run_dir: Path, answers: dict[str, Any], reference: list[dict[str, Any]],
                       data_dir: Path | None) -> dict[str, Any]:
        instructions = {f"{i:03d}": r["instruction"] for i, r in enumerate(reference)}
        outputs = [{"instruction": instructions[k], "output": a.output} for k, a in answers.items() if k in instructions]
        if not outputs:
            raise HarnessError(f"the generations in {run_dir} match no AlpacaEval instruction of the reference")
        generator = next(iter(answers.values())).model or run_dir.parent.name
        n_selected = int(read_generation_manifest(run_dir).get("n_items") or len(outputs))
        payload = self.score_records(generator, outputs, None, reference, data_dir,
                                     outputs_source=str(run_dir / GENERATIONS), n_instructions=n_selected)
        payload.update(status="incomplete", incomplete={
            "n_expected": n_selected, "n_scored": 0, "n_failed": 0, "n_stale": 0, "n_ungenerated": 0,
            "reason": "not judged yet: no win rate (run 'simpo-harness judge')"})
        return payload

    def score_files(self, outputs: Path | None, annotations: Path | None, data_dir: Path | None,
                    model: str | None) -> dict[str, Any]:
        """Score alpaca_eval's own model_outputs / annotations files (``score --outputs/--annotations``)."""
        from harness.benchmarks.alpaca_eval.files import score_files

        return score_files(self, outputs_path=outputs, annotations_path=annotations, data_dir=data_dir, model=model)

    def score_records(self, generator: str, outputs: list[dict[str, Any]] | None,
                      annotations: list[dict[str, Any]] | None, reference: list[dict[str, Any]] | None,
                      data_dir: Path | None, outputs_source: str = "outputs", annotations_source: str = "annotations",
                      n_instructions: int | None = None, incomplete: str | None = None) -> dict[str, Any]:
        """Score rows; ``*_source`` (e.g. the file they came from) name them in errors."""
        payload = scoring.score_alpaca_eval(
            generator=generator, outputs=outputs, annotations=annotations, reference=reference, data_dir=data_dir,
            outputs_source=outputs_source, annotations_source=annotations_source, n_instructions=n_instructions,
            incomplete=incomplete)
        judges = sorted({JudgeId.of(a).label() for a in annotations or []})
        payload["manifest"] = base_manifest(
            benchmark=self.name, protocol=protocol.ANNOTATOR, judges=judges, judge_kwargs=protocol.JUDGE_KWARGS,
            prompt=protocol.PROMPT_RESOURCE, prompt_sha256=protocol.prompt_sha256(),
            alpaca_eval_version=package_versions(("alpaca-eval",)).get("alpaca-eval"),
            switch_rule=f"random.Random('{protocol.SWITCH_COLUMN}' + instruction + '{protocol.ANNOTATOR_SEED}')",
            reference_generator=ae_data.REFERENCE_GENERATOR, lc_status=payload["details"]["lc_status"],
        )
        return payload


def judge_pending(client: JudgeClient, pending: list[BenchmarkItem], answers: dict[str, Any], judge: JudgeId,
                  keep: Callable[[dict[str, Any]], None], chunk: int = CHUNK) -> None:
    """Annotation rows of ``pending``, handed to ``keep`` as the judge answers them: identical outputs
    are a draw without a call (as alpaca_eval); each request is built as the client draws it."""
    calls: list[BenchmarkItem] = []
    for it in pending:
        output = answers[it.item_id].output
        if it.reference == output:
            keep({**_row(it, output, answers[it.item_id].model, judge), "preference": 1.5, "raw_completion": None,
                     "is_switched_outputs": None, "cache_key": None, "judge_call": False})
        else:
            calls.append(it)
    rows: list[dict[str, Any]] = []

    def requests() -> Iterator[JudgeRequest]:
        for it in calls:
            row = _row(it, answers[it.item_id].output, answers[it.item_id].model, judge)
            req, switched = protocol.judge_request(it.turns[0], it.reference, row["output_2"], judge.model)
            row.update(is_switched_outputs=switched, cache_key=req.cache_key(judge.endpoint))
            rows.append(row)
            yield req

    def answered(position: int, resp: JudgeResponse) -> None:
        keep(_with_answer(rows[position], resp))

    if calls:  # a Batch API client takes them all: one batch per job
        client.complete_each(requests(), answered, judge_chunk(client, chunk), total=len(calls))


def _with_answer(row: dict[str, Any], resp: JudgeResponse) -> dict[str, Any]:
    tl = resp.top_logprobs
    pref = protocol.parse_preference(tl, row["is_switched_outputs"]) if resp.content is not None else math.nan
    row["preference"] = None if math.isnan(pref) else pref  # JSON has no NaN; None reads back as NaN
    row["raw_completion"] = None if resp.content is None else {
        "text": resp.content, "logprobs": {"content": [{"top_logprobs": pos} for pos in (tl or [])]}}
    row.update(error=resp.error, cached=resp.cached, prompt_tokens=resp.prompt_tokens,
               completion_tokens=resp.completion_tokens, price_per_example=resp.extra.get("cost_usd"),
               served_model=resp.extra.get("served_model"))
    return row


def _row(item: BenchmarkItem, output: str, model: str, judge: JudgeId) -> dict[str, Any]:
    return {
        "item_id": item.item_id, "instruction": item.turns[0], "dataset": item.metadata.get("dataset", ""),
        "output_1": item.reference, "output_2": output,
        "generator_1": item.metadata.get("generator_1", ae_data.REFERENCE_GENERATOR), "generator_2": model,
        "annotator": protocol.ANNOTATOR, "judge_model": judge.model, "judge_endpoint": judge.endpoint,
        "prompt_sha256": protocol.prompt_sha256(),
    }


def _select(rows: list[dict[str, Any]], current: set[str] | None, options: ScoreOptions, run_dir: Path
            ) -> JudgmentSelection:
    return select_judgments(rows, unit=lambda r: (r["instruction"],), failed=lambda r: r.get("error") is not None,
                            current=(lambda r: r.get("output_2") in current) if current is not None else None,
                            judge_model=options.judge_model, judge_endpoint=options.judge_endpoint,
                            source=str(run_dir / ANNOTATIONS))


def _in_reference_order(rows: list[dict[str, Any]], reference: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Rows in the official instruction order (alpaca-eval looks instruction difficulty up by position)."""
    if reference is None:
        return sorted(rows, key=lambda r: str(r.get("item_id", "")))
    return scoring.order_like_reference(rows, reference)


def _try_reference(data_dir: Path | None) -> list[dict[str, Any]] | None:
    try:
        return ae_data.load_reference(data_dir)[0]
    except HarnessError:
        return None
