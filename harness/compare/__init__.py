"""Compare two models on the same items: paired tests, Holm correction, table rows.

``compare_items(kind, a, b, rounds=, seed=)`` -> :class:`Comparison`; ``holm(results)`` fills the
adjusted p-values of one call's comparisons; ``format_rows`` / ``render_comparisons`` print them.
Per-benchmark item values come from :mod:`harness.compare.extract` (and
:mod:`harness.compare.alpaca_lc` for AlpacaEval LC).
"""

from harness.compare.core import KINDS, Comparison, align, compare_items, holm, unavailable
from harness.compare.table import COLUMNS, OUTPUT_FORMATS, format_rows, render_comparisons, significant

__all__ = ["COLUMNS", "KINDS", "OUTPUT_FORMATS", "Comparison", "align", "compare_items", "format_rows", "holm",
           "render_comparisons", "significant", "unavailable"]
