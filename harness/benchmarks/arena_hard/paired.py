"""Arena-Hard's per-question values for ``compare`` (``ArenaHard.paired_values``): the battle rows of
each question against the baseline, for the paired Bradley-Terry bootstrap over questions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.benchmarks.arena_hard import protocol
from harness.benchmarks.base import PairedValues, ScoreOptions
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.benchmarks.arena_hard.benchmark import ArenaHard


def question_battles(games: Iterable[Mapping[str, Any]], baseline: str | None = None,
                     source: str = "judgments") -> dict[str, list[dict[str, Any]]]:
    """Judged Arena-Hard games (``item_id``, ``game``, ``score`` label, ``model``) -> {question: battle rows}.

    Battle rows are ``protocol.battles_from_games``'s (baseline as model_a, strong verdicts three
    times). A question whose games all lack a valid verdict keeps an empty list: it was judged, it
    just contributes no battle (as in the official score). Pass the games that count (for a run,
    the judgments its score used)."""
    base = baseline or protocol.BASELINE_MODEL
    games = list(games)
    models = {g.get("model") for g in games}
    if len(models) > 1:
        raise HarnessError(f"{source}: games of several models {sorted(map(str, models))}; compare one model per side")
    out: dict[str, list[dict[str, Any]]] = {}
    for i, g in enumerate(games):
        if "item_id" not in g or g.get("game") not in (0, 1, "0", "1"):
            raise HarnessError(f"{source}: game {i} needs item_id and game 0 or 1, got {dict(g)!r}"[:200])
        qid = str(g["item_id"])
        out.setdefault(qid, []).extend(
            protocol.battles_from_games([{**g, "item_id": qid, "game": int(g["game"])}], base))
    return out


def run_paired_values(bench: ArenaHard, run_dir: Path, options: ScoreOptions) -> list[PairedValues]:
    """The battles of the judgments the run's score used, per question."""
    _, sel = bench.judgments(run_dir, options)
    games = sel.judgments
    if not games:
        raise HarnessError(f"no Arena-Hard judgments of the current generations in {run_dir}; nothing to compare")
    baselines = sorted({str(g.get("baseline_model") or bench.baseline) for g in games})
    if len(baselines) != 1:
        raise HarnessError(f"{run_dir}: judgments against several baselines {baselines}")
    values = question_battles(games, baselines[0], str(Path(run_dir) / "annotations.jsonl"))
    return [PairedValues(metric="ah", kind=bench.spec.paired_test or "bradley_terry", values=values)]
