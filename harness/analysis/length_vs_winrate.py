"""AlpacaEval 2 win rates against average output length.

The notebook ``notebooks/length_vs_winrate.ipynb`` only calls these functions, so the
analysis is tested code rather than notebook cells.

Two sources of points:
* published: every registry model whose published scores include AE2 numbers (a length
  is only published for some models; those without one are listed, not plotted);
* reproduced: every ``results/<model>/alpaca_eval/scores.json`` under a results directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

COLUMNS = ["model", "setting", "method", "source", "ae2_lc", "ae2_wr", "ae2_length"]


def published_points() -> pd.DataFrame:
    """One row per registry model with published AE2 numbers."""
    import pandas as pd

    from harness.registry.models import load_registry

    rows: list[dict[str, Any]] = []
    for cfg in load_registry().models():
        pub = cfg.published
        if pub is None or getattr(pub, "ae2_lc", None) is None:
            continue
        rows.append({
            "model": cfg.name, "setting": cfg.setting, "method": cfg.method,
            "source": f"published ({pub.table})",
            "ae2_lc": pub.ae2_lc, "ae2_wr": pub.ae2_wr, "ae2_length": getattr(pub, "ae2_length", None),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def reproduced_points(results_dir: Path | str) -> pd.DataFrame:
    """One row per ``<model>/alpaca_eval/scores.json`` under ``results_dir``."""
    import pandas as pd

    from harness.registry.models import load_registry

    registry = load_registry()
    rows: list[dict[str, Any]] = []
    for path in sorted(Path(results_dir).glob("*/alpaca_eval/scores.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        metrics = payload.get("metrics", {})
        model = payload.get("model", path.parent.parent.name)
        cfg = registry.find(model) if hasattr(registry, "find") else None
        rows.append({
            "model": model,
            "setting": getattr(cfg, "setting", "local"),
            "method": getattr(cfg, "method", "local"),
            "source": "reproduced",
            "ae2_lc": metrics.get("ae2_lc"), "ae2_wr": metrics.get("ae2_wr"),
            "ae2_length": metrics.get("ae2_length"),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def all_points(results_dir: Path | str | None = None) -> pd.DataFrame:
    import pandas as pd

    frames = [published_points()]
    if results_dir is not None and Path(results_dir).is_dir():
        frames.append(reproduced_points(results_dir))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)


def length_correlations(points: pd.DataFrame) -> dict[str, float]:
    """Pearson correlation of WR and LC with length over the points that have a length."""
    with_len = points.dropna(subset=["ae2_length"])
    if len(with_len) < 3:
        return {}
    return {
        "wr_vs_length": float(with_len["ae2_wr"].astype(float).corr(with_len["ae2_length"].astype(float))),
        "lc_vs_length": float(with_len["ae2_lc"].astype(float).corr(with_len["ae2_length"].astype(float))),
        "n": float(len(with_len)),
    }


def plot_length_vs_winrate(points: pd.DataFrame) -> Figure:
    """Two panels (raw WR, LC WR) against average length; colour = method, marker = source."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharex=True)
    with_len = points.dropna(subset=["ae2_length"])
    methods = sorted(with_len["method"].unique())
    cmap = plt.get_cmap("tab10")
    markers = {"reproduced": "*"}
    for ax, metric, title in zip(axes, ["ae2_wr", "ae2_lc"], ["AE2 win rate", "AE2 LC win rate"], strict=True):
        for i, method in enumerate(methods):
            sub = with_len[with_len["method"] == method]
            for source, grp in sub.groupby("source"):
                ax.scatter(grp["ae2_length"].astype(float), grp[metric].astype(float), color=cmap(i % 10),
                           marker=markers.get(str(source), "o"), s=60, label=f"{method} ({source})")
                for _, row in grp.iterrows():
                    ax.annotate(str(row["model"])[:28], (float(row["ae2_length"]), float(row[metric])),
                                fontsize=6, alpha=0.7, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel("average output length (characters)")
        ax.set_ylabel(f"{title} (%)")
        ax.set_title(f"{title} vs length")
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=7)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    return fig


def plot_lc_vs_wr(points: pd.DataFrame) -> Figure:
    """LC against raw WR for every point (all models have both); the diagonal marks no length effect."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5.5))
    for (setting, source), grp in points.groupby(["setting", "source"]):
        ax.scatter(grp["ae2_wr"].astype(float), grp["ae2_lc"].astype(float), s=40,
                   marker="*" if source == "reproduced" else "o", label=f"{setting} ({source})")
    lim = max(points[["ae2_wr", "ae2_lc"]].astype(float).max().max(), 1.0) * 1.05 if len(points) else 100.0
    ax.plot([0, lim], [0, lim], color="grey", linewidth=0.8, linestyle="--")
    ax.set_xlabel("AE2 win rate (%)")
    ax.set_ylabel("AE2 LC win rate (%)")
    ax.set_title("Length-controlled vs raw win rate")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
