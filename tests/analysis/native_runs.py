"""Tiny native results directories (AlpacaEval and Arena-Hard) in the harness's own file layout.

Real instructions / questions and reference / baseline answers from ../shared; the model's answers
are cut or padded versions of them, and the "judge" prefers longer answers, so the analysis has a
length effect to find.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from harness.benchmarks.alpaca_eval.data import load_reference
from harness.benchmarks.arena_hard.data import load_baseline

SCALES = (0.3, 0.6, 0.9, 1.2, 1.6)


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _resize(text: str, scale: float) -> str:
    n = max(1, int(len(text) * scale))
    return (text * 2)[:n] if scale > 1 else text[:n]


def alpaca_rows(reference: list[dict[str, Any]], model: str, n: int = 60,
                scales: tuple[float, ...] = SCALES) -> list[dict[str, Any]]:
    """Annotation rows: the model's answer is the reference resized; longer answers win more."""
    rows = []
    for i, ref in enumerate(reference[:n]):
        scale = scales[i % len(scales)]
        out = _resize(ref["output"], scale)
        pref = None if i == 7 else min(2.0, max(1.0, 1.0 + (scale - 0.3) / 1.4))
        rows.append({"item_id": f"{i:03d}", "instruction": ref["instruction"], "output_1": ref["output"], "output_2": out,
                     "generator_1": "gpt4_1106_preview", "generator_2": model, "annotator": "weighted_alpaca_eval_gpt4_turbo",
                     "preference": pref})
    return rows


def write_alpaca_run(results: Path, model: str, data_dir: Path, *, reproduced: bool, lc: float | None,
                     n: int = 60, scales: tuple[float, ...] = SCALES) -> Path:
    """``<results>/<model>/alpaca_eval`` with annotations.jsonl, scores.json (+ generations if reproduced)."""
    reference, _ = load_reference(data_dir)
    rows = alpaca_rows(reference, model, n, scales)
    run = results / model / "alpaca_eval"
    _write_jsonl(run / "annotations.jsonl", rows)
    if reproduced:
        _write_jsonl(run / "generations.jsonl", [{"key": f"k{r['item_id']}", "item_id": r["item_id"], "turn": 0,
                                                  "sample_index": 0, "model": model, "output": r["output_2"]} for r in rows])
    judged = [r["preference"] - 1 for r in rows if r["preference"] is not None]
    metrics = {"ae2_wr": 100 * sum(judged) / len(judged), "ae2_length": sum(len(r["output_2"]) for r in rows) / len(rows)}
    if lc is not None:
        metrics["ae2_lc"] = lc
    (run / "scores.json").write_text(json.dumps({"benchmark": "alpaca_eval", "model": model, "metrics": metrics,
                                                 "details": {"lc_status": "fitted"}, "n": len(rows)}), encoding="utf-8")
    return run


def verdict(scale: float, game: int) -> str:
    """Longer answers win; game 0 has the baseline in slot A, game 1 the model."""
    model_view = "B>>A" if scale >= 1.6 else "B>A" if scale >= 1.2 else "A=B" if scale >= 0.9 else "A>B"
    if game == 0 or model_view == "A=B":
        return model_view
    return model_view.replace("A", "x").replace("B", "A").replace("x", "B")


def write_arena_run(results: Path, model: str, arena_dir: Path, n: int = 30) -> Path:
    """``<results>/<model>/arena_hard`` with generations.jsonl and annotations.jsonl (2 games each)."""
    answers, _ = load_baseline(arena_dir, "gpt-4-0314")
    run = results / model / "arena_hard"
    gens, anns = [], []
    for i, (qid, base) in enumerate(sorted(answers.items())[:n]):
        scale = SCALES[i % len(SCALES)]
        out = _resize(base, scale)
        gens.append({"key": f"k{qid}", "item_id": qid, "item_index": i, "turn": 0, "sample_index": 0, "model": model,
                     "output": out, "num_output_tokens": len(out) // 4})
        sha = hashlib.sha256(out.encode("utf-8")).hexdigest()[:16]
        for game in (0, 1):
            anns.append({"item_id": qid, "game": game, "score": verdict(scale, game), "model": model,
                         "judge_model": "gpt-4-1106-preview", "baseline_model": "gpt-4-0314", "answer_sha256": sha,
                         "error": None})
    anns[3] = {**anns[3], "score": None}  # a game without a verdict
    _write_jsonl(run / "generations.jsonl", gens)
    _write_jsonl(run / "annotations.jsonl", anns)
    return run


def build_results(results: Path, shared: Path) -> dict[str, Path]:
    """A reproduced SimPO run and an imported run of its starting point (AlpacaEval), and a native
    Arena-Hard run of the SimPO model."""
    data_dir = shared / "alpaca_eval_validation_data"
    return {
        "simpo": write_alpaca_run(results, "Llama-3-Instruct-8B-SimPO", data_dir, reproduced=True, lc=41.0),
        "instruct": write_alpaca_run(results, "Meta-Llama-3-8B-Instruct", data_dir, reproduced=False, lc=24.0,
                                     scales=(0.3, 0.5, 0.7, 0.9, 1.1)),
        "arena": write_arena_run(results, "Llama-3-Instruct-8B-SimPO", shared / "data" / "arena_hard_v0.1"),
    }
