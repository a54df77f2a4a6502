"""Shared fixtures. Tests may read ../shared (public data beside the checkout)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# Wall-clock deadlines flake on a loaded 2-core machine; property tests are judged on results only.
settings.register_profile("harness", deadline=None, print_blob=True)
settings.load_profile("harness")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the checkout")
    return SHARED


@pytest.fixture()
def offline(monkeypatch):
    """No hub access and no judge API key: what CI and the embedded default see."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


@pytest.fixture()
def baseline(tmp_path_factory, offline):
    """A completed tiny alpaca_eval `run` (built once per session, copied by tests that modify it)."""
    from tests.helpers import run_env

    return run_env.completed_baseline(tmp_path_factory.mktemp("baseline"))


@pytest.fixture()
def toy():
    """The toy judged benchmark of tests/helpers/toy_benchmark.py, registered for the test only."""
    import harness.benchmarks as benchmarks
    from tests.helpers.toy_benchmark import TOY

    benchmarks.register(TOY)
    yield TOY
    benchmarks.unregister(TOY.name)
