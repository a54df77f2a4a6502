"""Fixtures of the analysis tests: the public AlpacaEval / Arena-Hard data in ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def ae_data_dir(shared_dir: Path) -> Path:
    return shared_dir / "alpaca_eval_validation_data"


@pytest.fixture(scope="session")
def arena_data_dir(shared_dir: Path) -> Path:
    return shared_dir / "data" / "arena_hard_v0.1"


@pytest.fixture(scope="session")
def official_dir(shared_dir: Path) -> Path:
    return shared_dir / "official_files"


@pytest.fixture(scope="session")
def leaderboard_csv(ae_data_dir: Path) -> Path:
    return ae_data_dir / "leaderboards" / "weighted_alpaca_eval_gpt4_turbo_leaderboard.main.csv"


@pytest.fixture(scope="session")
def lb(ae_data_dir: Path):
    from harness.benchmarks.alpaca_eval.leaderboard import load_leaderboard

    return load_leaderboard(ae_data_dir)


@pytest.fixture(scope="session")
def official_ae_runs(official_dir: Path, ae_data_dir: Path, lb):
    from harness.benchmarks.alpaca_eval.analysis import official_alpaca_runs

    return official_alpaca_runs(official_dir, ("claude-2", "alpaca-7b"), data_dir=ae_data_dir, leaderboard=lb[0])


@pytest.fixture(scope="session")
def baseline_answers(arena_data_dir: Path):
    from harness.benchmarks.arena_hard.analysis import load_baseline_answers

    return load_baseline_answers(arena_data_dir)


@pytest.fixture(scope="session")
def native_results(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Path:
    from tests.analysis.native_runs import build_results

    root = tmp_path_factory.mktemp("results")
    build_results(root, shared_dir)
    return root
