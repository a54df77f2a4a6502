"""Headless Chromium through selenium and Debian's chromedriver, for the report's browser tests.

``chrome()`` starts it with the flags this machine needs (no sandbox, GPU, QUIC, background
networking, component updates or sync; a fresh empty profile) and the browser log enabled;
``unavailable()`` says why it cannot run (the tests skip with that reason).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
DRIVER_CANDIDATES = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1000")


def _first(env: str, candidates: tuple[str, ...], name: str) -> str | None:
    found = os.environ.get(env) or next((c for c in candidates if Path(c).is_file()), None) or shutil.which(name)
    return found if found and Path(found).is_file() else None


def binaries() -> tuple[str | None, str | None]:
    return _first("CHROMIUM", CHROMIUM_CANDIDATES, "chromium"), _first("CHROMEDRIVER", DRIVER_CANDIDATES, "chromedriver")


def unavailable() -> str | None:
    """None when a browser test can run, else the reason it cannot."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install 'simpo-harness[browser]')"
    browser, driver = binaries()
    if browser is None or driver is None:
        return "chromium / chromedriver not found (bash scripts/install_browser.sh installs Debian's packages)"
    return None


@contextmanager
def chrome() -> Iterator[Any]:
    """A headless Chromium WebDriver with a new empty profile, quit and cleaned up afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = binaries()
    profile = tempfile.mkdtemp(prefix="report-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(browser)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    web = webdriver.Chrome(service=Service(str(driver)), options=options)
    try:
        yield web
    finally:
        web.quit()
        shutil.rmtree(profile, ignore_errors=True)


def console_problems(web: Any) -> list[dict[str, Any]]:
    """Browser log entries of level WARNING or worse since the last call (the log is drained)."""
    return [e for e in web.get_log("browser") if e.get("level") in ("WARNING", "SEVERE")]
