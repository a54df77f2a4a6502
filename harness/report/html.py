"""Render :class:`~harness.report.data.ReportData` as one self-contained HTML file.

The header, the comparison table, the paired comparisons and the figures are static HTML
(escaped here); the item browser is drawn by the page's script from one embedded JSON blob,
a page of items at a time, inserting every text with ``textContent`` (never as markup). The
page loads nothing: its script and style are inlined from ``assets/``, figures are ``data:``
images, and a Content-Security-Policy forbids every fetch, so it works from ``file://``.
"""

from __future__ import annotations

import base64
import json
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from harness.report.data import Comparison, Figure, ReportData, Table, TableColumn
from harness.tables.render import Column, format_cell

CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "base-uri 'none'; form-action 'none'")
DATA_ELEMENT_ID = "report-data"
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def asset(name: str) -> str:
    """A file of ``harness/report/assets`` (the page's script and style)."""
    return resources.files("harness.report").joinpath("assets", name).read_text(encoding="utf-8")


def embed_json(obj: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&``
    appear literally (so no ``</script>`` or ``<!--`` can end or change the element)."""
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return "".join(_JSON_ESCAPES.get(ch, ch) for ch in text)


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def render_report(data: ReportData) -> str:
    """The report page as one string."""
    payload = data.to_dict()
    browser = {"models": payload["models"], "sections": payload["sections"]}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(data.title)}</title>",
        f"<style>{asset('report.css')}</style></head><body>",
        _header(data),
        _nav(data),
        _table_section(data.table),
        _compare_section(data.comparisons),
        _figures_section(data.figures),
        '<section id="items"><h2>Items</h2>',
        '<noscript><p class="warn">The item browser needs JavaScript.</p></noscript>',
        '<div id="browser"><p class="muted">Loading items&hellip;</p></div></section>',
        f'<script type="application/json" id="{DATA_ELEMENT_ID}">{embed_json(browser)}</script>',
        f"<script>{asset('report.js')}</script>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def write_report(data: ReportData, path: Path | str) -> Path:
    """Render ``data`` and write it to ``path`` atomically; returns the path."""
    from harness.store.jsonl import write_text_atomic

    path = Path(path)
    write_text_atomic(path, render_report(data))
    return path


# --------------------------------------------------------------------------- static parts
def _header(data: ReportData) -> str:
    judges = "".join(
        f'<li class="judge{"" if j.official else " unofficial"}">{_e(j.name)}'
        + (f" <span class=\"muted\">({_e(', '.join(j.benchmarks))})</span>" if j.benchmarks else "")
        + ("" if j.official else ' <span class="badge warn">not an official judge</span>')
        + (f" &mdash; {_e(j.note)}" if j.note else "") + "</li>"
        for j in data.judges)
    rows = [("Generated", data.generated), ("Results", data.results_dir),
            ("Models", ", ".join(data.models)), ("Benchmarks", ", ".join(data.benchmarks))]
    meta = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    if judges:
        meta += f'<dt>Judges</dt><dd><ul class="judges">{judges}</ul></dd>'
    notes = "".join(f"<li>{_e(n)}</li>" for n in data.notes)
    return (f'<header><h1>{_e(data.title)}</h1><dl class="meta">{meta}</dl>'
            + (f'<ul class="notes">{notes}</ul>' if notes else "") + "</header>")


def _nav(data: ReportData) -> str:
    links = [("table", "Table", data.table is not None), ("compare", "Compare", bool(data.comparisons)),
             ("figures", "Figures", bool(data.figures)), ("items", "Items", True)]
    return "<nav>" + " ".join(f'<a href="#{k}">{label}</a>' for k, label, show in links if show) + "</nav>"


def _cell(value: Any, col: TableColumn) -> str:
    text = format_cell(value, Column(col.key, col.header, col.digits, col.signed))
    return "&ndash;" if text is None else _e(text)


def _table_section(table: Table | None) -> str:
    if table is None:
        return ""
    numeric = [c.digits is not None for c in table.columns]
    head = "".join(f'<th{" class=num" if n else ""}>{_e(c.header)}</th>'
                   for c, n in zip(table.columns, numeric, strict=True))
    body, reasons = [], []
    for row in table.rows:
        cells = []
        for col, num in zip(table.columns, numeric, strict=True):
            text = _cell(row.values.get(col.key), col)
            why = row.incomplete.get(col.key)
            if why:
                text += '<sup class="flag">*</sup>'
                reasons.append(why)
            cls = ' class="num"' if num else ""
            title = f' title="incomplete: {_e(why)}"' if why else ""
            cells.append(f"<td{cls}{title}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    notes = list(table.footnotes)
    if reasons:
        notes.insert(0, "* incomplete score, not comparable to the published number: "
                     + "; ".join(dict.fromkeys(reasons)))
    foot = "".join(f"<p class=\"footnote\">{_e(n)}</p>" for n in notes)
    return (f'<section id="table"><h2>{_e(table.title)}</h2><div class="scroll"><table class="data">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>{foot}</section>")


def _num(value: float | int | None, digits: int = 2, signed: bool = False) -> str:
    if value is None:
        return "&ndash;"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _p(value: float | None) -> str:
    if value is None:
        return "&ndash;"
    return f"{value:.3f}" if value >= 0.001 else f"{value:.1e}"


def _compare_section(rows: list[Comparison]) -> str:
    if not rows:
        return ""
    head = ("Benchmark", "Metric", "A", "B", "Δ (A−B)", "95% CI", "p", "p (Holm)", "n paired", "only A",
            "only B", "Method", "Rounds", "Seed", "Note")
    body = []
    for c in rows:
        ci = "&ndash;" if c.ci_low is None or c.ci_high is None else f"[{_num(c.ci_low)}, {_num(c.ci_high)}]"
        sig = c.p_holm is not None and c.p_holm < 0.05
        cells = [_e(c.benchmark), _e(c.metric), _e(c.model_a), _e(c.model_b), _num(c.delta, signed=True), ci,
                 _p(c.p_value), _p(c.p_holm) + (' <span class="badge sig">significant</span>' if sig else ""),
                 str(c.n_paired), str(c.n_only_a), str(c.n_only_b), _e(c.method),
                 "&ndash;" if c.rounds is None else str(c.rounds), "&ndash;" if c.seed is None else str(c.seed),
                 _e(c.note)]
        body.append(f'<tr{" class=sig" if sig else ""}>' + "".join(f"<td>{x}</td>" for x in cells) + "</tr>")
    heads = "".join(f"<th>{_e(h)}</th>" for h in head)
    return ('<section id="compare"><h2>Paired comparisons</h2><div class="scroll"><table class="data">'
            f"<thead><tr>{heads}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
            '<p class="footnote">Δ = A − B on the items both models have; items only one model has are '
            "counted, not used. Significant: Holm-adjusted p &lt; 0.05 over the comparisons shown.</p></section>")


def svg_data_uri(svg: str) -> str:
    """An SVG as a ``data:`` URI: shown as an image, its ids, styles and scripts stay its own."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _figures_section(figures: list[Figure]) -> str:
    if not figures:
        return ""
    items = "".join(
        f'<figure><img alt="{_e(f.title)}" src="{svg_data_uri(f.svg)}"><figcaption><strong>{_e(f.title)}</strong>'
        + (f" &mdash; {_e(f.caption)}" if f.caption else "") + "</figcaption></figure>"
        for f in figures)
    return f'<section id="figures"><h2>Figures</h2><div class="figures">{items}</div></section>'
