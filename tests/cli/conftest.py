"""Results directories shared by the `compare`, `table --baseline` and `report` CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compare import native_runs as nr
from tests.report.builders import official_alpaca_results


@pytest.fixture(scope="session")
def official(tmp_path_factory, shared_dir) -> Path:
    """claude-2 and alpaca-7b's published AlpacaEval runs, scored by AlpacaEval2.score."""
    results = tmp_path_factory.mktemp("cmp-official") / "results"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        official_alpaca_results(results, shared_dir)
    return results


@pytest.fixture(scope="session")
def native(tmp_path_factory, shared_dir) -> Path:
    """Native Arena-Hard and MT-Bench runs of "strong" and "weak", and two ZeroEval GSM8K runs
    (``native_data`` holds their gsm8k/test.jsonl)."""
    root = tmp_path_factory.mktemp("cmp-native")
    results = root / "results"
    nr.write_arena(results, shared_dir / "data/arena_hard_v0.1",
                   {"strong": ["bigwin", "win", "tie", "win"], "weak": ["loss", "tie", "loss"]})
    nr.write_mt_bench(results, shared_dir / "data/mt_bench", {"strong": [8, 9, 7, 9, 6], "weak": [3, 5, 4, 2]})
    nr.write_gsm8k(results, root / "data", shared_dir)
    return results


@pytest.fixture(scope="session")
def native_data(native) -> Path:
    return native.parent / "data"
