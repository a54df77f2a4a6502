"""Small statistics for the analysis: Wilson intervals, binned win rates, Spearman correlation with a
bootstrap CI, and a least-squares slope with its standard error."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

Z95 = 1.959963984540054


def wilson_interval(p_hat: np.ndarray | float, n: np.ndarray | float, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion ``p_hat`` observed over ``n`` trials.

    Soft outcomes (AlpacaEval preferences in [0, 1], Arena-Hard ties as 0.5) are treated as if
    their mean were a proportion over ``n`` trials, which is the usual approximation.
    """
    p = np.asarray(p_hat, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # the interval always holds p_hat; min/max only undo rounding at p_hat = 0 or 1
    return np.clip(np.minimum(centre - half, p), 0.0, 1.0), np.clip(np.maximum(centre + half, p), 0.0, 1.0)


def binned_win_rate(rows: pd.DataFrame, n_bins: int = 10, x: str = "d_len", y: str = "win") -> pd.DataFrame:
    """Mean outcome (percent) per quantile bin of ``x`` with Wilson 95% CIs, over judged rows.

    Bins hold about equally many rows; with few rows there are fewer bins (at least 5 rows each).
    """
    import pandas as pd

    data = rows[rows["judged"]] if "judged" in rows else rows
    columns = ["x_low", "x_high", "x_mean", "n", "win_rate", "ci_low", "ci_high"]
    if data.empty:
        return pd.DataFrame(columns=columns)
    q = max(1, min(n_bins, len(data) // 5))
    bins = pd.qcut(data[x].rank(method="first"), q=q, labels=False)
    g = data.groupby(bins)
    out = pd.DataFrame({"x_low": g[x].min(), "x_high": g[x].max(), "x_mean": g[x].mean(), "n": g[y].size(),
                        "win_rate": g[y].mean()}).reset_index(drop=True)
    lo, hi = wilson_interval(out["win_rate"].to_numpy(), out["n"].to_numpy())
    out["win_rate"] *= 100.0
    out["ci_low"], out["ci_high"] = lo * 100.0, hi * 100.0
    return out[columns]


def _ranks(a: np.ndarray) -> np.ndarray:
    """Average ranks along the last axis (ties share their mean rank)."""
    from scipy.stats import rankdata

    return rankdata(a, axis=-1)


def _pearson_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    den = np.sqrt((xc * xc).sum(axis=-1) * (yc * yc).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (xc * yc).sum(axis=-1) / np.where(den > 0, den, 1.0), np.nan)


def spearman(x: np.ndarray | list[float], y: np.ndarray | list[float]) -> float:
    """Spearman's rank correlation (NaN when either side is constant or fewer than 2 points)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) < 2:
        return math.nan
    return float(_pearson_rows(_ranks(x[None, :]), _ranks(y[None, :]))[0])


def spearman_ci(x: np.ndarray | list[float], y: np.ndarray | list[float], n_boot: int = 2000, seed: int = 0,
                level: float = 0.95) -> dict[str, Any]:
    """Spearman ρ with a percentile bootstrap CI over resampled (x, y) pairs.

    Resamples where one side is constant have no ρ and are left out of the percentiles; the number
    of resamples used is returned as ``n_boot_used``.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    rho = spearman(x, y) if n >= 3 else math.nan  # two points always give ±1
    out: dict[str, Any] = {"rho": rho, "ci_low": math.nan, "ci_high": math.nan, "n": n, "n_boot_used": 0}
    if n < 3 or math.isnan(rho):
        return out
    idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    boot = _pearson_rows(_ranks(x[idx]), _ranks(y[idx]))
    boot = boot[~np.isnan(boot)]
    if len(boot):
        alpha = (1 - level) / 2
        out.update(ci_low=float(np.quantile(boot, alpha)), ci_high=float(np.quantile(boot, 1 - alpha)),
                   n_boot_used=len(boot))
    return out


def ols_slope(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope of ``y`` on ``x`` and its standard error (NaN if undefined)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    sxx = float(((x - x.mean()) ** 2).sum()) if n else 0.0
    if n < 3 or sxx == 0:
        return math.nan, math.nan
    slope = float(((x - x.mean()) * (y - y.mean())).sum() / sxx)
    resid = y - y.mean() - slope * (x - x.mean())
    se = math.sqrt(float((resid**2).sum()) / (n - 2) / sxx)
    return slope, se
