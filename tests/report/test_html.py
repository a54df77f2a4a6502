"""The HTML renderer: escaping, the embedded JSON, static sections, figures (no browser needed)."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser

import pytest

from harness.report.data import Comparison
from harness.report.html import (
    CSP,
    DATA_ELEMENT_ID,
    asset,
    embed_json,
    render_report,
    svg_data_uri,
    write_report,
)
from tests.report.builders import HOSTILE, synthetic_report


class _Page(HTMLParser):
    """What an HTML tokenizer sees: script elements' contents and every text node."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.texts: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.texts.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


@pytest.mark.parametrize("text", [HOSTILE, "</SCRIPT >", "<!--<script>", "a\u2028b\u2029c", "&lt;x&gt;", "\x00\x1f"])
def test_embedded_json_has_no_markup_and_round_trips(text):
    blob = embed_json({"k": [text, {"n": None, "x": 1.5}]})
    assert not set("<>&\u2028\u2029") & set(blob)
    assert json.loads(blob) == {"k": [text, {"n": None, "x": 1.5}]}


def test_page_keeps_hostile_text_as_text():
    report = synthetic_report(n_items=120, n_models=3, words=15)
    page = render_report(report)
    parsed = _parse(page)
    # exactly our two scripts: the data blob and the browser; no text ever became an element
    assert [a.get("type") for a, _ in parsed.scripts] == ["application/json", None]
    assert not any(tag == "b" for tag, _ in parsed.tags)
    data_attrs, data_text = parsed.scripts[0]
    assert data_attrs["id"] == DATA_ELEMENT_ID
    embedded = json.loads(data_text)
    full = report.to_dict()
    assert embedded == {"models": full["models"], "sections": full["sections"]}
    assert parsed.scripts[1][1].strip() == asset("report.js").strip()
    # the header, notes and table show the hostile strings as text
    assert any(HOSTILE in t for t in parsed.texts)
    assert sum(t.count("window.__pwned=1") for t in parsed.texts) >= 3 + len(report.table.rows)


def test_page_is_self_contained():
    page = render_report(synthetic_report(n_items=5, n_models=2, words=5))
    parsed = _parse(page)
    assert ("meta", {"http-equiv": "Content-Security-Policy", "content": CSP}) in parsed.tags
    assert "default-src 'none'" in CSP
    for tag, attrs in parsed.tags:  # nothing is fetched: no external src/href, no stylesheet link
        assert tag != "link", attrs
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            assert not value or value.startswith(("#", "data:")), (tag, attrs)
    assert asset("report.css").strip()[:40] in page


def test_incomplete_cells_are_starred_with_a_footnote():
    report = synthetic_report(n_items=3, n_models=3, words=5)
    page = render_report(report)
    assert page.count('<sup class="flag">*</sup>') == 1
    assert re.search(r'title="incomplete: 412 of 805"', page)
    assert "* incomplete score, not comparable to the published number: 412 of 805" in page


def test_comparisons_render_every_field_and_mark_holm_significance():
    report = synthetic_report(n_items=2, n_models=2, words=5)
    report.comparisons = [
        Comparison("arena_hard", "ah", "A", "B", 3.21, 1.0, 5.5, 0.0004, 0.0008, 480, 12, 8, "paired bootstrap BT",
                   100, 42, "LC not available"),
        Comparison("gsm8k", "gsm", "A", "B", -0.5, None, None, 0.5, 0.5, 100, 0, 0, "exact McNemar"),
    ]
    page = render_report(report)
    section = page[page.index('id="compare"'):page.index('id="items"')]
    rows = section.split("<tr")[2:]
    assert len(rows) == 2
    cells = re.findall(r"<td>(.*?)</td>", rows[0])
    assert cells[:6] == ["arena_hard", "ah", "A", "B", "+3.21", "[1.00, 5.50]"]
    assert cells[6] == "4.0e-04" and cells[7].startswith("8.0e-04") and "significant" in cells[7]
    assert cells[8:] == ["480", "12", "8", "paired bootstrap BT", "100", "42", "LC not available"]
    cells = re.findall(r"<td>(.*?)</td>", rows[1])
    assert cells[5] == "&ndash;" and "significant" not in cells[7] and cells[12:14] == ["&ndash;", "&ndash;"]


def test_matplotlib_svg_is_isolated_as_an_image(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from harness.analysis.across_models import registry_points
    from harness.analysis.plots import plot_across_models
    from harness.report.collect import svg_figure

    fig = svg_figure(plot_across_models(registry_points()), "Length vs win rate", "published <models>")
    assert "<style" in fig.svg and 'id="' in fig.svg  # its own global style and ids
    report = synthetic_report(n_items=2, n_models=2, words=5)
    report.figures = [fig]
    path = write_report(report, tmp_path / "r.html")
    page = path.read_text(encoding="utf-8")
    parsed = _parse(page)
    (img,) = [a for t, a in parsed.tags if t == "img"]
    assert img["src"] == svg_data_uri(fig.svg)
    assert base64.b64decode(img["src"].split(",", 1)[1]).decode() == fig.svg
    assert "<style type=\"text/css\">*{" not in page and "published &lt;models&gt;" in page
