"""The results layout (documented in results/README.md).

    results/<model>/<benchmark>/generations.jsonl         one record per (item, turn, sample)
    results/<model>/<benchmark>/generation_manifest.json  the current generate configuration
    results/<model>/<benchmark>/annotations.jsonl         one judge record per judged unit
    results/<model>/<benchmark>/judge_cache.sqlite        every judge call, keyed by request + endpoint
    results/<model>/<benchmark>/judge_runs.jsonl          one line per judge invocation
    results/<model>/<benchmark>/scores.json               scores + manifest
    results/<model>/<benchmark>/.lock                     advisory lock of the process working on it
    results/<model>/run_manifest.json                     the last `run` invocation's manifest
    results/tables/                                       rendered comparison tables
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

GENERATIONS = "generations.jsonl"
ANNOTATIONS = "annotations.jsonl"
SCORES = "scores.json"
GENERATION_MANIFEST = "generation_manifest.json"
JUDGE_CACHE = "judge_cache.sqlite"
JUDGE_RUNS = "judge_runs.jsonl"
LOCK = ".lock"


def safe_name(name: str) -> str:
    """A model name or path as a single directory name (``org/model`` -> ``org__model``)."""
    return _UNSAFE.sub("_", name.strip("/").replace("/", "__"))


@dataclass(frozen=True)
class RunDir:
    """The directory of one (model, benchmark) in a results root."""

    root: Path
    model: str
    benchmark: str

    @classmethod
    def at(cls, path: Path) -> RunDir:
        """The RunDir whose ``path`` is ``path`` (``<root>/<model>/<benchmark>``)."""
        path = Path(path)
        return cls(path.parent.parent, path.parent.name, path.name)

    @property
    def path(self) -> Path:
        return Path(self.root) / safe_name(self.model) / self.benchmark

    @property
    def generations(self) -> Path:
        return self.path / GENERATIONS

    @property
    def generation_manifest(self) -> Path:
        return self.path / GENERATION_MANIFEST

    @property
    def annotations(self) -> Path:
        return self.path / ANNOTATIONS

    @property
    def judge_cache(self) -> Path:
        return self.path / JUDGE_CACHE

    @property
    def judge_runs(self) -> Path:
        return self.path / JUDGE_RUNS

    @property
    def scores(self) -> Path:
        return self.path / SCORES

    @property
    def lock(self) -> Path:
        return self.path / LOCK

    def ensure(self) -> RunDir:
        self.path.mkdir(parents=True, exist_ok=True)
        return self
