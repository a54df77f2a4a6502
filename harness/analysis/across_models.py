"""AlpacaEval 2 win rate and LC win rate against output length, one point per model.

Where each point comes from (column ``source``):

* ``seed table``: the SimPO README numbers in the registry, where the table prints a length (Gemma);
* ``leaderboard``: the official AlpacaEval 2 leaderboard row of a registry model whose seed table
  prints no length (WR, LC and length all from that row, so a point never mixes sources);
* ``reproduced`` / ``imported``: the scores.json of ``<results>/<model>/<benchmark>/``, the benchmark
  reporting ``ae2_wr`` (see :mod:`.runs`).

Registry models with published numbers but no length anywhere are kept with a NaN length (listed,
not placed). The whole leaderboard is returned separately as the grey backdrop. Columns of every
frame: :data:`COLUMNS`; win rates in percent, lengths in characters.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.analysis.runs import (
    discover_runs,
    match_names,
    metric_benchmark,
    model_info,
    read_scores,
    run_model_name,
    run_source,
)

if TYPE_CHECKING:
    import pandas as pd

    from harness.registry.models import Registry

COLUMNS = ["model", "setting", "method", "base_model", "source", "source_detail", "group",
           "ae2_wr", "ae2_lc", "ae2_length", "in_registry"]
GROUP_LEADERBOARD = "leaderboard (all models)"
GROUP_REGISTRY = "registry models (published)"
GROUP_RUNS = "runs (reproduced / imported)"
PUBLISHED_SOURCES = ("seed table", "leaderboard")
ARROW_COLUMNS = ["setting", "method", "model", "base_model", "kind", "source", "length_from", "length_to",
                 "wr_from", "wr_to", "lc_from", "lc_to", "d_length", "d_wr", "d_lc"]


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    df = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("ae2_wr", "ae2_lc", "ae2_length"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    df["in_registry"] = df["in_registry"].astype(bool)
    return df


def _registry(registry: Registry | None) -> Registry:
    from harness.registry.models import load_registry

    return registry if registry is not None else load_registry()


def registry_points(leaderboard: pd.DataFrame | None = None, leaderboard_source: str = "leaderboard",
                    registry: Registry | None = None) -> pd.DataFrame:
    """One row per registry model with published AE2 numbers or a leaderboard row."""
    registry = _registry(registry)
    matched = match_names(leaderboard["model"], registry) if leaderboard is not None else {}
    lb = leaderboard.set_index("model") if leaderboard is not None else None
    rows: list[dict[str, Any]] = []
    for cfg in registry:
        pub = cfg.published
        has_pub = pub is not None and (pub.get("ae2_lc") is not None or pub.get("ae2_wr") is not None)
        if not has_pub and cfg.name not in matched:
            continue
        info = model_info(cfg.name, registry)
        row: dict[str, Any] = {"model": cfg.name, "setting": info.setting, "method": info.method,
                               "base_model": info.base_model, "group": GROUP_REGISTRY, "in_registry": True}
        if has_pub and (pub.get("ae2_length") is not None or cfg.name not in matched):
            row.update(source="seed table", source_detail=f"SimPO README, {pub.table} table",
                       ae2_wr=pub.get("ae2_wr"), ae2_lc=pub.get("ae2_lc"), ae2_length=pub.get("ae2_length"))
        else:
            entry = lb.loc[matched[cfg.name]]
            row.update(source="leaderboard", source_detail=f"{leaderboard_source}: row {matched[cfg.name]!r}",
                       ae2_wr=entry["ae2_wr"], ae2_lc=entry["ae2_lc"], ae2_length=entry["ae2_length"])
        rows.append(row)
    return _frame(rows)


def leaderboard_points(leaderboard: pd.DataFrame, leaderboard_source: str = "leaderboard",
                       registry: Registry | None = None) -> pd.DataFrame:
    """Every leaderboard row (the backdrop); registry models keep their setting and method."""
    registry = _registry(registry)
    to_registry = {lb: name for name, lb in match_names(leaderboard["model"], registry).items()}
    rows = []
    for rec in leaderboard.to_dict("records"):
        info = model_info(to_registry[rec["model"]], registry) if rec["model"] in to_registry else None
        rows.append({
            "model": rec["model"], "setting": info and info.setting, "method": info and info.method,
            "base_model": info and info.base_model, "source": "leaderboard", "source_detail": leaderboard_source,
            "group": GROUP_LEADERBOARD, "ae2_wr": rec["ae2_wr"], "ae2_lc": rec["ae2_lc"],
            "ae2_length": rec["ae2_length"], "in_registry": info is not None,
        })
    return _frame(rows)


def run_points(results_dir: Path | str | None, registry: Registry | None = None) -> pd.DataFrame:
    """One row per scores.json of the benchmark reporting ``ae2_wr`` under ``results_dir``."""
    registry = _registry(registry)
    rows = []
    for bench_dir in discover_runs(results_dir, metric_benchmark("ae2_wr")):
        scores = read_scores(bench_dir / "scores.json")
        metrics = scores.get("metrics", {})
        info = model_info(run_model_name(bench_dir, scores), registry)
        rows.append({
            "model": info.name, "setting": info.setting, "method": info.method, "base_model": info.base_model,
            "source": run_source(bench_dir, scores), "source_detail": str(bench_dir / "scores.json"),
            "group": GROUP_RUNS, "ae2_wr": metrics.get("ae2_wr"), "ae2_lc": metrics.get("ae2_lc"),
            "ae2_length": metrics.get("ae2_length"), "in_registry": info.in_registry,
        })
    return _frame(rows)


def model_points(leaderboard: pd.DataFrame | None = None, results_dir: Path | str | None = None,
                 leaderboard_source: str = "leaderboard", registry: Registry | None = None) -> pd.DataFrame:
    """Registry points (seed table / leaderboard) followed by every reproduced or imported run."""
    import pandas as pd

    frames = [registry_points(leaderboard, leaderboard_source, registry), run_points(results_dir, registry)]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else _frame([])


def placed(points: pd.DataFrame, metric: str | None = None) -> pd.DataFrame:
    """The points that go on the length axis: a length and ``metric`` (default: WR or LC) known."""
    has_len = points["ae2_length"].notna()
    has_y = points[metric].notna() if metric else points["ae2_wr"].notna() | points["ae2_lc"].notna()
    return points[has_len & has_y].reset_index(drop=True)


def unplaced(points: pd.DataFrame) -> list[str]:
    """Models listed without a length (or without any win rate), so not on the length axis."""
    keep = placed(points)
    return sorted(set(points["model"]) - set(keep["model"]))


def _kind(source: str) -> str:
    return "published" if source in PUBLISHED_SOURCES else "run"


def method_arrows(points: pd.DataFrame) -> pd.DataFrame:
    """Per setting, one arrow from the SFT / instruct starting point to each method trained from it.

    Both ends come from the same kind of source (published: seed table or leaderboard; run:
    reproduced or imported), so an arrow never compares a published number with a reproduced one.
    """
    import pandas as pd

    pts = placed(points)
    pts = pts[pts["group"] != GROUP_LEADERBOARD]
    rows = []
    for rec in pts.to_dict("records"):
        if not rec["base_model"]:
            continue
        kind = _kind(rec["source"])
        bases = pts[(pts["model"] == rec["base_model"]) & (pts["source"].map(_kind) == kind)]
        if bases.empty:
            continue
        base = bases.sort_values("source", key=lambda s: s.map({"reproduced": 0}).fillna(1)).iloc[0]
        rows.append({
            "setting": rec["setting"], "method": rec["method"], "model": rec["model"], "base_model": base["model"],
            "kind": kind, "source": rec["source"], "length_from": base["ae2_length"], "length_to": rec["ae2_length"],
            "wr_from": base["ae2_wr"], "wr_to": rec["ae2_wr"], "lc_from": base["ae2_lc"], "lc_to": rec["ae2_lc"],
        })
    df = pd.DataFrame(rows, columns=ARROW_COLUMNS)
    df["d_length"] = df["length_to"] - df["length_from"]
    df["d_wr"] = df["wr_to"] - df["wr_from"]
    df["d_lc"] = df["lc_to"] - df["lc_from"]
    return df


def length_correlations(*frames: pd.DataFrame, by: str = "group", n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Spearman ρ of length vs WR and vs LC per ``by`` group, with percentile bootstrap 95% CIs.

    Pass the backdrop and the model points together to get one row per group and metric; groups
    with fewer than 3 points having both numbers get NaN.
    """
    import pandas as pd

    from harness.analysis.stats import spearman_ci

    frames = tuple(f for f in frames if not f.empty)
    pts = pd.concat(frames, ignore_index=True) if frames else _frame([])
    rows = []
    for group, grp in pts.groupby(by, sort=False):
        for metric, label in (("ae2_wr", "WR"), ("ae2_lc", "LC")):
            sub = placed(grp, metric)
            r = spearman_ci(sub["ae2_length"].to_numpy(), sub[metric].to_numpy(), n_boot=n_boot, seed=seed)
            rows.append({by: group, "metric": label, "n": r["n"], "rho": r["rho"], "ci_low": r["ci_low"],
                         "ci_high": r["ci_high"]})
    return pd.DataFrame(rows, columns=[by, "metric", "n", "rho", "ci_low", "ci_high"])


def method_setting_table(points: pd.DataFrame, metric: str = "ae2_lc") -> pd.DataFrame:
    """``metric`` by (source, method) x setting, for a quick look at the published grid."""
    return points.pivot_table(index=["source", "method"], columns="setting", values=metric, aggfunc="mean").round(1)
