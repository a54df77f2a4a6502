"""Within-run figures: AlpacaEval 2 preference vs length difference (with the LC model's length
term), length distributions, the length-exploitation summary, and the Arena-Hard equivalent.

The runs come from the benchmarks' own ``analysis`` modules (their packages know their files);
the figures read only what :class:`PairwiseRun` and :class:`GamesRun` describe. Conventions as in
:mod:`harness.analysis.plots` (gids, method colours, Figures without pyplot).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from harness.analysis import colors
from harness.analysis.plots import empty_figure, freeze_layout, new_figure, slug

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure



class PairwiseRun(Protocol):
    """One AlpacaEval 2 run: a row per instruction (``d_len``, ``model_len``, ``ref_len``, ``win``,
    ``judged``), its LC and, where GLM weights exist, the LC model's curve."""

    name: str
    source: str
    method: str | None
    rows: pd.DataFrame
    lc: float | None
    glm: Any

    @property
    def sigma(self) -> float: ...

    @property
    def judged(self) -> pd.DataFrame: ...

    def length_curve(self, d_len: np.ndarray) -> np.ndarray | None: ...


class GamesRun(Protocol):
    """One Arena-Hard run: a row per game (``item_id``, ``model_score``, ``d_tokens``, token counts)."""

    name: str
    source: str
    method: str | None
    baseline: str
    games: pd.DataFrame

    @property
    def judged(self) -> pd.DataFrame: ...


def _binned_panel(ax: Axes, prefix: str, bins: pd.DataFrame, method: str | None, source: str) -> None:
    style = colors.point_style(method, source)
    yerr = np.vstack([bins["win_rate"] - bins["ci_low"], bins["ci_high"] - bins["win_rate"]])
    cont = ax.errorbar(bins["x_mean"], bins["win_rate"], yerr=yerr, fmt=style["marker"], color=style["color"],
                       markersize=7, capsize=3, lw=1.2, markeredgecolor=style["edgecolors"], zorder=3,
                       label="judge, binned (Wilson 95% CI)")
    cont.lines[0].set_gid(f"{prefix}-bins")
    ax.axhline(50, color="0.7", lw=0.8)
    ax.axvline(0, color="0.7", lw=0.8)
    ax.grid(alpha=0.3)


def _hist_panel(ax: Axes, prefix: str, model: np.ndarray, reference: np.ndarray, method: str | None,
                names: tuple[str, str], xlabel: str) -> None:
    both = np.concatenate([model, reference])
    edges = np.histogram_bin_edges(both, bins=30)
    ax.hist(reference, bins=edges, histtype="stepfilled", color=colors.REFERENCE_COLOR, alpha=0.55, label=names[1], gid=f"{prefix}-hist-reference")
    ax.hist(model, bins=edges, histtype="stepfilled", color=colors.method_color(method), alpha=0.6, label=names[0], gid=f"{prefix}-hist-model")
    ax.axvline(float(np.mean(reference)), color=colors.REFERENCE_COLOR, ls="--", lw=1)
    ax.axvline(float(np.mean(model)), color=colors.method_color(method), ls="--", lw=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("answers")
    ax.legend(fontsize=7)


def _fmt(x: float | None, spec: str = ".1f") -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def plot_alpaca_within_run(runs: list[PairwiseRun], n_bins: int = 10) -> Figure:
    """Per run (one column each): the judge's win probability against model − reference length,
    binned with Wilson CIs, with the LC model's curve where GLM weights exist; below, the model's
    length distribution against the reference's."""
    from harness.analysis.stats import binned_win_rate

    if not runs:
        return empty_figure("no AlpacaEval runs with annotations")
    fig, axes = new_figure(2, len(runs), figsize=(4.6 * len(runs) + 1.0, 8.0))
    for k, run in enumerate(runs):
        prefix = f"aewithin-{slug(run.name)}"
        top, bottom = axes[0][k], axes[1][k]
        bins = binned_win_rate(run.rows, n_bins=n_bins)
        _binned_panel(top, prefix, bins, run.method, run.source)
        lo, hi = float(run.rows["d_len"].min()), float(run.rows["d_len"].max())
        grid = np.linspace(lo, hi, 200)
        curve = run.length_curve(grid)
        if curve is not None:
            g = run.glm
            top.plot(grid, curve, color="black", lw=1.6, ls="--", gid=f"{prefix}-curve",
                     label=f"LC model: σ(ψ·tanh(Δ/σ) + φ·d + θ), ψ={g.psi:.2f}, σ={run.sigma:.0f}")
        wr = float(run.judged["win"].mean() * 100)
        top.set_title(f"{run.name} ({run.source})\nWR {wr:.1f} · LC {_fmt(run.lc)} · n={len(run.judged)}", fontsize=9)
        top.set_xlabel("model − reference length (characters)")
        top.set_ylabel("judge's P(model wins) (%)" if k == 0 else "")
        top.set_ylim(0, 100)
        top.legend(fontsize=6.5, loc="upper left")
        _hist_panel(bottom, prefix, run.rows["model_len"].to_numpy(), run.rows["ref_len"].to_numpy(), run.method,
                    ("model", "reference (gpt4_1106_preview)"), "output length (characters)")
    fig.suptitle("AlpacaEval 2 within a run: preference vs length difference to the reference")
    return freeze_layout(fig)


def _bar_panel(ax: Axes, prefix: str, names: list[str], methods: list[Any], values: np.ndarray,
               err: np.ndarray | None, title: str, xlabel: str, ticks: bool = True) -> None:
    y = np.arange(len(names))
    for i, (m, v) in enumerate(zip(methods, values, strict=True)):
        hl = colors.is_highlighted(m)
        ax.barh(y[i], 0 if math.isnan(v) else v, color=colors.method_color(m), edgecolor="black" if hl else "none",
                gid=f"{prefix}-bar-{slug(names[i])}")
    if err is not None:
        ax.errorbar(values, y, xerr=err, fmt="none", ecolor="black", capsize=3, lw=1)
    ax.set_yticks(y, names if ticks else [""] * len(names), fontsize=8)
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)


def plot_exploitation_summary(summary: pd.DataFrame, arena: pd.DataFrame | None = None) -> Figure:
    """Side by side per model: slope of the win probability on the length difference, WR − LC,
    and the share of wins (and of all answers) longer than the reference; with ``arena`` (an
    Arena-Hard summary, its package's ``analysis.arena_summary``), the Arena-Hard slope and share as a
    second row."""
    if summary.empty and (arena is None or arena.empty):
        return empty_figure("no runs to summarise")
    rows = 1 if arena is None or arena.empty else 2
    n = max(len(summary), len(arena) if arena is not None else 0, 3)
    fig, axes = new_figure(rows, 3, figsize=(14.0, 1.0 + (0.45 * n + 1.4) * rows))
    specs = [(summary, "ae", "slope_pp_per_1k", "points of P(win) per +1,000 characters"),
             (arena, "ah", "slope_pp_per_100_tokens", "points of outcome per +100 tokens")]
    for r in range(rows):
        df, tag, slope_col, slope_label = specs[r]
        names, methods = list(df["model"]), list(df["method"])
        err = np.abs(np.vstack([df[slope_col] - df["slope_ci_low"], df["slope_ci_high"] - df[slope_col]]))
        bench, other = ("AlpacaEval 2", "reference") if tag == "ae" else ("Arena-Hard", "baseline")
        _bar_panel(axes[r][0], f"summary-{tag}-slope", names, methods, df[slope_col].to_numpy(float), err,
                   f"{bench}: length slope (95% CI)", slope_label)
        if tag == "ae":
            _bar_panel(axes[r][1], f"summary-{tag}-wrlc", names, methods, df["wr_minus_lc"].to_numpy(float), None,
                       f"{bench}: WR − LC", "points (positive: length inflates WR)", ticks=False)
        else:
            _bar_panel(axes[r][1], f"summary-{tag}-style", names, methods, df["style_length_coef"].to_numpy(float), None,
                       f"{bench}: style-control length coef.", "standardised Bradley-Terry coefficient", ticks=False)
        ax = axes[r][2]
        _bar_panel(ax, f"summary-{tag}-longwins", names, methods, df["share_wins_longer"].to_numpy(float), None,
                   f"{bench}: wins longer than the {other}", "% of wins (dot: % of all answers)", ticks=False)
        ax.scatter(df["share_longer"], np.arange(len(names)), color="black", s=18, zorder=4, gid=f"summary-{tag}-longer")
        ax.set_xlim(0, 100)
    fig.suptitle("Length exploitation per model")
    return freeze_layout(fig)


def plot_arena_within_run(runs: list[GamesRun], n_bins: int = 8, style: dict[str, Any] | None = None) -> Figure:
    """Per run: the model's outcome against the baseline (ties count half) by answer-token difference,
    binned with Wilson CIs; below, token distributions. ``style`` maps run names to
    style-control results (its package's ``analysis.style_coefficients``) shown in the titles."""
    from harness.analysis.stats import binned_win_rate

    if not runs:
        return empty_figure("no Arena-Hard runs with judgments")
    fig, axes = new_figure(2, len(runs), figsize=(4.6 * len(runs) + 1.0, 8.0))
    for k, run in enumerate(runs):
        prefix = f"ahwithin-{slug(run.name)}"
        top, bottom = axes[0][k], axes[1][k]
        bins = binned_win_rate(run.games, n_bins=n_bins, x="d_tokens", y="model_score")
        _binned_panel(top, prefix, bins, run.method, run.source)
        share = float(run.judged["model_score"].mean() * 100)
        top.axhline(share, color=colors.method_color(run.method), ls=":", lw=1.2, gid=f"{prefix}-mean",
                    label=f"all games: {share:.1f}%")
        sc = (style or {}).get(run.name)
        extra = f" · style length coef {sc['feature_coefs_median'][0]:+.2f}" if sc and "length" in sc["controls"] else ""
        short = run.name if len(run.name) <= 34 else run.name[:32] + "…"
        top.set_title(f"{short} ({run.source})\n{len(run.judged)} games{extra}", fontsize=9)
        top.set_xlabel(f"model − {run.baseline} answer tokens (cl100k)")
        top.set_ylabel("model's outcome vs baseline (%)" if k == 0 else "")
        top.set_ylim(0, 100)
        top.legend(fontsize=6.5, loc="upper left")
        q = run.games.drop_duplicates("item_id")
        _hist_panel(bottom, prefix, q["model_tokens"].to_numpy(float), q["baseline_tokens"].to_numpy(float), run.method,
                    ("model", run.baseline), "answer tokens (cl100k)")
    fig.suptitle("Arena-Hard within a run: verdict vs answer-length difference to the baseline")
    return freeze_layout(fig)
