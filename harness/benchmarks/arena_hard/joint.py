"""Arena-Hard leaderboard mode (``score --benchmark arena_hard --joint``): every model of a
results directory bootstrapped together, as show_result.py v0.1 does for a judgment folder.

show_result.py concatenates the battles of every judgment file (``glob`` order, then file order),
fits one Bradley-Terry model and draws each bootstrap round as one seeded resample of *all*
battles, so a model's CI depends on which other models are in the folder (its point score does
not: every battle is against the baseline). Here the models are concatenated in the order of
their official source files (``source_file``, then ``source_index``; native runs after, by
name) since glob order is the file system's; each model's battles keep the order its own score
uses. One judge for all models: judgments of different judges are never pooled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.benchmarks.arena_hard import protocol
from harness.benchmarks.arena_hard.spec import SPEC
from harness.benchmarks.base import ScoreOptions
from harness.errors import HarnessError
from harness.store.layout import ANNOTATIONS

JOINT_CI = ("2.5/97.5 percentiles of bootstrap Elo as win rate vs the baseline (show_result.py v0.1), every "
            "bootstrap round one seeded resample of the battles of all {n} models scored together ({models}); "
            "a published leaderboard CI came from the leaderboard's own set of models, so it differs unless "
            "the same models are here")


def joint_runs(results_dir: Path) -> list[Path]:
    """The Arena-Hard run directories of a results directory that hold judgments."""
    root = Path(results_dir)
    if not root.is_dir():
        raise HarnessError(f"results directory not found: {root}")
    return sorted(p.parent for p in root.glob(f"*/{SPEC.name}/{ANNOTATIONS}"))


def _model_order(games: list[dict[str, Any]], model: str) -> tuple:
    sourced = [(str(g.get("source_file")), int(g["source_index"])) for g in games if g.get("source_index") is not None]
    return (0, *min(sourced), model) if sourced else (1, "", 0, model)


def score_joint(bench: Any, run_dirs: list[Path], options: ScoreOptions) -> dict[Path, dict[str, Any]]:
    """run directory -> its scores.json payload, all models bootstrapped together (callers hold the locks)."""
    from harness.benchmarks.arena_hard.benchmark import battles_of, one_model, score_games
    from harness.stats import arena_scores

    scored = []
    for run_dir in run_dirs:
        gens, sel, games = bench.scored_games(Path(run_dir), options)
        model, baseline = one_model(games, Path(run_dir))
        scored.append((_model_order(games, model), Path(run_dir), model, baseline, gens, sel, games))
    if not scored:
        raise HarnessError("no Arena-Hard run with judgments to score jointly")
    judges = {s[5].judge for s in scored}
    baselines = {s[3] for s in scored}
    if len(judges) > 1:
        listed = "; ".join(f"{s[2]}: {s[5].judge.label() if s[5].judge else 'none'}" for s in scored)
        raise HarnessError(f"--joint pools one judge's battles; these runs were judged by {len(judges)} judges "
                           f"({listed}): pick one with --judge-model (and --judge-base-url)")
    if len(baselines) > 1:
        raise HarnessError(f"--joint needs one baseline; the runs use {sorted(baselines)}")
    scored.sort(key=lambda s: s[0])
    baseline = baselines.pop()
    rows = [r for s in scored for r in protocol.battles_from_games(s[6], baseline)]
    if not rows:
        raise HarnessError("no judged game has a valid verdict; nothing to score")
    joint = arena_scores(battles_of(rows), baseline, num_rounds=bench.num_rounds, seed=bench.seed)
    models = [s[2] for s in scored]
    note = JOINT_CI.format(n=len(models), models=", ".join(models))
    out: dict[Path, dict[str, Any]] = {}
    for _, run_dir, model, _, gens, sel, games in scored:
        payload = score_games(games, model, baseline, num_rounds=bench.num_rounds, seed=bench.seed,
                              joint=(joint[model], note))
        payload["details"].update(joint_models=models, joint_n_battles=len(rows))
        out[run_dir] = bench.complete_payload(payload, run_dir, gens, sel, games, baseline, options)
    return out
