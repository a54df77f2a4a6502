"""Inside one AlpacaEval 2 run: how the judge's preference moves with the length difference
(the within-run view of ``harness.analysis``; its figures are in :mod:`harness.analysis.plots_runs`).

Annotations come from a native run (``<results>/<model>/alpaca_eval/annotations.jsonl``, one JSON
row per instruction, the last row per instruction winning) or from an alpaca_eval annotations file
(a JSON list, ``.json`` or ``.json.gz``, ``preference`` possibly a string). Rows need
``instruction``, ``output_1`` (the gpt4_1106_preview reference), ``output_2`` (the model) and
``preference`` in [1, 2] (null: not judged; 0: a legacy draw, read as 1.5 like alpaca_eval's GLM).

Lengths are in characters; ``d_len`` = model length − reference length (positive: the model is
longer). The LC model of alpaca-eval (``metrics/glm_winrate.py``) is
``P(model wins) = σ(ψ·tanh(Δ/σ_Δ) + φ·difficulty + θ)`` with ``Δ = reference − model length`` and
``σ_Δ`` its standard deviation over the file; ψ < 0 means longer answers win more often. Its curve
against ``d_len`` is ``mean_i σ(ψ·tanh(−d_len/σ_Δ) + φ·difficulty_i + θ)``; at ``d_len = 0`` that is the
LC win rate itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.analysis.stats import binned_win_rate
from harness.benchmarks.alpaca_eval.spec import SPEC
from harness.errors import HarnessError

__all__ = ["AlpacaRun", "GLMWeights", "annotation_frame", "binned_win_rate", "exploitation_row", "exploitation_summary",
           "find_annotations", "glm_length_curve", "glm_predicted_win_rate", "glm_weights", "instruction_difficulty",
           "load_alpaca_run", "official_alpaca_runs", "read_annotation_rows", "results_alpaca_runs"]

if TYPE_CHECKING:
    import pandas as pd

ANNOTATION_CANDIDATES = ("annotations.jsonl", "alpaca_eval/annotations.jsonl",
                         "weighted_alpaca_eval_gpt4_turbo/annotations.json.gz",
                         "weighted_alpaca_eval_gpt4_turbo/annotations.json", "annotations.json.gz", "annotations.json")
FRAME_COLUMNS = ["instruction", "ref_len", "model_len", "d_len", "preference", "win", "judged"]
SUMMARY_COLUMNS = ["model", "method", "source", "n", "n_judged", "mean_length", "reference_mean_length", "share_longer",
                   "share_wins_longer", "wr", "lc", "wr_minus_lc", "lc_source", "slope_pp_per_1k",
                   "slope_ci_low", "slope_ci_high", "glm_psi"]


@dataclass(frozen=True)
class GLMWeights:
    """A model's published LC-model weights relative to the gpt4_1106_preview baseline."""

    generator: str
    psi: float  # coefficient of tanh(Δ/σ_Δ), Δ = reference − model length
    phi: float  # coefficient of instruction difficulty
    theta: float  # intercept (not_gamed_baseline)
    source: str


@dataclass
class AlpacaRun:
    """One model's annotations, ready for the within-run figures."""

    name: str
    source: str  # "official files", "reproduced" or "imported"
    path: str
    rows: pd.DataFrame  # FRAME_COLUMNS, one row per instruction
    method: str | None = None
    setting: str | None = None
    lc: float | None = None  # percent
    lc_source: str = "none"
    glm: GLMWeights | None = None
    difficulty: np.ndarray | None = None  # per row of ``rows``; None when unknown

    @property
    def sigma(self) -> float:
        """σ_Δ of the LC model: std (ddof 1) of reference − model length over the file."""
        return float(self.rows["d_len"].std(ddof=1))

    @property
    def judged(self) -> pd.DataFrame:
        return self.rows[self.rows["judged"]]

    def length_curve(self, d_len: np.ndarray) -> np.ndarray | None:
        """:func:`glm_length_curve` of this run (None without GLM weights)."""
        return glm_length_curve(self, d_len)


def find_annotations(path: Path | str) -> Path:
    """The annotations file of ``path``: the file itself, or one of the usual names inside a run dir."""
    path = Path(path)
    if path.is_file():
        return path
    for rel in ANNOTATION_CANDIDATES:
        if (path / rel).is_file():
            return path / rel
    raise HarnessError(f"no AlpacaEval annotations under {path} (looked for {', '.join(ANNOTATION_CANDIDATES[:3])})")


def read_annotation_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a native ``.jsonl`` file (last row per instruction) or an alpaca_eval JSON list."""
    if path.name.endswith(".jsonl"):
        from harness.store.jsonl import read_jsonl

        latest: dict[str, dict[str, Any]] = {}
        for rec in read_jsonl(path):
            latest[str(rec.get("instruction"))] = rec
        rows = list(latest.values())
    else:
        from harness.store.jsonl import read_records as read_json_records

        rows = read_json_records(path)
    if not rows:
        raise HarnessError(f"{path}: no annotation rows")
    return rows


def annotation_frame(rows: list[dict[str, Any]], source: str = "annotations") -> pd.DataFrame:
    """Lengths and preferences of checked annotation rows (see the module docstring)."""
    import pandas as pd

    from harness.benchmarks.alpaca_eval import scoring

    scoring.check_text_fields(rows, ("instruction", "output_1", "output_2"), source)
    prefs = np.array(scoring.annotation_preferences(rows, source), dtype=float)
    prefs[prefs == 0] = 1.5
    ref_len = np.array([len(r["output_1"]) for r in rows], dtype=float)
    model_len = np.array([len(r["output_2"]) for r in rows], dtype=float)
    return pd.DataFrame({
        "instruction": [r["instruction"] for r in rows], "ref_len": ref_len, "model_len": model_len,
        "d_len": model_len - ref_len, "preference": prefs, "win": prefs - 1.0, "judged": ~np.isnan(prefs),
    }, columns=FRAME_COLUMNS)


def glm_weights(generator: str, data_dir: Path | str | None) -> GLMWeights | None:
    """The published GLM weights of ``generator`` (v0.6.2 table first, then main), or None."""
    from harness.benchmarks.alpaca_eval.data import REFERENCE_GENERATOR, load_published_weights

    if data_dir is None:
        return None
    for path, table in load_published_weights(Path(data_dir)):
        if generator in table.index and REFERENCE_GENERATOR in table.index:
            w = table.loc[generator] - table.loc[REFERENCE_GENERATOR]
            return GLMWeights(generator=generator, psi=float(w["np.tanh(std_delta_len)"]),
                              phi=float(w["instruction_difficulty"]),
                              theta=float(w["not_gamed_baseline.astype(float)"]), source=f"{path.name} row {generator!r}")
    return None


def instruction_difficulty(instructions: list[str], data_dir: Path | str | None) -> np.ndarray | None:
    """The LC model's difficulty of each instruction (None if the reference or difficulty is missing).

    alpaca_eval stores difficulty by row position of the official instruction order; the reference
    file gives that order, so each instruction gets its own difficulty whatever the file's order.
    """
    from harness.benchmarks.alpaca_eval import data as ae_data

    if data_dir is None:
        return None
    try:
        reference, _ = ae_data.load_reference(Path(data_dir))
    except HarnessError:
        return None
    difficulty, _ = ae_data.load_instruction_difficulty(Path(data_dir))
    if difficulty is None:
        return None
    pos = {r["instruction"]: i for i, r in enumerate(reference)}
    values = difficulty.to_numpy(dtype=float)
    if any(i not in pos or pos[i] >= len(values) for i in instructions):
        return None
    return values[[pos[i] for i in instructions]]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def glm_length_curve(run: AlpacaRun, d_len: np.ndarray) -> np.ndarray | None:
    """The LC model's win probability (percent) at each model − reference length difference.

    Averaged over the run's instruction difficulties (at difficulty 0 where they are unknown);
    None when the run has no GLM weights.
    """
    if run.glm is None:
        return None
    g = run.glm
    difficulty = run.difficulty if run.difficulty is not None else np.zeros(1)
    z = g.psi * np.tanh(-np.asarray(d_len, dtype=float)[:, None] / run.sigma) + g.phi * difficulty[None, :] + g.theta
    return 100.0 * _sigmoid(z).mean(axis=1)


def glm_predicted_win_rate(run: AlpacaRun) -> float | None:
    """The LC model's fitted WR of the run's own rows (percent); close to the observed WR."""
    if run.glm is None or run.difficulty is None:
        return None
    g = run.glm
    z = g.psi * np.tanh(-run.rows["d_len"].to_numpy() / run.sigma) + g.phi * run.difficulty + g.theta
    return float(100.0 * _sigmoid(z).mean())


def exploitation_row(run: AlpacaRun) -> dict[str, Any]:
    """The length-exploitation summary of one run (see :func:`exploitation_summary`)."""
    from harness.analysis.stats import Z95, ols_slope

    j = run.judged
    longer = j["d_len"] > 0
    wins = j["preference"] > 1.5
    wr = float(j["win"].mean() * 100) if len(j) else math.nan
    slope, se = ols_slope(j["d_len"].to_numpy() / 1000.0, j["win"].to_numpy() * 100.0)
    lc = run.lc if run.lc is not None else math.nan
    return {
        "model": run.name, "method": run.method, "source": run.source, "n": len(run.rows), "n_judged": len(j),
        "mean_length": float(run.rows["model_len"].mean()), "reference_mean_length": float(run.rows["ref_len"].mean()),
        "share_longer": float(longer.mean() * 100) if len(j) else math.nan,
        "share_wins_longer": float(longer[wins].mean() * 100) if wins.any() else math.nan,
        "wr": wr, "lc": lc, "wr_minus_lc": wr - lc, "lc_source": run.lc_source,
        "slope_pp_per_1k": slope, "slope_ci_low": slope - Z95 * se, "slope_ci_high": slope + Z95 * se,
        "glm_psi": run.glm.psi if run.glm is not None else math.nan,
    }


def exploitation_summary(runs: list[AlpacaRun]) -> pd.DataFrame:
    """Per run: share of answers longer than the reference, share of wins that are longer, WR, LC,
    WR − LC, the least-squares slope of the win probability on the length difference (percentage
    points per 1,000 characters, with a 95% CI) and the published ψ where there is one."""
    import pandas as pd

    return pd.DataFrame([exploitation_row(r) for r in runs], columns=SUMMARY_COLUMNS)


def _lc_of(source: str, generator: str, scores: dict[str, Any] | None,
           leaderboard: pd.DataFrame | None) -> tuple[float | None, str]:
    metrics = (scores or {}).get("metrics", {})
    if metrics.get("ae2_lc") is not None:
        status = (scores or {}).get("details", {}).get("lc_status", "status not recorded")
        return float(metrics["ae2_lc"]), f"scores.json ({status})"
    if source == "official files" and leaderboard is not None:
        hit = leaderboard[leaderboard["model"] == generator]
        if not hit.empty and not math.isnan(float(hit["ae2_lc"].iloc[0])):
            return float(hit["ae2_lc"].iloc[0]), "leaderboard"
    return None, "none"


def load_alpaca_run(path: Path | str, *, name: str | None = None, source: str | None = None,
                    data_dir: Path | str | None = None, leaderboard: pd.DataFrame | None = None,
                    registry: Any = None) -> AlpacaRun:
    """Load one run's annotations (a file or a run directory) with its LC and GLM weights.

    ``source`` defaults to ``reproduced`` / ``imported`` for a results run (a ``.jsonl`` file or a
    ``scores.json`` beside it) and ``official files`` otherwise. Published GLM weights (from
    ``data_dir``) are used for official files, and for a run only when its LC was predicted from them
    (its outputs are the published ones); LC comes from ``scores.json``, else (official files) from the
    leaderboard.
    """
    from harness.analysis.runs import model_info, read_scores, run_model_name, run_source
    from harness.benchmarks.alpaca_eval.scoring import LC_PREDICTED

    ann = find_annotations(path)
    rows = read_annotation_rows(ann)
    frame = annotation_frame(rows, str(ann))
    bench_dir = ann.parent
    scores = read_scores(bench_dir / "scores.json") if (bench_dir / "scores.json").is_file() else None
    generator = name or rows[0].get("generator_2") or run_model_name(bench_dir, scores)
    info = model_info(str(generator), registry)
    if source is None:
        is_run = ann.name.endswith(".jsonl") or scores is not None
        source = run_source(bench_dir, scores) if is_run else "official files"
    lc, lc_source = _lc_of(source, str(generator), scores, leaderboard)
    predicted = (scores or {}).get("details", {}).get("lc_status") == LC_PREDICTED
    glm = glm_weights(str(generator), data_dir) if source == "official files" or predicted else None
    difficulty = instruction_difficulty(frame["instruction"].tolist(), data_dir) if glm is not None else None
    return AlpacaRun(name=info.name if info.in_registry else str(generator), source=source, path=str(ann), rows=frame,
                     method=info.method, setting=info.setting, lc=lc, lc_source=lc_source, glm=glm,
                     difficulty=difficulty)


def official_alpaca_runs(official_dir: Path | str, names: tuple[str, ...] = ("claude-2", "alpaca-7b"), *,
                         data_dir: Path | str | None = None, leaderboard: pd.DataFrame | None = None) -> list[AlpacaRun]:
    """Published alpaca_eval runs laid out as ``results/<model>/weighted_alpaca_eval_gpt4_turbo/``.

    ``official_dir`` may be ``official_files``, its ``alpaca_eval`` folder or that folder's ``results``.
    """
    root = Path(official_dir)
    for sub in ("alpaca_eval/results", "results", ""):
        if all((root / sub / n).is_dir() for n in names):
            return [load_alpaca_run(root / sub / n, source="official files", data_dir=data_dir, leaderboard=leaderboard)
                    for n in names]
    raise HarnessError(f"official alpaca_eval results for {', '.join(names)} not found under {root} "
                       "(expected alpaca_eval/results/<model>/weighted_alpaca_eval_gpt4_turbo/annotations.json.gz)")


def results_alpaca_runs(results_dir: Path | str | None, *, data_dir: Path | str | None = None,
                        registry: Any = None) -> list[AlpacaRun]:
    """Every ``<results>/<model>/alpaca_eval/annotations.jsonl`` (reproduced or imported runs)."""
    from harness.analysis.runs import discover_runs

    return [load_alpaca_run(d, data_dir=data_dir, registry=registry)
            for d in discover_runs(results_dir, SPEC.name, needs="annotations.jsonl")]
