"""Across-model figures, and the helpers every figure uses.

Figures are plain :class:`matplotlib.figure.Figure` objects on an Agg canvas, never pyplot state:
in Jupyter the last expression of a cell (``fig``) shows inline (after ``%matplotlib inline``), the
HTML report embeds :func:`figure_to_svg`, and nothing leaks between calls. Every data artist has a
``gid`` (``<figure>-<panel>-<role>-...``; roles: ``backdrop``, ``model``, ``arrow``, ``label``,
``bins``, ``curve``, ``hist``), which :func:`describe_figure` counts and which stays in the SVG as
the element id. Labels are placed with adjustText (the ``notebook`` extra) so they do not overlap.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.analysis import colors

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

METRIC_LABELS = {"ae2_wr": "AlpacaEval 2 win rate (%)", "ae2_lc": "AlpacaEval 2 LC win rate (%)"}
LENGTH_LABEL = "average output length (characters)"


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", str(text)).strip("_") or "none"


def new_figure(nrows: int = 1, ncols: int = 1, figsize: tuple[float, float] = (7.0, 5.0), **subplot_kw: Any
               ) -> tuple[Figure, Any]:
    """A Figure with its own Agg canvas and constrained layout; axes as a 2-D array."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    return fig, axes


def empty_figure(message: str) -> Figure:
    """A small figure that says why there is nothing to show (e.g. no runs with annotations)."""
    fig, axes = new_figure(1, 1, figsize=(6.0, 1.6))
    axes[0][0].axis("off")
    axes[0][0].text(0.5, 0.5, message, ha="center", va="center", fontsize=10, transform=axes[0][0].transAxes)
    return fig


def freeze_layout(fig: Figure) -> Figure:
    """Run the constrained layout once and keep it: later renders (inline PNG, SVG, PNG file) skip
    the layout pass, which is most of a render's cost."""
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    return fig


def place_labels(fig: Figure, placements: list[tuple[Axes, list[Any], list[float], list[float]]]) -> None:
    """Move each axes' label texts apart (adjustText), after fixing the layout.

    ``placements`` holds ``(axes, texts, xs, ys)`` with the labelled points' coordinates. The layout
    is computed once and then frozen, so the labels stay where adjustText put them.
    """
    freeze_layout(fig)
    try:
        from adjustText import adjust_text
    except ImportError:  # without the notebook extra: labels stay next to their points
        return
    for ax, texts, xs, ys in placements:
        if len(texts) > 1:
            adjust_text(texts, x=xs, y=ys, ax=ax, expand=(1.1, 1.35), ensure_inside_axes=True,
                        arrowprops={"arrowstyle": "-", "color": "0.55", "lw": 0.5})


def label_points(ax: Axes, gid_prefix: str, xs: list[float], ys: list[float], labels: list[str],
                 methods: list[str | None]) -> list[Any]:
    """One text per point, coloured by method (SimPO in bold); returns the texts."""
    texts = []
    for x, y, label, method in zip(xs, ys, labels, methods, strict=True):
        t = ax.text(x, y, label, fontsize=7, color=colors.method_color(method), zorder=6,
                    fontweight="bold" if colors.is_highlighted(method) else "normal", gid=f"{gid_prefix}-label-{slug(label)}")
        texts.append(t)
    return texts


def legend_handles(methods: list[str | None], sources: list[str], backdrop: str | None = None) -> list[Any]:
    """Legend entries: one per method colour, one per source marker, and the backdrop."""
    from matplotlib.lines import Line2D

    handles: list[Any] = []
    for m in colors.method_order(methods):
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=8 if colors.is_highlighted(m) else 6,
                              color=colors.METHOD_COLORS[m], markeredgecolor="black" if colors.is_highlighted(m) else "white",
                              label=m))
    for s in dict.fromkeys(sources):
        handles.append(Line2D([], [], linestyle="none", marker=colors.SOURCE_MARKERS.get(s, "o"), color="0.35",
                              markerfacecolor="none", label=s))
    if backdrop:
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=4, color=colors.BACKDROP_COLOR,
                              label=backdrop))
    return handles


def _scatter_models(ax: Axes, prefix: str, pts: pd.DataFrame, x: str, y: str) -> None:
    for (source, method), grp in pts.groupby([pts["source"], pts["method"].map(colors.method_key)], sort=False):
        style = colors.point_style(None if method == colors.OTHER else method, source)
        ax.scatter(grp[x], grp[y], gid=f"{prefix}-model-{slug(source)}-{slug(method)}", **style)


def point_label(row: dict[str, Any]) -> str:
    return row["model"] if row["source"] in ("seed table", "leaderboard") else f"{row['model']} ({row['source']})"


def _rho_text(correlations: pd.DataFrame | None, metric: str) -> str:
    """One title line per group: Spearman ρ of length vs ``metric`` with its 95% CI."""
    if correlations is None or correlations.empty:
        return ""
    sub = correlations[(correlations["metric"] == metric) & correlations["rho"].notna()]
    return "".join(f"\nSpearman ρ(length, {metric}) {g}: {r:.2f} [{lo:.2f}, {hi:.2f}] (n={n})"
                   for g, r, lo, hi, n in zip(sub.iloc[:, 0], sub["rho"], sub["ci_low"], sub["ci_high"], sub["n"],
                                              strict=True))


def plot_across_models(points: pd.DataFrame, backdrop: pd.DataFrame | None = None, arrows: pd.DataFrame | None = None,
                       correlations: pd.DataFrame | None = None) -> Figure:
    """WR and LC against length: leaderboard backdrop, one point per model, SFT -> method arrows."""
    from harness.analysis.across_models import placed

    fig, axes = new_figure(1, 2, figsize=(15.0, 6.8))
    placements = []
    for ax, metric, name in zip(axes[0], ("ae2_wr", "ae2_lc"), ("wr", "lc"), strict=True):
        prefix = f"across-{name}"
        pts = placed(points, metric)
        if backdrop is not None and not backdrop.empty:
            bd = placed(backdrop, metric)
            ax.scatter(bd["ae2_length"], bd[metric], s=12, color=colors.BACKDROP_COLOR, zorder=1, gid=f"{prefix}-backdrop")
        _scatter_models(ax, prefix, pts, "ae2_length", metric)
        for a in (arrows.to_dict("records") if arrows is not None else []):
            y0, y1 = (a["wr_from"], a["wr_to"]) if metric == "ae2_wr" else (a["lc_from"], a["lc_to"])
            if math.isnan(y0) or math.isnan(y1):
                continue
            hl = colors.is_highlighted(a["method"])
            ax.annotate("", xy=(a["length_to"], y1), xytext=(a["length_from"], y0), zorder=2,
                        gid=f"{prefix}-arrow-{slug(a['model'])}-{a['kind']}",
                        arrowprops={"arrowstyle": "-|>", "color": colors.method_color(a["method"]),
                                    "lw": 2.2 if hl else 1.3, "alpha": 0.85, "shrinkA": 4, "shrinkB": 5})
        recs = pts.to_dict("records")
        xs, ys = [r["ae2_length"] for r in recs], [r[metric] for r in recs]
        texts = label_points(ax, prefix, xs, ys, [point_label(r) for r in recs], [r["method"] for r in recs])
        placements.append((ax, texts, xs, ys))
        ax.set_xlabel(LENGTH_LABEL)
        ax.set_ylabel(METRIC_LABELS[metric])
        title = "Win rate vs length" if metric == "ae2_wr" else "Length-controlled win rate vs length"
        ax.set_title(title + _rho_text(correlations, "WR" if metric == "ae2_wr" else "LC"), fontsize=9, loc="left")
        ax.grid(alpha=0.3)
    pts = placed(points)
    n_bd = 0 if backdrop is None else len(placed(backdrop))
    handles = legend_handles(list(pts["method"]), list(pts["source"]), f"leaderboard ({n_bd} models)" if n_bd else None)
    fig.legend(handles=handles, loc="outside right upper", fontsize=8, title="colour: method / marker: source")
    fig.suptitle("AlpacaEval 2 across models (arrows: SFT / instruct starting point -> method, per setting)")
    place_labels(fig, placements)
    return fig


def plot_length_deltas(arrows: pd.DataFrame) -> Figure:
    """Each arrow from the origin: length change vs WR change and vs LC change from the starting point."""
    fig, axes = new_figure(1, 2, figsize=(13.0, 5.5))
    placements = []
    for ax, metric, name in zip(axes[0], ("d_wr", "d_lc"), ("wr", "lc"), strict=True):
        prefix = f"deltas-{name}"
        recs = [a for a in arrows.to_dict("records") if not math.isnan(a[metric])]
        for a in recs:
            hl = colors.is_highlighted(a["method"])
            ax.annotate("", xy=(a["d_length"], a[metric]), xytext=(0, 0), gid=f"{prefix}-arrow-{slug(a['model'])}-{a['kind']}",
                        arrowprops={"arrowstyle": "-|>", "color": colors.method_color(a["method"]), "lw": 2.4 if hl else 1.4,
                                    "shrinkA": 0, "shrinkB": 0})
        xs, ys = [a["d_length"] for a in recs], [a[metric] for a in recs]
        labels = [f"{a['setting']}: {a['method']}" + (" (run)" if a["kind"] == "run" else "") for a in recs]
        texts = label_points(ax, prefix, xs, ys, labels, [a["method"] for a in recs])
        placements.append((ax, texts, xs, ys))
        pad_x = max([abs(v) for v in xs] + [100.0]) * 1.25
        pad_y = max([abs(v) for v in ys] + [5.0]) * 1.25
        ax.set_xlim(-pad_x, pad_x)
        ax.set_ylim(min(-2.0, min(ys + [0.0]) * 1.25), pad_y)
        ax.axhline(0, color="0.6", lw=0.8)
        ax.axvline(0, color="0.6", lw=0.8)
        ax.set_xlabel("length change from the starting point (characters)")
        ax.set_ylabel(("win rate" if metric == "d_wr" else "LC win rate") + " change (points)")
        ax.set_title(("WR" if metric == "d_wr" else "LC") + " change vs length change", fontsize=10)
        ax.grid(alpha=0.3)
    fig.legend(handles=legend_handles(list(arrows["method"]), []), loc="outside right upper", fontsize=8, title="method")
    fig.suptitle("What each method does to length and win rate (up-left: better without longer answers)")
    place_labels(fig, placements)
    return fig


def plot_lc_vs_wr(points: pd.DataFrame, backdrop: pd.DataFrame | None = None) -> Figure:
    """LC against raw WR for every model with both; above the diagonal a model gains from length
    control (shorter answers). Starting points (SFT), SimPO models and runs are labelled."""
    from harness.analysis.across_models import placed

    pts = points.dropna(subset=["ae2_wr", "ae2_lc"])
    fig, axes = new_figure(1, 1, figsize=(8.5, 6.5))
    ax = axes[0][0]
    if backdrop is not None and not backdrop.empty:
        bd = backdrop.dropna(subset=["ae2_wr", "ae2_lc"])
        ax.scatter(bd["ae2_wr"], bd["ae2_lc"], s=12, color=colors.BACKDROP_COLOR, zorder=1, gid="lcwr-main-backdrop")
    _scatter_models(ax, "lcwr-main", pts, "ae2_wr", "ae2_lc")
    hi = float(max([*pts["ae2_wr"], *pts["ae2_lc"], *(backdrop["ae2_lc"] if backdrop is not None else []), 10.0])) * 1.05
    ax.plot([0, hi], [0, hi], color="0.5", lw=0.8, ls="--", gid="lcwr-main-diagonal")
    ax.set_xlim(0, hi)
    ax.set_ylim(0, hi)
    # 52 published points cannot all carry a name: label the starting points, SimPO and the runs
    recs = [r for r in pts.to_dict("records") if r["method"] in ("SFT", colors.HIGHLIGHT_METHOD)
            or r["source"] not in ("seed table", "leaderboard")]
    texts = label_points(ax, "lcwr-main", [r["ae2_wr"] for r in recs], [r["ae2_lc"] for r in recs],
                         [point_label(r) for r in recs], [r["method"] for r in recs])
    ax.set_xlabel(METRIC_LABELS["ae2_wr"])
    ax.set_ylabel(METRIC_LABELS["ae2_lc"])
    ax.set_title("Length-controlled vs raw win rate (above the diagonal: shorter than the reference pays)", fontsize=9)
    ax.grid(alpha=0.3)
    n_bd = 0 if backdrop is None else len(placed(backdrop))
    fig.legend(handles=legend_handles(list(pts["method"]), list(pts["source"]), f"leaderboard ({n_bd} models)" if n_bd else None),
               loc="outside right upper", fontsize=8)
    place_labels(fig, [(ax, texts, [r["ae2_wr"] for r in recs], [r["ae2_lc"] for r in recs])])
    return fig


def figure_to_svg(fig: Figure, id_prefix: str | None = None) -> str:
    """The figure as one standalone ``<svg>`` element (text drawn as paths, no external files, no
    XML prolog), ready to be inlined in HTML.

    Every id matplotlib made up (``figure_1``, glyphs, markers, clip paths) gets ``id_prefix``
    (default: a random one), so several figures can share a page without clashing; the gids set on
    the figure's artists are kept as they are, for the report to find.
    """
    import uuid

    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.image_inline": True}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    prefix = id_prefix if id_prefix is not None else f"f{uuid.uuid4().hex[:8]}-"
    keep = {a.get_gid() for a in fig.findobj() if a.get_gid()}
    return re.sub(r'((?<![\w-])id="|href="#|url\(#)([^")]+)',
                  lambda m: m.group(1) + (m.group(2) if m.group(2) in keep else prefix + m.group(2)), text)


def describe_figure(fig: Figure) -> dict[str, Any]:
    """What a figure shows, for tests and the report: per axes its title, axis labels, the number
    of points of every artist with a gid, its label texts and its arrows."""
    out = []
    for ax in fig.axes:
        series: dict[str, int] = {}
        for coll in ax.collections:
            if coll.get_gid():
                series[coll.get_gid()] = series.get(coll.get_gid(), 0) + len(coll.get_offsets())
        for line in ax.lines:
            if line.get_gid():
                series[line.get_gid()] = series.get(line.get_gid(), 0) + len(line.get_xdata())
        for patch in ax.patches:
            if patch.get_gid():
                series[patch.get_gid()] = series.get(patch.get_gid(), 0) + 1
        texts = [t for t in ax.texts if t.get_text()]
        arrows = [t.get_gid() for t in ax.texts if getattr(t, "arrow_patch", None) is not None and "-arrow-" in str(t.get_gid())]
        out.append({"title": ax.get_title(loc="left") or ax.get_title(), "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
                    "series": series, "labels": [t.get_text() for t in texts], "arrows": arrows})
    sup = getattr(fig, "_suptitle", None)  # Figure.get_suptitle() needs matplotlib >= 3.8
    suptitle = sup.get_text() if sup is not None else ""
    return {"suptitle": suptitle, "axes": out}


def label_overlaps(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of label texts (gid role ``label``) whose drawn boxes overlap, per axes."""
    renderer = fig.canvas.get_renderer()
    pairs = []
    for ax in fig.axes:
        labels = [t for t in ax.texts if t.get_text() and "-label-" in str(t.get_gid())]
        boxes = [t.get_window_extent(renderer) for t in labels]
        for i in range(len(labels)):
            for j in range(i + 1, len(labels)):
                if boxes[i].overlaps(boxes[j]):
                    pairs.append((labels[i].get_text(), labels[j].get_text()))
    return pairs


def save_figures(figures: dict[str, Figure], out_dir: Path | str, formats: tuple[str, ...] = ("svg", "png"),
                 dpi: int = 110) -> dict[str, list[str]]:
    """Write each figure as ``<name>.<fmt>`` and ``figures.json`` (:func:`describe_figure` of each)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[str]] = {}
    for name, fig in figures.items():
        paths = []
        for fmt in formats:
            path = out / f"{name}.{fmt}"
            if fmt == "svg":
                path.write_text(figure_to_svg(fig), encoding="utf-8")
            else:
                fig.savefig(path, format=fmt, dpi=dpi)
            paths.append(str(path))
        written[name] = paths
    descriptions = {name: describe_figure(fig) for name, fig in figures.items()}
    (out / "figures.json").write_text(json.dumps(descriptions, indent=1, ensure_ascii=False), encoding="utf-8")
    return written
