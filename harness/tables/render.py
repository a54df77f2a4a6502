"""Format-only table rendering: a list of row dicts and a list of :class:`Column` specs."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError

FORMATS = ("markdown", "csv", "latex")
MISSING = {"markdown": "-", "csv": "", "latex": "--"}


@dataclass(frozen=True)
class Column:
    """One column: ``key`` into each row, a header, and how to print numbers.

    ``digits`` None means text; otherwise numbers print with that many decimals
    (``signed`` adds a leading +). A two-number list or tuple prints as ``[low, high]``. A row
    holding ``flag_key`` (e.g. ``*`` for an incomplete score) prints it after the value; several
    flag keys print their flags in order (``*`` then ``†`` for a judge that is not the official one).
    """

    key: str
    header: str
    digits: int | None = None
    signed: bool = False
    flag_key: str | tuple[str, ...] | None = None

    @property
    def numeric(self) -> bool:
        return self.digits is not None


def format_cell(value: Any, column: Column) -> str | None:
    """The printed cell, or None when the value is missing."""
    if value is None or value == "":
        return None
    if column.digits is None or isinstance(value, str):
        return str(value)
    if isinstance(value, (list, tuple)):
        low, high = (format_cell(v, Column(column.key, column.header, column.digits)) for v in value)
        return f"[{low}, {high}]"
    number = round(float(value), column.digits) + 0.0  # + 0.0 turns -0.0 into 0.0
    sign = "+" if column.signed else ""
    return f"{number:{sign}.{column.digits}f}"


def _cell(row: dict[str, Any], col: Column) -> str | None:
    text = format_cell(row.get(col.key), col)
    keys = (col.flag_key,) if isinstance(col.flag_key, str) else (col.flag_key or ())
    flag = "".join(str(row[k]) for k in keys if row.get(k))
    return f"{text}{flag}" if text is not None and flag else text


def cells(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> list[list[str | None]]:
    return [[_cell(row, col) for col in columns] for row in rows]


def render(rows: Sequence[dict[str, Any]], columns: Sequence[Column], fmt: str = "markdown",
           notes: Sequence[str] = ()) -> str:
    """Render ``rows`` as ``fmt`` (markdown, csv or latex); the result ends with a newline.

    ``notes`` (footnotes of flagged cells, each starting with its flag) follow a markdown or LaTeX
    table; CSV stays plain rows (a caller adds a notes column where it wants them there).
    """
    if fmt not in FORMATS:
        raise HarnessError(f"unknown table format {fmt!r}; choose one of {', '.join(FORMATS)}")
    body = [[c if c is not None else MISSING[fmt] for c in row] for row in cells(rows, columns)]
    headers = [col.header for col in columns]
    if fmt == "csv":
        return _csv(headers, body)
    if fmt == "latex":
        return _latex(headers, body, columns) + "".join(f"\\par\\footnotesize {latex_escape(n)}\n" for n in notes)
    return _markdown(headers, body, columns) + ("\n" + "\n".join(notes) + "\n" if notes else "")


def _markdown(headers: list[str], body: list[list[str]], columns: Sequence[Column]) -> str:
    esc = [[c.replace("|", r"\|") for c in row] for row in [headers, *body]]
    widths = [max(len(row[i]) for row in esc) for i in range(len(headers))]
    widths = [max(w, 3) for w in widths]

    def line(row: list[str]) -> str:
        parts = [c.rjust(w) if col.numeric else c.ljust(w) for c, w, col in zip(row, widths, columns, strict=True)]
        return "| " + " | ".join(parts) + " |"

    rule = "| " + " | ".join(("-" * (w - 1) + ":") if col.numeric else "-" * w
                             for w, col in zip(widths, columns, strict=True)) + " |"
    return "\n".join([line(esc[0]), rule, *(line(r) for r in esc[1:])]) + "\n"


def _csv(headers: list[str], body: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(body)
    return buf.getvalue()


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def _latex(headers: list[str], body: list[list[str]], columns: Sequence[Column]) -> str:
    spec = "".join("r" if col.numeric else "l" for col in columns)
    lines = [
        f"\\begin{{tabular}}{{{spec}}}",
        "\\toprule",
        " & ".join(latex_escape(h) for h in headers) + r" \\",
        "\\midrule",
        *(" & ".join(latex_escape(c) for c in row) + r" \\" for row in body),
        "\\bottomrule",
        "\\end{tabular}",
    ]
    return "\n".join(lines) + "\n"
