"""Format-only rendering: markdown, CSV, LaTeX."""

from __future__ import annotations

import csv
import io

import pytest

from harness.errors import HarnessError
from harness.tables.render import Column, format_cell, latex_escape, render

COLUMNS = [Column("model", "Model"), Column("score", "Score", 1), Column("length", "Len", 0),
           Column("delta", "Δ", 1, signed=True), Column("ci", "CI", 1)]
ROWS = [
    {"model": "a/b_c", "score": 51.06, "length": 1571.4, "delta": -0.04, "ci": [50.0, 52.25]},
    {"model": "x|y & z", "score": None, "length": 12, "delta": 2.0},
]


def test_format_cell():
    assert format_cell(51.06, COLUMNS[1]) == "51.1"
    assert format_cell(1571.5, COLUMNS[2]) == "1572"
    assert format_cell(-0.04, COLUMNS[3]) == "+0.0"  # no negative zero
    assert format_cell(-1.25, COLUMNS[3]) == "-1.2"
    assert format_cell(3, COLUMNS[3]) == "+3.0"
    assert format_cell([1, 2.26], COLUMNS[4]) == "[1.0, 2.3]"
    assert format_cell(None, COLUMNS[1]) is None
    assert format_cell("n/a", COLUMNS[1]) == "n/a"


def test_markdown_aligns_numbers_right_and_escapes_pipes():
    text = render(ROWS, COLUMNS, "markdown")
    lines = text.splitlines()
    assert len(lines) == 4 and text.endswith("\n")
    assert lines[0].split("|")[1].strip() == "Model"
    assert lines[1].startswith("| ---") and lines[1].split("|")[2].strip().endswith(":")
    assert r"x\|y & z" in lines[3]
    assert lines[3].split("|")[3].strip() == "-"  # missing value
    assert len({len(line) for line in lines}) == 1  # columns padded to equal width


def test_csv_roundtrips():
    parsed = list(csv.reader(io.StringIO(render(ROWS, COLUMNS, "csv"))))
    assert parsed == [
        ["Model", "Score", "Len", "Δ", "CI"],
        ["a/b_c", "51.1", "1571", "+0.0", "[50.0, 52.2]"],
        ["x|y & z", "", "12", "+2.0", ""],
    ]


def test_latex_escapes_and_uses_booktabs():
    text = render(ROWS, COLUMNS, "latex")
    assert text.startswith("\\begin{tabular}{lrrrr}\n\\toprule\n")
    assert r"a/b\_c & 51.1 & 1571 & +0.0 & [50.0, 52.2] \\" in text
    assert r"x|y \& z & -- & 12 & +2.0 & -- \\" in text
    assert text.rstrip().endswith("\\end{tabular}")
    assert latex_escape("50% of $x_1^2#{}~\\") == r"50\% of \$x\_1\textasciicircum{}2\#\{\}\textasciitilde{}\textbackslash{}"


def test_unknown_format():
    with pytest.raises(HarnessError, match="unknown table format 'html'"):
        render(ROWS, COLUMNS, "html")
