"""Where things live: bundled configs, benchmark data, results."""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import HarnessError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


def model_configs_dir() -> Path:
    """The directory of released-model YAMLs (env ``SIMPO_HARNESS_MODEL_CONFIGS`` overrides)."""
    override = os.environ.get("SIMPO_HARNESS_MODEL_CONFIGS")
    return Path(override) if override else REPO_ROOT / "model_configs"


def default_results_dir() -> Path:
    return Path(os.environ.get("SIMPO_HARNESS_RESULTS", "results"))


def require_file(path: Path, what: str, hint: str = "") -> Path:
    """Return ``path`` if it exists, else raise a one-line error naming the missing file."""
    if not path.is_file():
        extra = f" ({hint})" if hint else ""
        raise HarnessError(f"{what} not found: {path}{extra}")
    return path
