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
