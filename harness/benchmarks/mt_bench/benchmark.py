"""MT-Bench: 80 two-turn questions, single-answer grading (1-10) by an LLM judge."""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from harness.benchmarks.base import (
    Benchmark,
    BenchmarkItem,
    JudgeOptions,
    PairedValues,
    ScoreOptions,
    completeness,
    judge_details,
)
from harness.benchmarks.mt_bench import data, protocol
from harness.benchmarks.mt_bench.spec import SPEC
from harness.errors import HarnessError
from harness.judges.base import JudgeResponse, judge_chunk
from harness.manifest import base_manifest, sha256_text
from harness.store import (
    JudgeId,
    JudgmentSelection,
    current_generations,
    read_generation_manifest,
    select_judgments,
    turn_answers,
)
from harness.store.jsonl import BufferedAppender, read_jsonl
from harness.store.judgments import failed_calls_error
from harness.store.layout import ANNOTATIONS

if TYPE_CHECKING:
    from harness.benchmarks.spec import BenchmarkSpec
    from harness.judges.base import JudgeClient

CHUNK = 64  # rows are appended (fsynced) per CHUNK answers; each call is already cached as it completes


def _sha(parts: list[str] | None) -> str | None:
    if parts is None:
        return None
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def read_turn_outputs(run_dir: Path) -> tuple[dict[tuple[str, int], str], str | None]:
    """(item_id, 0-based turn) -> output of sample 0, and the model name."""
    records = current_generations(run_dir)
    return turn_answers(records), next((r.model for r in records if r.model), None)


class MTBench(Benchmark):
    spec: ClassVar[BenchmarkSpec] = SPEC

    # ----------------------------------------------------------------- items
    def load_items(self, data_dir: Path | None = None, limit: int | None = None) -> list[BenchmarkItem]:
        data_dir = Path(data_dir) if data_dir else self.data_dir
        rows, source = data.load_questions(data_dir)
        items = []
        for q in rows:
            item = BenchmarkItem(item_id=str(q["question_id"]), turns=tuple(q["turns"]), category=q["category"],
                                 metadata={"source": source, "data_dir": str(data_dir) if data_dir else None})
            item.metadata["temperature"] = self.temperature_for(item)
            items.append(item)
        return items[:limit] if limit is not None else items

    @staticmethod
    def temperature_for(item: BenchmarkItem) -> float:
        """FastChat's per-category sampling temperature (0 means greedy)."""
        return protocol.CATEGORY_TEMPERATURE.get(item.category, protocol.DEFAULT_TEMPERATURE)

    def check_judge_options(self, options: JudgeOptions) -> None:
        if options.reference_model:
            data.load_references(options.data_dir or self.data_dir, options.reference_model)

    # ----------------------------------------------------------------- judge
    def judge(self, run_dir: Path, client: JudgeClient, items: list[BenchmarkItem], options: JudgeOptions) -> None:
        """Grade every generated turn; resumable per (question, turn) and judge.

        ``reference_model`` defaults to the judge's name (as FastChat); ``max_tokens`` to 2048.
        """
        run_dir = Path(run_dir)
        judge = JudgeId(options.judge_model or SPEC.judge.default_model, client.endpoint)
        judge_model = judge.model
        ref_model = options.reference_model or judge_model
        max_tokens = int(options.max_tokens or protocol.MAX_TOKENS)
        outputs, model = read_turn_outputs(run_dir)
        if not outputs:
            raise HarnessError(f"no MT-Bench generations in {run_dir}; run 'simpo-harness generate' first")
        model = model or run_dir.parent.name
        refs: dict[str, list[str]] | None = None
        ref_source = None
        if any(protocol.needs_reference(it.category) for it in items):
            data_dir = options.data_dir or self.data_dir or next(
                (it.metadata.get("data_dir") for it in items if it.metadata.get("data_dir")), None)
            refs, ref_source = data.load_references(Path(data_dir) if data_dir else None, ref_model)
        ann_path = run_dir / ANNOTATIONS
        done = {_unit_key(r) for r in read_jsonl(ann_path) if r.get("error") is None}
        pending: list[tuple[dict[str, Any], list[dict[str, str]]]] = []
        for it in items:
            for turn in range(min(2, len(it.turns))):
                answers = [outputs.get((it.item_id, t)) for t in range(turn + 1)]
                if any(a is None for a in answers):
                    continue
                prompt = protocol.prompt_for(it.category, turn)
                ref = None
                if protocol.needs_reference(it.category):
                    assert refs is not None
                    if it.item_id not in refs:
                        raise HarnessError(f"{ref_source}: no reference answer for question {it.item_id}")
                    ref = refs[it.item_id][: turn + 1]
                text = protocol.user_prompt(prompt, it.turns, answers, ref, turn)
                row = {"item_id": it.item_id, "turn": turn + 1, "model": model, "category": it.category,
                       "judge_model": judge_model, "judge_endpoint": judge.endpoint, "judge_prompt": prompt.name,
                       "reference_model": ref_model if ref is not None else None,
                       "answers_sha256": _sha(answers), "reference_sha256": _sha(ref)}
                if _unit_key(row) not in done:
                    pending.append((row, protocol.judge_messages(prompt, text)))
        def answered(position: int, resp: JudgeResponse) -> None:
            row, msgs = pending[position]
            ok = resp.content is not None
            out.add({**row, "user_prompt": msgs[-1]["content"], "judgment": resp.content,
                     "score": protocol.parse_rating(resp.content) if ok else None,
                     "error": None if ok else (resp.error or "judge call failed"), "cached": resp.cached,
                     "prompt_tokens": resp.prompt_tokens, "completion_tokens": resp.completion_tokens,
                     "cost_usd": resp.extra.get("cost_usd"), "served_model": resp.extra.get("served_model")})

        if pending:  # a Batch API client takes them all: one batch per job
            with BufferedAppender(ann_path, CHUNK) as out:
                client.complete_each((protocol.judge_request(m, judge_model, max_tokens) for _, m in pending),
                                     answered, judge_chunk(client, CHUNK), total=len(pending))

    # ----------------------------------------------------------------- score
    def score(self, run_dir: Path, options: ScoreOptions) -> dict[str, Any]:
        run_dir = Path(run_dir)
        outputs, sel = self.judgments(run_dir, options)
        judgments = sel.judgments
        if not judgments:
            if sel.n_failed:
                raise failed_calls_error(sel.n_failed, sel.errors, str(run_dir / ANNOTATIONS))
            stale = f" ({sel.n_stale} graded turns of answers no longer generated)" if sel.n_stale else ""
            raise HarnessError(f"no MT-Bench judgments of the current generations in {run_dir}{stale}; "
                               "run 'simpo-harness judge' first")
        payload = score_judgments(judgments, source=run_dir / ANNOTATIONS)
        n_selected = int(read_generation_manifest(run_dir).get("n_items") or len({q for q, _ in outputs}))
        generated = len({q for q, _ in outputs})
        payload.update(completeness(n_expected=2 * n_selected, n_scored=len(judgments), what="turns",
                                    n_failed=sel.n_failed, n_stale=sel.n_stale,
                                    n_ungenerated=2 * max(n_selected - generated, 0)))
        payload["details"].update(n_stale_judgments=sel.n_stale, **judge_details(sel.judge))
        graded = {(str(j["item_id"]), int(j["turn"])) for j in judgments}
        if len(graded) < len(judgments):
            payload["details"]["repeated_judgments"] = {
                "n_judgments": len(judgments), "n_turns_graded": len(graded),
                "combined": "every judgment counts once in the means: a (question, turn) graded several times "
                            "(FastChat appends repeated runs to its judgment file) is averaged in, as FastChat's "
                            "show_result averages every row of the file"}
        payload["manifest"] = base_manifest(
            benchmark=self.name, judges=sorted({JudgeId.of(j).label() for j in judgments}),
            judge_prompts={p.name: sha256_text(p.system_prompt + "\x1f" + p.prompt_template)
                           for p in protocol.PROMPTS.values()},
            reference_models=sorted({str(j["reference_model"]) for j in judgments if j.get("reference_model")}),
            rating_patterns=[protocol.ONE_SCORE_PATTERN.pattern, protocol.ONE_SCORE_PATTERN_BACKUP.pattern],
        )
        return payload


    def judgments(self, run_dir: Path, options: ScoreOptions) -> tuple[dict[tuple[str, int], str], JudgmentSelection]:
        """The current answers (sample 0) and the judgments a score uses (one judge, current answers).

        A judgment unit is (question, turn, sample, repeat): rows this harness writes grade sample 0
        once (the latest row wins); an imported FastChat file may grade other samples, or one
        turn several times (``repeat``), and every such row counts, as in FastChat's show_result."""
        records = current_generations(Path(run_dir))
        outputs = turn_answers(records)
        by_sample = {(r.item_id, r.turn, r.sample_index): r.output for r in records}
        sel = select_judgments(read_jsonl(Path(run_dir) / ANNOTATIONS),
                               unit=lambda r: (str(r["item_id"]), int(r["turn"]), int(r.get("sample_index") or 0),
                                               int(r.get("repeat") or 0)),
                               failed=lambda r: r.get("error") is not None,
                               current=lambda r: _graded_current_answers(r, by_sample),
                               judge_model=options.judge_model, judge_endpoint=options.judge_endpoint,
                               source=str(Path(run_dir) / ANNOTATIONS))
        return outputs, sel

    def paired_values(self, run_dir: Path, options: ScoreOptions) -> list[PairedValues]:
        """Per (question, turn), the grades of the judgments the score used (:mod:`.paired`)."""
        from harness.benchmarks.mt_bench.paired import run_paired_values

        return run_paired_values(self, Path(run_dir), options)


def _unit_key(r: dict[str, Any]) -> tuple:
    return (str(r["item_id"]), int(r["turn"]), JudgeId.of(r), r.get("judge_prompt"),
            r.get("answers_sha256"), r.get("reference_sha256"))


def _graded_current_answers(r: dict[str, Any], outputs: dict[tuple[str, int, int], str]) -> bool:
    """A judgment of turn t counts only if it graded the current answers of turns 1..t (of its sample)."""
    sample = int(r.get("sample_index") or 0)
    answers = [outputs.get((str(r["item_id"]), t, sample)) for t in range(int(r["turn"]))]
    if any(a is None for a in answers):
        return False
    return r.get("answers_sha256") in (None, _sha(answers))  # type: ignore[arg-type]


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def score_judgments(judgments: list[dict[str, Any]], source: Path | str = "judgments") -> dict[str, Any]:
    """FastChat ``display_result_single``: drop score -1, mean per turn, overall mean of all rows.

    A rating is what FastChat's parser returns: a number, or -1 when none was found; ``null`` (a
    row without a rating) counts as unparsed too. Anything else is a damaged file, an error."""
    models = sorted({str(j.get("model")) for j in judgments})
    if len(models) != 1:
        raise HarnessError(f"MT-Bench judgments mix models {models}")
    for j in judgments:
        score = j.get("score")
        if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))
                                  or not math.isfinite(score)):
            raise HarnessError(f"{source}: question {j.get('item_id')} turn {j.get('turn')}: score must be a "
                               f"number (-1 when unparsed), got {score!r}"[:200])
    valid = [j for j in judgments if j.get("score") is not None and j["score"] != -1]
    if not valid:
        raise HarnessError("no MT-Bench judgment has a readable rating; nothing to score")
    by_turn = {t: [float(j["score"]) for j in valid if int(j["turn"]) == t] for t in (1, 2)}
    by_cat: dict[str, list[float]] = defaultdict(list)
    for j in valid:
        by_cat[str(j.get("category", ""))].append(float(j["score"]))
    overall = _mean([float(j["score"]) for j in valid])
    return {
        "benchmark": "mt_bench", "model": models[0],
        "metrics": {"mt_bench": overall},
        "ci": {},
        "details": {
            "turn_1": _mean(by_turn[1]), "turn_2": _mean(by_turn[2]),
            "n_turn_1": len(by_turn[1]), "n_turn_2": len(by_turn[2]),
            "n_unparsed": sum(1 for j in judgments if j.get("score") in (None, -1)),
            "categories": {c: _mean(v) for c, v in sorted(by_cat.items())},
        },
        "n": len({j["item_id"] for j in judgments}),
    }
