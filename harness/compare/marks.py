"""Mark the reproduced cells of a table that differ significantly from a baseline model's.

Rows are the table rows of :mod:`harness.tables.paper` (``name``, the names their results may be
stored under in ``LOOKUP``, ``<metric>_repro`` values); the study table builds rows of the same
shape, or calls :func:`harness.compare.runs.compare_pairs` with its own runs and
:func:`mark_rows` on the result. Each other row is compared with the baseline row by the paired
test of every benchmark both have scored; a cell whose Holm-adjusted p (over every comparison of
the table) is below ``alpha`` gets :data:`MARK` after its value and a footnote naming the test,
the difference with its CI and the adjusted p.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.compare.runs import CompareResult, CompareSettings, compare_pairs
from harness.compare.table import ALPHA, significant
from harness.errors import HarnessError

MARK = "†"


def table_runs(results_dir: Path, rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Path]]:
    """Row name -> benchmark -> the scored run directory its reproduced cells were read from (the
    first of the row's lookup names with a scores.json, as ``read_reproduced``)."""
    from harness.store.layout import RunDir
    from harness.tables.paper import LOOKUP, metric_benchmarks

    benchmarks = list(dict.fromkeys(metric_benchmarks().values()))
    out: dict[str, dict[str, Path]] = {}
    for row in rows:
        runs: dict[str, Path] = {}
        for bench in benchmarks:
            hit = next((RunDir(Path(results_dir), n, bench) for n in row.get(LOOKUP, [row["name"]])
                        if RunDir(Path(results_dir), n, bench).scores.is_file()), None)
            if hit is not None:
                runs[bench] = hit.path
        out[str(row["name"])] = runs
    return out


def baseline_row(rows: Sequence[Mapping[str, Any]], baseline: str) -> str:
    """The name of the row ``baseline`` designates (its name or any of its lookup names)."""
    from harness.tables.paper import LOOKUP

    for row in rows:
        if baseline == row["name"] or baseline in row.get(LOOKUP, ()):
            return str(row["name"])
    raise HarnessError(f"--baseline {baseline!r} is not one of the table's models "
                       f"({', '.join(str(r['name']) for r in rows)})")


def _footnote(c: Any, label: str, n_tests: int) -> str:
    ci = f", {100 * c.confidence:g}% CI [{c.ci_low:+.2f}, {c.ci_high:+.2f}]" if c.ci_low is not None else ""
    return (f"{MARK} {c.model_a} {label}: differs from {c.model_b} (Δ {c.estimate:+.2f}{ci}; {c.method}; "
            f"Holm-adjusted p = {c.p_holm:.2g} over {n_tests} test(s); {c.rounds} rounds, seed {c.seed})"
            + (f"; {c.note}" if c.note else ""))


def mark_rows(rows: Sequence[dict[str, Any]], result: CompareResult, alpha: float = ALPHA) -> list[str]:
    """Add :data:`MARK` to ``<metric>_repro_flag`` of each significant cell (rows keyed by ``name`` =
    the comparison's ``model_a``) and its footnote to the row's ``_footnotes``; returns the table's
    legend notes (what the mark means, what could not be tested)."""
    from harness.benchmarks import metric_specs

    labels = {k: m.label for k, (_, m) in metric_specs().items()}
    by_name = {str(r["name"]): r for r in rows}
    n_tests = sum(c.p_value is not None for c in result.comparisons)
    untested = []
    for c in result.comparisons:
        row = by_name.get(c.model_a)
        key = f"{c.metric}_repro"
        if row is None or row.get(key) is None:
            continue
        if c.p_value is None:
            untested.append(f"{c.model_a} {labels.get(c.metric, c.metric)}: {c.note}")
        elif significant(c, alpha):
            row[f"{key}_flag"] = (row.get(f"{key}_flag") or "") + MARK
            row.setdefault("_footnotes", []).append(_footnote(c, labels.get(c.metric, c.metric), n_tests))
    baselines = sorted({c.model_b for c in result.comparisons})
    s = result.settings
    legend = [f"{MARK} reproduced number significantly different from {', '.join(baselines) or 'the baseline'}'s "
              f"(paired test of each benchmark on the same items, Holm over {n_tests} test(s), α = {alpha:g}; "
              f"{s.rounds} bootstrap rounds, seed {s.seed})"]
    return legend + [f"not tested: {u}" for u in untested] + result.notes


def significance_marks(rows: Sequence[dict[str, Any]], results_dir: Path, baseline: str, *,
                       settings: CompareSettings | None = None, data_dir: Path | None = None,
                       alpha: float = ALPHA) -> tuple[CompareResult, list[str]]:
    """Compare every row with the ``baseline`` row on their reproduced runs and mark the rows
    (:func:`mark_rows`); returns the comparisons and the legend notes."""
    base = baseline_row(rows, baseline)
    runs = table_runs(Path(results_dir), rows)
    if not runs[base]:
        raise HarnessError(f"--baseline {baseline!r} has no scored run under {results_dir}")
    pairs = [(name, base) for name in runs if name != base]
    result = compare_pairs(runs, pairs, settings=settings, data_dir=data_dir)
    return result, mark_rows(rows, result, alpha)
