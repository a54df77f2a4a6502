"""AlpacaEval 2 (weighted_alpaca_eval_gpt4_turbo judge, gpt4_1106_preview reference)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from harness.benchmarks.alpaca_eval import data as ae_data
from harness.benchmarks.alpaca_eval import protocol, scoring
from harness.benchmarks.base import Benchmark, BenchmarkItem
from harness.errors import HarnessError
from harness.jsonl import append_jsonl, read_jsonl
from harness.manifest import base_manifest, package_versions

if TYPE_CHECKING:
    from harness.judges.base import JudgeClient

CHUNK = 256  # rows are appended (fsynced) per CHUNK calls; each call is already cached as it completes


class AlpacaEval2(Benchmark):
    name: ClassVar[str] = "alpaca_eval"
    needs_judge: ClassVar[bool] = True

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = Path(data_dir) if data_dir else None

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
    def judge(self, run_dir: Path, client: JudgeClient, items: list[BenchmarkItem], **options: Any) -> None:
        """Judge stored generations against the reference; appends one row per instruction.

        Rows with a real preference are never judged again; NaN (failed) rows are retried.
        """
        run_dir = Path(run_dir)
        judge_model = options.get("judge_model") or protocol.DEFAULT_JUDGE_MODEL
        gens_path, ann_path = run_dir / "generations.jsonl", run_dir / "annotations.jsonl"
        by_id = {it.item_id: it for it in items}
        outputs = {i: o for i, o in _model_outputs(run_dir).items() if i in by_id}
        if not outputs:
            raise HarnessError(f"no AlpacaEval generations in {gens_path}; run 'simpo-harness generate' first")
        done = {(r["instruction"], r["output_2"]) for r in _latest_rows(ann_path)
                if not math.isnan(scoring._as_float(r.get("preference")))}
        pending = [by_id[i] for i in sorted(outputs) if (by_id[i].turns[0], outputs[i][0]) not in done]
        prompt_hash = protocol.prompt_sha256()
        for start in range(0, len(pending), CHUNK):
            chunk = pending[start : start + CHUNK]
            rows, calls = [], []
            for it in chunk:
                output, model = outputs[it.item_id]
                row = _row(it, output, model, judge_model, prompt_hash)
                if it.reference == output:
                    row.update(preference=1.5, raw_completion=None, is_switched_outputs=None, cache_key=None)
                    rows.append(row)
                else:
                    req, switched = protocol.judge_request(it.turns[0], it.reference, output, judge_model)
                    row.update(is_switched_outputs=switched, cache_key=req.cache_key())
                    calls.append((row, req))
            responses = client.complete_many([req for _, req in calls]) if calls else []
            for (row, _), resp in zip(calls, responses, strict=True):
                tl = resp.top_logprobs
                row["preference"] = protocol.parse_preference(tl, row["is_switched_outputs"]) if resp.content is not None else math.nan
                row["raw_completion"] = None if resp.content is None else {
                    "text": resp.content, "logprobs": {"content": [{"top_logprobs": pos} for pos in (tl or [])]}}
                row.update(error=resp.error, cached=resp.cached, prompt_tokens=resp.prompt_tokens,
                           completion_tokens=resp.completion_tokens, price_per_example=resp.extra.get("cost_usd"))
                if math.isnan(row["preference"]):
                    row["preference"] = None  # JSON has no NaN; None reads back as NaN
                rows.append(row)
            append_jsonl(ann_path, rows)

    # ----------------------------------------------------------------- score
    def score(self, run_dir: Path, data_dir: Path | None = None) -> dict[str, Any]:
        run_dir = Path(run_dir)
        data_dir = Path(data_dir) if data_dir else self.data_dir
        annotations = _latest_rows(run_dir / "annotations.jsonl") or None
        reference = _try_reference(data_dir)
        outputs = None
        gens = _model_outputs(run_dir)
        if gens and reference is not None:
            instr = {f"{i:03d}": r["instruction"] for i, r in enumerate(reference)}
            outputs = [{"instruction": instr[k], "output": o} for k, (o, _) in sorted(gens.items()) if k in instr] or None
        if annotations is None and outputs is None:
            raise HarnessError(f"nothing to score in {run_dir}: no annotations.jsonl (run 'simpo-harness judge') "
                               "and no generations readable against the reference")
        generator = (annotations or [{}])[0].get("generator_2") or (
            next(iter(gens.values()))[1] if gens else run_dir.parent.name)
        return self.score_records(generator, outputs, annotations, reference, data_dir,
                                  outputs_source=str(run_dir / "generations.jsonl"),
                                  annotations_source=str(run_dir / "annotations.jsonl"))

    def score_records(self, generator: str, outputs, annotations, reference, data_dir: Path | None,
                      outputs_source: str = "outputs", annotations_source: str = "annotations") -> dict[str, Any]:
        """Score rows; ``*_source`` (e.g. the file they came from) name them in errors."""
        payload = scoring.score_alpaca_eval(
            generator=generator, outputs=outputs, annotations=annotations, reference=reference, data_dir=data_dir,
            outputs_source=outputs_source, annotations_source=annotations_source,
        )
        judge_models = sorted({str(a.get("judge_model") or a.get("annotator")) for a in annotations or []})
        payload["manifest"] = base_manifest(
            benchmark=self.name,
            protocol=protocol.ANNOTATOR,
            judge_models=judge_models,
            judge_kwargs=protocol.JUDGE_KWARGS,
            prompt=protocol.PROMPT_RESOURCE,
            prompt_sha256=protocol.prompt_sha256(),
            alpaca_eval_version=package_versions(("alpaca-eval",)).get("alpaca-eval"),
            switch_rule=f"random.Random('{protocol.SWITCH_COLUMN}' + instruction + '{protocol.ANNOTATOR_SEED}')",
            reference_generator=ae_data.REFERENCE_GENERATOR,
            lc_status=payload["details"]["lc_status"],
        )
        return payload


def _row(item: BenchmarkItem, output: str, model: str, judge_model: str, prompt_hash: str) -> dict[str, Any]:
    return {
        "item_id": item.item_id, "instruction": item.turns[0], "dataset": item.metadata.get("dataset", ""),
        "output_1": item.reference, "output_2": output,
        "generator_1": item.metadata.get("generator_1", ae_data.REFERENCE_GENERATOR), "generator_2": model,
        "annotator": protocol.ANNOTATOR, "judge_model": judge_model, "prompt_sha256": prompt_hash,
    }


def _model_outputs(run_dir: Path) -> dict[str, tuple[str, str]]:
    """item_id -> (output, model) for turn 0 / sample 0 of the latest generate run config."""
    manifest = run_dir / "generation_manifest.json"
    run_config = None
    if manifest.is_file():
        try:
            run_config = json.loads(manifest.read_text(encoding="utf-8")).get("run_config")
        except (OSError, json.JSONDecodeError):
            run_config = None
    out: dict[str, tuple[str, str]] = {}
    for rec in read_jsonl(run_dir / "generations.jsonl"):
        if rec.get("turn", 0) != 0 or rec.get("sample_index", 0) != 0:
            continue
        if run_config is not None and rec.get("run_config", run_config) != run_config:
            continue
        out[str(rec["item_id"])] = (rec["output"], rec.get("model") or run_dir.parent.name)
    return out


def _latest_rows(path: Path) -> list[dict[str, Any]]:
    """Annotation rows, the last one per instruction winning (a retried failure replaces the NaN)."""
    latest: dict[str, dict[str, Any]] = {}
    for rec in read_jsonl(path):
        latest[rec["instruction"]] = rec
    return list(latest.values())


def _try_reference(data_dir: Path | None) -> list[dict[str, Any]] | None:
    try:
        return ae_data.load_reference(data_dir)[0]
    except HarnessError:
        return None
