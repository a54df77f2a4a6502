"""MT-Bench: 80 two-turn questions, single-answer grading (1-10) by an LLM judge."""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from harness.benchmarks.base import Benchmark, BenchmarkItem
from harness.benchmarks.mt_bench import data, protocol
from harness.errors import HarnessError
from harness.jsonl import append_jsonl, read_jsonl
from harness.manifest import base_manifest, sha256_text

if TYPE_CHECKING:
    from harness.judges.base import JudgeClient

CHUNK = 64


def _sha(parts: list[str] | None) -> str | None:
    if parts is None:
        return None
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def read_turn_outputs(run_dir: Path) -> tuple[dict[tuple[str, int], str], str | None]:
    """(item_id, 0-based turn) -> output of sample 0, and the model name."""
    try:
        from harness.store import records_for_run
    except ImportError:  # pragma: no cover
        records = list(read_jsonl(run_dir / "generations.jsonl"))
    else:
        records = records_for_run(run_dir)
    out, model = {}, None
    for r in records:
        if int(r.get("sample_index", 0)) == 0:
            out[(str(r["item_id"]), int(r.get("turn", 0)))] = r["output"]
            model = model or r.get("model")
    return out, model


class MTBench(Benchmark):
    name: ClassVar[str] = "mt_bench"
    needs_judge: ClassVar[bool] = True

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = Path(data_dir) if data_dir else None

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

    # ----------------------------------------------------------------- judge
    def judge(self, run_dir: Path, client: JudgeClient, items: list[BenchmarkItem], **options: Any) -> None:
        """Grade every generated turn; resumable per (question, turn).

        Options: ``judge_model`` (default gpt-4), ``reference_model`` (default: the judge's
        name, as FastChat), ``reference_file``, ``data_dir``, ``max_tokens`` (2048).
        """
        run_dir = Path(run_dir)
        judge_model = options.get("judge_model") or protocol.JUDGE_MODEL
        ref_model = options.get("reference_model") or judge_model
        max_tokens = int(options.get("max_tokens") or protocol.MAX_TOKENS)
        outputs, model = read_turn_outputs(run_dir)
        if not outputs:
            raise HarnessError(f"no MT-Bench generations in {run_dir}; run 'simpo-harness generate' first")
        model = model or run_dir.parent.name
        refs: dict[str, list[str]] | None = None
        ref_source = None
        if any(protocol.needs_reference(it.category) for it in items):
            data_dir = options.get("data_dir") or self.data_dir or next(
                (it.metadata.get("data_dir") for it in items if it.metadata.get("data_dir")), None)
            refs, ref_source = data.load_references(Path(data_dir) if data_dir else None, ref_model,
                                                    options.get("reference_file"))
        ann_path = run_dir / "annotations.jsonl"
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
                       "judge_model": judge_model, "judge_prompt": prompt.name,
                       "reference_model": ref_model if ref is not None else None,
                       "answers_sha256": _sha(answers), "reference_sha256": _sha(ref)}
                if _unit_key(row) not in done:
                    pending.append((row, protocol.judge_messages(prompt, text)))
        for start in range(0, len(pending), CHUNK):
            chunk = pending[start : start + CHUNK]
            responses = client.complete_many([protocol.judge_request(m, judge_model, max_tokens) for _, m in chunk])
            rows = []
            for (row, msgs), resp in zip(chunk, responses, strict=True):
                ok = resp.content is not None
                rows.append({**row, "user_prompt": msgs[-1]["content"], "judgment": resp.content,
                             "score": protocol.parse_rating(resp.content) if ok else None,
                             "error": None if ok else (resp.error or "judge call failed"), "cached": resp.cached,
                             "prompt_tokens": resp.prompt_tokens, "completion_tokens": resp.completion_tokens,
                             "cost_usd": resp.extra.get("cost_usd")})
            append_jsonl(ann_path, rows)

    # ----------------------------------------------------------------- score
    def score(self, run_dir: Path) -> dict[str, Any]:
        run_dir = Path(run_dir)
        outputs, _ = read_turn_outputs(run_dir)
        judgments, n_stale = latest_judgments(run_dir / "annotations.jsonl", outputs)
        if not judgments:
            stale = f" ({n_stale} graded turns of answers no longer generated)" if n_stale else ""
            raise HarnessError(f"no MT-Bench judgments of the current generations in {run_dir}{stale}; "
                               "run 'simpo-harness judge' first")
        payload = score_judgments(judgments, source=run_dir / "annotations.jsonl")
        payload["details"]["n_stale_judgments"] = n_stale
        payload["manifest"] = base_manifest(
            benchmark=self.name, judge_models=sorted({str(j.get("judge_model")) for j in judgments}),
            judge_prompts={p.name: sha256_text(p.system_prompt + "\x1f" + p.prompt_template)
                           for p in protocol.PROMPTS.values()},
            reference_models=sorted({str(j["reference_model"]) for j in judgments if j.get("reference_model")}),
            rating_patterns=[protocol.ONE_SCORE_PATTERN.pattern, protocol.ONE_SCORE_PATTERN_BACKUP.pattern],
        )
        return payload


def _unit_key(r: dict[str, Any]) -> tuple:
    return (str(r["item_id"]), int(r["turn"]), r.get("judge_model"), r.get("judge_prompt"),
            r.get("answers_sha256"), r.get("reference_sha256"))


def latest_judgments(path: Path, outputs: dict[tuple[str, int], str] | None = None
                     ) -> tuple[list[dict[str, Any]], int]:
    """Completed judgments (no ``error``), the last one per (question, turn) winning, and how many
    (question, turn) pairs were judged only on answers that are not the current generations.

    With ``outputs`` ((item id, 0-based turn) -> answer), a judgment of turn t counts only if it
    graded the current answers of turns 1..t: after a re-generation, old grades are never scored."""
    latest: dict[tuple[str, int], dict[str, Any]] = {}
    stale: set[tuple[str, int]] = set()
    for r in read_jsonl(path):
        if r.get("error") is not None:
            continue
        key = (str(r["item_id"]), int(r["turn"]))
        if outputs is not None:
            answers = [outputs.get((key[0], t)) for t in range(key[1])]
            current = None if any(a is None for a in answers) else _sha(answers)  # type: ignore[arg-type]
            if current is None or r.get("answers_sha256") not in (None, current):
                stale.add(key)
                continue
        latest[key] = r
    return list(latest.values()), len(stale - set(latest))


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
