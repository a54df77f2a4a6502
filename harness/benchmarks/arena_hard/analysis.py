"""Inside one Arena-Hard v0.1 run: the judge's verdict against the answer-length difference (the
within-run view of ``harness.analysis``; its figures are in :mod:`harness.analysis.plots_runs`).

Each judged game becomes one row with the model's outcome (1 win, 0.5 tie, 0 loss, whatever slot
the model had; strong verdicts flagged) and the cl100k token counts of the model's and the
baseline's answers (``d_tokens`` = model − baseline). Games come from a native run
(``<results>/<model>/arena_hard/annotations.jsonl``: ``item_id``, ``game`` 0/1, ``score`` like
``"A>B"`` with the baseline in slot A in game 0; only judgments of the current generations count,
as in scoring) or an arena-hard-auto judgment file (``model_judgment/<judge>/<model>.jsonl``,
``games[].score``) with its answers (``model_answer/<model>.jsonl``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.store.jsonl import read_records

if TYPE_CHECKING:
    import pandas as pd

JUDGE_DIR = "model_judgment/gpt-4-1106-preview"
GAME_COLUMNS = ["item_id", "game", "label", "model_score", "strong", "model_tokens", "baseline_tokens", "d_tokens",
                "judged"]
SUMMARY_COLUMNS = ["model", "method", "source", "n_questions", "n_games", "ah", "win_share", "mean_tokens",
                   "baseline_mean_tokens", "share_longer", "share_wins_longer", "slope_pp_per_100_tokens",
                   "slope_ci_low", "slope_ci_high", "style_length_coef", "style_score"]


@dataclass
class ArenaRun:
    """One model's judged games against the baseline, with both sides' answers."""

    name: str
    source: str  # "official files", "reproduced" or "imported"
    path: str
    games: pd.DataFrame  # GAME_COLUMNS
    model_answers: dict[str, str]
    baseline_answers: dict[str, str]
    method: str | None = None
    setting: str | None = None
    baseline: str = "gpt-4-0314"
    scores: dict[str, Any] = field(default_factory=dict)  # scores.json payload where there is one

    @property
    def judged(self) -> pd.DataFrame:
        return self.games[self.games["judged"]]


def load_baseline_answers(data_dir: Path | str | None, baseline: str = "gpt-4-0314") -> dict[str, str]:
    """Question id -> baseline answer (``--data-dir`` layout of Arena-Hard v0.1, else the public copy)."""
    from harness.benchmarks.arena_hard import data

    return data.load_baseline(Path(data_dir) if data_dir else None, baseline)[0]


def _token_counts(texts: list[str]) -> list[int]:
    from harness.benchmarks.arena_hard.tokens import count_tokens

    counts, how = count_tokens(texts)
    if counts is None:
        raise HarnessError(f"Arena-Hard lengths need cl100k token counts ({how}); pip install 'simpo-harness[arena]'")
    return counts


def game_frame(games: list[dict[str, Any]], model_answers: dict[str, str], baseline_answers: dict[str, str]) -> pd.DataFrame:
    """One row per game (``item_id``, ``game``, ``score``) with outcome and token counts."""
    import pandas as pd

    from harness.benchmarks.arena_hard.protocol import game_battles

    missing = sorted({str(g["item_id"]) for g in games} - set(baseline_answers))
    if missing:
        raise HarnessError(f"{len(missing)} judged question(s) have no baseline answer, e.g. {missing[0]!r}")
    ids = sorted({str(g["item_id"]) for g in games if str(g["item_id"]) in model_answers})
    counts = _token_counts([model_answers[i] for i in ids] + [baseline_answers[i] for i in ids])
    model_tok, base_tok = dict(zip(ids, counts[: len(ids)], strict=True)), dict(zip(ids, counts[len(ids):], strict=True))
    rows = []
    for g in games:
        qid = str(g["item_id"])
        if qid not in model_tok:
            continue
        res = game_battles(g.get("score"), int(g["game"]))
        outcome = math.nan if res is None else {"model_b": 1.0, "tie": 0.5, "model_a": 0.0}[res[0]]
        rows.append({"item_id": qid, "game": int(g["game"]), "label": g.get("score"), "model_score": outcome,
                     "strong": res is not None and res[1] > 1, "model_tokens": model_tok[qid],
                     "baseline_tokens": base_tok[qid], "d_tokens": model_tok[qid] - base_tok[qid],
                     "judged": res is not None})
    return pd.DataFrame(rows, columns=GAME_COLUMNS)


def load_arena_official(judgment_path: Path | str, answer_path: Path | str, baseline_answers: dict[str, str],
                        registry: Any = None) -> ArenaRun:
    """An arena-hard-auto judgment file and the answers it judged."""
    from harness.analysis.runs import model_info
    from harness.benchmarks.arena_hard import data

    records = read_records(Path(judgment_path), what="arena-hard judgments")
    if not records:
        raise HarnessError(f"{judgment_path}: no judgments")
    games = [{"item_id": rec["question_id"], "game": gi, "score": (game or {}).get("score")}
             for rec in records for gi, game in enumerate(rec.get("games", []))]
    answers = {data.question_id(r): data.answer_text(r) for r in read_records(Path(answer_path), what="arena-hard answers")}
    info = model_info(str(records[0].get("model")), registry)
    return ArenaRun(name=info.name, source="official files", path=str(judgment_path),
                    games=game_frame(games, answers, baseline_answers), model_answers=answers,
                    baseline_answers=baseline_answers, method=info.method, setting=info.setting)


def load_arena_native(bench_dir: Path | str, baseline_answers: dict[str, str], registry: Any = None) -> ArenaRun:
    """A results run ``<results>/<model>/arena_hard`` (judgments of its current generations only)."""
    from harness.analysis.runs import model_info, read_scores, run_model_name, run_source
    from harness.benchmarks.arena_hard.benchmark import ArenaHard
    from harness.benchmarks.base import scored_judge

    bench_dir = Path(bench_dir)
    gens, sel = ArenaHard().judgments(bench_dir, scored_judge(bench_dir))  # the judgments its score used
    answers = {g.item_id: g.output for g in gens}
    games = sel.judgments
    if not games:
        raise HarnessError(f"no Arena-Hard judgments of the current generations in {bench_dir}")
    scores = read_scores(bench_dir / "scores.json") if (bench_dir / "scores.json").is_file() else {}
    info = model_info(str(games[0].get("model") or run_model_name(bench_dir, scores)), registry)
    baseline = str(games[0].get("baseline_model") or "gpt-4-0314")
    return ArenaRun(name=info.name, source=run_source(bench_dir, scores), path=str(bench_dir),
                    games=game_frame(games, answers, baseline_answers), model_answers=answers,
                    baseline_answers=baseline_answers, method=info.method, setting=info.setting, baseline=baseline,
                    scores=scores)


def official_arena_runs(official_dir: Path | str, baseline_answers: dict[str, str],
                        names: tuple[str, ...] | None = None) -> list[ArenaRun]:
    """Judgment files under ``official_dir`` (``official_files`` or its ``arena_hard`` folder) that have
    their answers beside them; ``names`` picks models (default: all)."""
    root = Path(official_dir)
    root = root / "arena_hard" if (root / "arena_hard" / JUDGE_DIR).is_dir() else root
    runs = []
    for path in sorted((root / JUDGE_DIR).glob("*.jsonl")):
        answer = root / "model_answer" / path.name
        if answer.is_file() and (names is None or path.stem in names):
            runs.append(load_arena_official(path, answer, baseline_answers))
    if not runs:
        raise HarnessError(f"no Arena-Hard judgment files with answers under {root} (expected {JUDGE_DIR}/<model>.jsonl "
                           "and model_answer/<model>.jsonl)")
    return runs


def results_arena_runs(results_dir: Path | str | None, baseline_answers: dict[str, str]) -> list[ArenaRun]:
    """Every ``<results>/<model>/arena_hard`` with judgments."""
    from harness.analysis.runs import discover_runs
    from harness.benchmarks.arena_hard.spec import SPEC

    return [load_arena_native(d, baseline_answers) for d in discover_runs(results_dir, SPEC.name, "annotations.jsonl")]


def binned_verdicts(run: ArenaRun, n_bins: int = 8) -> pd.DataFrame:
    """Model outcome (percent; ties count half) per quantile bin of ``d_tokens``, Wilson 95% CIs."""
    from harness.analysis.stats import binned_win_rate

    return binned_win_rate(run.games, n_bins=n_bins, x="d_tokens", y="model_score")


def style_coefficients(run: ArenaRun, controls: tuple[str, ...] = ("length", "markdown"), num_rounds: int = 100,
                       seed: int = 42) -> dict[str, Any] | None:
    """Style-control fit of the run: from its scores.json where computed, else fitted here.

    ``feature_coefs_median`` are the Bradley-Terry coefficients of the standardised features
    (length first); None with fewer than 20 battles, where the fit says nothing.
    """
    from harness.benchmarks.arena_hard.protocol import battles_from_games
    from harness.benchmarks.arena_hard.style import markdown_counts, style_controlled_score

    stored = run.scores.get("details", {}).get("style_control")
    if stored:
        return {**stored, "computed": "scores.json"}
    games = [{"item_id": r["item_id"], "game": r["game"], "score": r["label"], "model": run.name}
             for r in run.judged.to_dict("records")]
    battles = battles_from_games(games, run.baseline)
    if len(battles) < 20:
        return None
    tok = run.games.drop_duplicates("item_id").set_index("item_id")
    model_meta = {i: {"tokens": int(tok.at[i, "model_tokens"]), "md": markdown_counts(run.model_answers[i])}
                  for i in tok.index}
    base_meta = {i: {"tokens": int(tok.at[i, "baseline_tokens"]), "md": markdown_counts(run.baseline_answers[i])}
                 for i in tok.index}
    out = style_controlled_score(battles, model_meta, base_meta, controls, num_rounds, seed)
    return {**out, "computed": "here"}


def arena_row(run: ArenaRun, style: dict[str, Any] | None = None) -> dict[str, Any]:
    """The summary of one run; ``style`` is its :func:`style_coefficients` result (computed if None)."""
    from harness.analysis.stats import Z95, ols_slope
    from harness.benchmarks.arena_hard.benchmark import score_games

    j = run.judged
    q = run.games.drop_duplicates("item_id")
    longer, wins = j["d_tokens"] > 0, j["model_score"] == 1.0
    ah = run.scores.get("metrics", {}).get("ah")
    if ah is None and len(j):
        games = [{"item_id": r["item_id"], "game": r["game"], "score": r["label"], "model": run.name}
                 for r in j.to_dict("records")]
        ah = score_games(games, run.name, run.baseline)["metrics"]["ah"]
    slope, se = ols_slope(j["d_tokens"].to_numpy() / 100.0, j["model_score"].to_numpy() * 100.0)
    sc = style if style is not None else style_coefficients(run)
    return {
        "model": run.name, "method": run.method, "source": run.source, "n_questions": len(q), "n_games": len(j),
        "ah": math.nan if ah is None else float(ah), "win_share": float(j["model_score"].mean() * 100),
        "mean_tokens": float(q["model_tokens"].mean()), "baseline_mean_tokens": float(q["baseline_tokens"].mean()),
        "share_longer": float(longer.mean() * 100), "share_wins_longer": float(longer[wins].mean() * 100)
        if wins.any() else math.nan,
        "slope_pp_per_100_tokens": slope, "slope_ci_low": slope - Z95 * se, "slope_ci_high": slope + Z95 * se,
        "style_length_coef": sc["feature_coefs_median"][0] if sc and "length" in sc["controls"] else math.nan,
        "style_score": sc["score"] if sc else math.nan,
    }


def arena_summary(runs: list[ArenaRun], style: dict[str, dict[str, Any] | None] | None = None) -> pd.DataFrame:
    """Per run: Arena-Hard score, per-game win share, mean tokens (model, baseline), share of longer
    answers and of wins that are longer, slope of the outcome on the token difference (percentage
    points per 100 tokens, 95% CI) and the style-control length coefficient and score. ``style``
    maps run names to :func:`style_coefficients` results already computed."""
    import pandas as pd

    style = style or {}
    return pd.DataFrame([arena_row(r, style.get(r.name)) for r in runs], columns=SUMMARY_COLUMNS)
