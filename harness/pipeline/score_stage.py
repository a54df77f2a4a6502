"""The score stage: score a run directory from its files and write ``scores.json`` with its manifest.

The manifest joins what the benchmark records (protocol, prompts, judges) with the generation
manifest (model, template, decoding, backend) and the last judge invocation (judge, endpoint,
usage), so a score written by ``score`` alone is as traceable as one written by ``run``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.benchmarks.base import Benchmark, ScoreOptions
from harness.errors import IncompleteError
from harness.store.judgments import AllJudgmentsFailed
from harness.timing import timed

GENERATION_FIELDS = ("model", "model_id", "revision", "backend", "backend_options", "template", "template_hash",
                     "authors_exact", "params", "alpaca_eval_062_beam_quirk", "limit", "n_items", "run_config",
                     "source_files", "imported_from")


class IncompleteScore(IncompleteError):
    """A score was written but is incomplete; the command exits 1 unless --allow-incomplete."""


def _last_judge_run(run_path: Path) -> dict[str, Any] | None:
    from harness.store.jsonl import read_jsonl
    from harness.store.layout import JUDGE_RUNS

    last = None
    for row in read_jsonl(run_path / JUDGE_RUNS):
        last = row
    return last


@timed("score")
def score_run_dir(benchmark: Benchmark, run_path: Path, options: ScoreOptions, *, command: str = "score",
                  out: Path | None = None, extra_manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """Score ``run_path`` (the caller holds its lock) and write the payload to ``out`` (default: its
    scores.json). The payload's ``status`` says whether it is complete."""
    from harness.manifest import base_manifest
    from harness.store import read_generation_manifest
    from harness.store.jsonl import write_json_atomic
    from harness.store.layout import SCORES

    try:
        payload = benchmark.score(run_path, options)
    except AllJudgmentsFailed as exc:  # nothing to score: say so in scores.json too, never a stale number
        payload = {"benchmark": benchmark.name, "model": run_path.parent.name, "metrics": {}, "ci": {},
                   "details": {"n_failed": exc.n_failed, "errors": exc.errors}, "n": 0, "status": "incomplete",
                   "incomplete": {"n_scored": 0, "n_failed": exc.n_failed, "reason": str(exc)}}
    payload.setdefault("status", "complete")
    payload.setdefault("incomplete", None)
    generation = read_generation_manifest(run_path)
    payload["manifest"] = {
        **payload.get("manifest", {}),
        **base_manifest(command=command, benchmark=benchmark.name,
                        generation={k: generation[k] for k in GENERATION_FIELDS if k in generation},
                        judge=_last_judge_run(run_path) if benchmark.needs_judge else None,
                        score_options={"judge_model": options.judge_model, "judge_endpoint": options.judge_endpoint,
                                       "data_dir": str(options.data_dir) if options.data_dir else None},
                        **(extra_manifest or {})),
    }
    write_json_atomic(out or run_path / SCORES, payload)
    return payload


def incomplete_error(payloads: list[dict[str, Any]]) -> IncompleteScore | None:
    """One error naming every incomplete score, or None."""
    bad = [p for p in payloads if p.get("status") == "incomplete"]
    if not bad:
        return None
    parts = [f"{p.get('model')} {p.get('benchmark')}: {(p.get('incomplete') or {}).get('reason', 'incomplete')}"
             for p in bad]
    imported = all(((p.get("manifest") or {}).get("generation") or {}).get("imported_from") for p in bad)
    hint = ("imported files: `judge` or `generate` what they lack, or pass --allow-incomplete to keep the number "
            "of what the files hold" if imported else "rerun to finish, or pass --allow-incomplete")
    return IncompleteScore("incomplete score" + ("s" if len(bad) > 1 else "") + ": " + "; ".join(parts)
                           + f" (scores written and flagged; {hint})")
