"""Compare models on the same items: paired tests, Holm correction, table rows.

``compare_items(kind, a, b, rounds=, seed=)`` -> :class:`Comparison`; ``holm(results)`` fills the
adjusted p-values of one call's comparisons; ``format_rows`` / ``render_comparisons`` print them.
:mod:`harness.compare.runs` compares run directories (``compare_runs``, ``compare_pairs``): the
per-item values come from each benchmark's ``paired_values`` (its own package knows which
judgments / parses its score used), so nothing here names a benchmark.
:mod:`harness.compare.marks` marks table cells that differ significantly from a baseline.
"""

from harness.compare.core import KINDS, Comparison, align, compare_items, holm, unavailable
from harness.compare.table import COLUMNS, OUTPUT_FORMATS, format_rows, render_comparisons, significant

__all__ = ["COLUMNS", "KINDS", "OUTPUT_FORMATS", "Comparison", "align", "compare_items", "format_rows", "holm",
           "render_comparisons", "significant", "unavailable"]
