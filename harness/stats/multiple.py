"""Holm-Bonferroni step-down adjustment of the p-values of one family of comparisons."""

from __future__ import annotations

import math
from collections.abc import Sequence

from harness.errors import HarnessError


def holm_adjust(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-adjusted p-values in input order; ``None`` entries (no test) stay ``None`` and do not
    count towards the family size. ``adj_(i) = max_{j <= i} min(1, (m - j + 1) p_(j))`` over the
    p-values sorted ascending (ties keep their input order; their adjusted values are equal)."""
    present = [(p, i) for i, p in enumerate(p_values) if p is not None]
    for p, _ in present:
        if not (isinstance(p, (int, float)) and not isinstance(p, bool)) or math.isnan(p) or not 0.0 <= p <= 1.0:
            raise HarnessError(f"p-values must be numbers in [0, 1], got {p!r}")
    m = len(present)
    out: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(sorted(present, key=lambda t: t[0])):
        running = max(running, min(1.0, (m - rank) * float(p)))
        out[i] = running
    return out
