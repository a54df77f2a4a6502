"""Fixtures of the report tests: real published AlpacaEval runs laid out as a results directory."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from tests.report.builders import official_alpaca_results

OFFICIAL_MODELS = ("claude-2", "alpaca-7b")


@pytest.fixture(scope="session")
def alpaca_data(shared_dir) -> Path:
    return shared_dir / "alpaca_eval_validation_data"


@pytest.fixture(scope="session")
def official_annotations(shared_dir) -> dict[str, list[dict[str, Any]]]:
    root = shared_dir / "official_files" / "alpaca_eval" / "results"
    out = {}
    for model in OFFICIAL_MODELS:
        with gzip.open(root / model / "weighted_alpaca_eval_gpt4_turbo" / "annotations.json.gz", "rt") as fh:
            out[model] = json.load(fh)
    return out


@pytest.fixture(scope="session")
def official_results(tmp_path_factory, shared_dir) -> Path:
    """claude-2 and alpaca-7b's published outputs and annotations as run directories, scored by
    ``AlpacaEval2.score`` (so scores.json is what `score` writes)."""
    results = tmp_path_factory.mktemp("official") / "results"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        return official_alpaca_results(results, shared_dir, OFFICIAL_MODELS)
