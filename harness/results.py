"""The results layout (documented in results/README.md).

    results/<model>/<benchmark>/generations.jsonl   one record per (item, turn, sample)
    results/<model>/<benchmark>/annotations.jsonl   one judge record per judged unit
    results/<model>/<benchmark>/scores.json         scores + manifest
    results/<model>/run_manifest.json               the last `run` invocation's manifest
    results/tables/                                 rendered comparison tables
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """A model name or path as a single directory name (``org/model`` -> ``org__model``)."""
    return _UNSAFE.sub("_", name.strip("/").replace("/", "__"))


@dataclass(frozen=True)
class RunDir:
    root: Path
    model: str
    benchmark: str

    @property
    def path(self) -> Path:
        return self.root / safe_name(self.model) / self.benchmark

    @property
    def generations(self) -> Path:
        return self.path / "generations.jsonl"

    @property
    def annotations(self) -> Path:
        return self.path / "annotations.jsonl"

    @property
    def scores(self) -> Path:
        return self.path / "scores.json"

    def ensure(self) -> RunDir:
        self.path.mkdir(parents=True, exist_ok=True)
        return self
