"""One colour per training method and one marker per point source, for every figure.

SimPO is drawn in the strongest colour, with a larger marker and a black edge, so it stands out
in every plot; models outside the registry (leaderboard entries, official files of other models)
use ``OTHER``; the leaderboard backdrop is light grey.
"""

from __future__ import annotations

from typing import Any

from harness.registry.models import METHODS

HIGHLIGHT_METHOD = "SimPO"
OTHER = "other"
METHOD_COLORS: dict[str, str] = {
    "SFT": "#4c72b0",
    "RRHF": "#8c564b",
    "SLiC-HF": "#a9a21b",
    "DPO": "#2ca02c",
    "IPO": "#17becf",
    "CPO": "#9467bd",
    "KTO": "#e377c2",
    "ORPO": "#ff7f0e",
    "R-DPO": "#7b4173",
    "SimPO": "#d62728",
    OTHER: "#555555",
}
BACKDROP_COLOR = "#c9c9c9"
REFERENCE_COLOR = "#9a9a9a"
# Point sources, as shown in legends; a figure uses the marker of the point's source.
SOURCE_MARKERS: dict[str, str] = {
    "seed table": "o",
    "leaderboard": "s",
    "reproduced": "*",
    "imported": "D",
    "official files": "^",
}

def method_key(method: str | None) -> str:
    """The colour key of ``method`` (``OTHER`` for unknown or missing methods)."""
    return method if method in METHOD_COLORS else OTHER


def method_color(method: str | None) -> str:
    return METHOD_COLORS[method_key(method)]


def is_highlighted(method: str | None) -> bool:
    return method == HIGHLIGHT_METHOD


def point_style(method: str | None, source: str) -> dict[str, Any]:
    """``scatter`` keyword arguments for one model's point (colour by method, marker by source)."""
    hl = is_highlighted(method)
    marker = SOURCE_MARKERS.get(source, "o")
    size = 90.0 if hl else 55.0
    if marker == "*":
        size *= 2.0
    return {
        "color": method_color(method), "marker": marker, "s": size,
        "edgecolors": "black" if hl else "white", "linewidths": 1.2 if hl else 0.6, "zorder": 4 if hl else 3,
    }


def method_order(methods: list[str | None]) -> list[str]:
    """Distinct colour keys of ``methods`` in the registry's method order (``OTHER`` last)."""
    keys = {method_key(m) for m in methods}
    return [m for m in (*METHODS, OTHER) if m in keys]
