"""Time to interactive of the HTML report in headless Chromium, against the bare load of its data.

    python bench/report_open.py [--items 805] [--models 5] [--runs 5]

Writes a synthetic report (``--items`` x ``--models`` AlpacaEval-sized answers) and an anchor
page: the same file with the browser script replaced by a bare ``JSON.parse`` of the embedded
blob. Both are opened from file:// ``--runs`` times; prints the median in-page ready time
(``performance.now()`` when the first page of items is drawn / when the parse is done) of each
and their ratio. Exits 1 when the report's median exceeds ``--max-ms`` (the issue's 2 s).
Needs chromium, chromedriver and selenium (``bash scripts/install_browser.sh``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from harness.cli.checks import positive_int  # noqa: E402
from harness.report.html import asset, render_report  # noqa: E402
from tests.report import browser  # noqa: E402
from tests.report.builders import synthetic_report  # noqa: E402

ANCHOR_JS = ("JSON.parse(document.getElementById('report-data').textContent);"
             "window.reportReady = {ms: performance.now()};")


def _ready_ms(web, path: Path, runs: int) -> float:
    from selenium.webdriver.support.ui import WebDriverWait

    times = []
    for _ in range(runs + 1):  # the first load warms the file cache and is not counted
        web.get("about:blank")
        web.get(path.as_uri())
        WebDriverWait(web, 60).until(lambda d: d.execute_script("return window.reportReady || null"))
        times.append(float(web.execute_script("return window.reportReady.ms")))
    return statistics.median(times[1:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=positive_int, default=805)
    parser.add_argument("--models", type=positive_int, default=5)
    parser.add_argument("--runs", type=positive_int, default=5)
    parser.add_argument("--max-ms", type=float, default=2000.0)
    args = parser.parse_args()
    reason = browser.unavailable()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    page = render_report(synthetic_report(n_items=args.items, n_models=args.models))
    anchor = page.replace(asset("report.js"), ANCHOR_JS)
    assert anchor != page
    with tempfile.TemporaryDirectory() as tmp:
        report_path, anchor_path = Path(tmp) / "report.html", Path(tmp) / "anchor.html"
        report_path.write_text(page, encoding="utf-8")
        anchor_path.write_text(anchor, encoding="utf-8")
        with browser.chrome() as web:
            base = _ready_ms(web, anchor_path, args.runs)
            full = _ready_ms(web, report_path, args.runs)
    print(f"report: {args.items} items x {args.models} models, {len(page.encode()) / 1e6:.1f} MB, {args.runs} runs")
    print(f"anchor (load + JSON.parse of the blob) median: {base:7.1f} ms")
    print(f"report (first page of items drawn)     median: {full:7.1f} ms  ({full / base:.2f}x the anchor)")
    ok = full < args.max_ms
    print(f"under {args.max_ms:g} ms: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
