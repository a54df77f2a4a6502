"""A progress bar for judge calls: done / cached / failed, growing as benchmarks submit batches.

Benchmarks submit judge requests in chunks (so annotations are persisted as they finish), and
only they know how many calls an item needs, so the bar's total grows with each submitted chunk.
"""

from __future__ import annotations

import sys
import threading
from typing import Any


class JudgeProgress:
    """Counts judge results; draws a tqdm bar on stderr when ``enabled``."""

    def __init__(self, desc: str, enabled: bool = True) -> None:
        self.desc = desc
        self.enabled = enabled
        self.submitted = self.done = self.cached = self.failed = 0
        self._bar: Any = None
        self._lock = threading.Lock()

    def submit(self, n: int) -> None:
        with self._lock:
            self.submitted += n
            if self.enabled and self._bar is None:
                from tqdm import tqdm

                self._bar = tqdm(total=self.submitted, desc=self.desc, unit="call", file=sys.stderr,
                                 dynamic_ncols=True)
            elif self._bar is not None:
                self._bar.total = self.submitted
                self._bar.refresh()

    def result(self, *, cached: bool = False, failed: bool = False) -> None:
        with self._lock:
            self.done += 1
            self.cached += cached
            self.failed += failed
            if self._bar is not None:
                self._bar.set_postfix_str(f"new={self.done - self.cached} cached={self.cached} failed={self.failed}",
                                          refresh=False)
                self._bar.update(1)

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
