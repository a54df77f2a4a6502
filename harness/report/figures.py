"""The analysis figures of a report: each benchmark's figure hook (``BenchmarkSpec.report.figures``)
draws them from the runs of the report (``harness.analysis`` and its own package's analysis), and
they are embedded as SVG. A figure that cannot be drawn is a note in the report, never an error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.report.data import Figure


@dataclass
class FigureSet:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def as_figure(fig: Any, title: str, caption: str = "") -> Figure:
    """A matplotlib figure as a report :class:`Figure` (standalone SVG, its ids prefixed)."""
    from harness.analysis.plots import figure_to_svg

    return Figure(title=title, svg=figure_to_svg(fig), caption=caption)


def collect_figures(results_dir: Path, run_dirs: Sequence[str], benchmarks: Sequence[str],
                    data_dir: Path | None = None) -> FigureSet:
    """The figures of every benchmark in ``benchmarks`` that declares a figure hook, for the runs of
    ``run_dirs`` (model directories under ``results_dir``)."""
    from harness.benchmarks import get_spec
    from harness.benchmarks.spec import load_attr

    hooks = [(get_spec(b), get_spec(b).report) for b in benchmarks]
    hooks = [(spec, view.figures) for spec, view in hooks if view is not None and view.figures]
    if not hooks:
        return FigureSet()
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return FigureSet(notes=["figures not drawn: they need matplotlib (pip install 'simpo-harness[notebook]')"])
    out = FigureSet()
    for spec, ref in hooks:
        try:
            got = load_attr(ref)(Path(results_dir), list(run_dirs), data_dir)
        except HarnessError as exc:
            out.notes.append(f"{spec.title} figures not drawn: {exc}")
            continue
        out.figures += got.figures
        out.notes += got.notes
    return out
