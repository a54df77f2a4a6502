"""Results directories and report data for the report tests.

``write_official_alpaca_run`` lays real published AlpacaEval outputs and annotations (from
../shared/official_files) out as a run directory, the way ``run`` writes one; ``synthetic_report``
builds a report of any size straight from the contract, with answers full of markup.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from harness.report.data import (
    BenchmarkSection,
    Comparison,
    Item,
    Judge,
    ReportData,
    Table,
    TableColumn,
    TableRow,
    Verdict,
)
from harness.store.jsonl import append_jsonl, write_json_atomic
from harness.store.judgments import OPENAI_ENDPOINT

HOSTILE = '</script><script>window.__pwned=1</script><!-- <b onclick="x()">&amp;</b> \u2028 ${x} `y`'


def _read_gz(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def generation_record(model: str, item_id: str, output: str, turn: int = 0, index: int = 0) -> dict[str, Any]:
    """A generation record with the store's required fields (as ``generate`` writes it)."""
    key = hashlib.sha256(f"{model}|{item_id}|{turn}".encode()).hexdigest()
    return {"key": key, "item_id": item_id, "item_index": index, "turn": turn, "sample_index": 0, "model": model,
            "model_id": model, "benchmark": "", "prompt": "", "output": output, "num_prompt_tokens": 1,
            "num_output_tokens": 1, "finish_reason": "stop", "seconds": 0.0, "params": {}, "template_hash": "x"}


def write_official_alpaca_run(results: Path, official_dir: Path, model: str, item_ids: dict[str, str],
                              limit: int | None = None) -> Path:
    """``results/<model>/alpaca_eval`` from alpaca_eval's ``results/<model>/`` files: generations
    keyed by the benchmark item ids (``item_ids``: instruction -> id), annotations verbatim."""
    src = official_dir / model
    outputs = _read_gz(src / "model_outputs.json.gz")[:limit]
    annotations = _read_gz(src / "weighted_alpaca_eval_gpt4_turbo" / "annotations.json.gz")[:limit]
    run_dir = results / model / "alpaca_eval"
    run_dir.mkdir(parents=True)
    append_jsonl(run_dir / "generations.jsonl",
                 [generation_record(model, item_ids[o["instruction"]], o["output"], index=int(item_ids[o["instruction"]]))
                  for o in outputs])
    # as `import` records them: the official judge at OpenAI's endpoint, the full instruction set
    append_jsonl(run_dir / "annotations.jsonl", [{**a, "judge_model": "gpt-4-1106-preview",
                                                  "judge_endpoint": OPENAI_ENDPOINT} for a in annotations])
    write_json_atomic(run_dir / "generation_manifest.json", {"n_items": 805, "limit": None})
    return run_dir


def official_alpaca_results(results: Path, shared: Path, models: tuple[str, ...] = ("claude-2", "alpaca-7b"),
                            limit: int | None = None) -> Path:
    """``results/<model>/alpaca_eval`` of published runs (``write_official_alpaca_run``), each scored by
    ``AlpacaEval2.score`` with the shared AlpacaEval data (so scores.json is what `score` writes).
    Call with ``HF_HUB_OFFLINE=1``."""
    from harness.benchmarks.alpaca_eval.benchmark import AlpacaEval2
    from harness.benchmarks.base import ScoreOptions

    data = shared / "alpaca_eval_validation_data"
    ids = {it.turns[0]: it.item_id for it in AlpacaEval2().load_items(data)}
    for model in models:
        run_dir = write_official_alpaca_run(results, shared / "official_files" / "alpaca_eval" / "results", model, ids,
                                            limit)
        write_json_atomic(run_dir / "scores.json", AlpacaEval2().score(run_dir, ScoreOptions(data_dir=data)))
    return results


def _text(rng: random.Random, words: int) -> str:
    vocab = ("alpha", "beta", "gamma", "delta", "<div>", "</pre>", "&lt;", "'quote'", '"dq"', "naïve", "日本",
             "```python", "print(1)", "```", "\n", "\n\n- item")
    return " ".join(rng.choice(vocab) for _ in range(words))


def synthetic_report(n_items: int = 805, n_models: int = 5, seed: int = 0, words: int = 250) -> ReportData:
    """An AlpacaEval-shaped section of ``n_items`` x ``n_models`` (every ``HOSTILE`` string
    included), a small MT-Bench-shaped one, a table and comparisons."""
    rng = random.Random(seed)
    models = [f"model-{i}" for i in range(n_models)]
    cats = ("helpful_base", "koala", "oasst", "selfinstruct", "vicuna")
    items = []
    for i in range(n_items):
        answers, verdicts = {}, {}
        for m in models:
            answers[m] = [(HOSTILE + " " if i % 97 == 0 else "") + _text(rng, words)]
            p = rng.choice((1.0, 1.2, 1.5, 1.8, 2.0, None))
            outcome = "unparsed" if p is None else "win" if p > 1.5 else "loss" if p < 1.5 else "tie"
            verdicts[m] = [Verdict(outcome=outcome, label="no preference" if p is None else f"preference {p:.3f}",
                                   score=p, parse_failure=p is None)]
        items.append(Item(item_id=f"{i:03d}", turns=[f"Instruction {i}: " + _text(rng, 30)], category=cats[i % 5],
                          reference=[_text(rng, words)], answers=answers, verdicts=verdicts))
    mt_items = [Item(item_id=str(81 + i), turns=[f"first turn {i}", f"second turn {i}"], category="writing",
                     answers={m: [f"a1 {m}", f"a2 {m}"] for m in models[:2]},
                     verdicts={m: [Verdict(outcome=str(g), label=f"{g}/10", score=float(g), text=f"Rating: [[{g}]]",
                                           turn=t + 1) for t, g in enumerate((3 + i % 7, 9 - i % 5))]
                               for m in models[:2]})
                for i in range(10)]
    table = Table(columns=[TableColumn("name", "Model"), TableColumn("ae2_wr", "AE2 WR", 1),
                           TableColumn("ae2_wr_repro", "AE2 WR (repro)", 1), TableColumn("ae2_wr_delta", "Δ", 1, True)],
                  rows=[TableRow(values={"name": m + HOSTILE, "ae2_wr": 40.0 + k, "ae2_wr_repro": 41.5 + k,
                                         "ae2_wr_delta": 1.5}, incomplete={"ae2_wr_repro": "412 of 805"} if k == 1 else {})
                        for k, m in enumerate(models)])
    comps = [Comparison(benchmark="alpaca_eval", metric="ae2_wr", model_a=models[0], model_b=m, delta=1.25 * k,
                        ci_low=-1.0, ci_high=2.5 * k, p_value=0.5 / (k + 1) ** 3, p_holm=0.6 / (k + 1) ** 2,
                        n_paired=805, method="paired bootstrap", rounds=1000, seed=0)
             for k, m in enumerate(models[1:], 1)]
    return ReportData(
        title="synthetic " + HOSTILE, generated="2025-01-01T00:00:00+00:00", results_dir="/tmp/" + HOSTILE,
        models=models, benchmarks=["alpaca_eval", "mt_bench"], notes=["judged by " + HOSTILE],
        judges=[Judge("gpt-4-1106-preview", ["alpaca_eval"]), Judge("smollm2", ["mt_bench"], official=False)],
        table=table, comparisons=comps,
        sections=[BenchmarkSection("alpaca_eval", "pairwise", models, items, title="AlpacaEval 2",
                                   reference_label="gpt4_1106_preview (reference answer)", judge="gpt-4-1106-preview"),
                  BenchmarkSection("mt_bench", "rating", models[:2], mt_items, title="MT-Bench")])
