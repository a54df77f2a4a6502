"""Where the notebook (and anyone scripting the analysis) finds its data.

Environment variables, each optional:

* ``SIMPO_HARNESS_RESULTS``: the results directory (default ``<repo>/results``);
* ``SIMPO_HARNESS_DATA_DIR``: the AlpacaEval data dir (leaderboard, GLM weights, reference outputs;
  default ``<repo>/../shared/alpaca_eval_validation_data`` when present, else the public sources);
* ``SIMPO_HARNESS_ARENA_DATA_DIR``: Arena-Hard v0.1 data (the gpt-4-0314 baseline answers; default
  ``<repo>/../shared/data/arena_hard_v0.1`` when present, else the public copy);
* ``SIMPO_HARNESS_OFFICIAL_FILES``: published AlpacaEval / arena-hard-auto run files (default
  ``<repo>/../shared/official_files`` when present, else none);
* ``SIMPO_HARNESS_FIGURES``: where the figures are saved (default ``<results>/figures``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.paths import REPO_ROOT


@dataclass(frozen=True)
class AnalysisInputs:
    results_dir: Path
    data_dir: Path | None
    arena_data_dir: Path | None
    official_dir: Path | None
    figures_dir: Path


def _dir(env: Mapping[str, str], var: str, default: Path | None) -> Path | None:
    value = env.get(var)
    if value:
        return Path(value)
    return default if default is not None and default.is_dir() else None


def analysis_inputs(env: Mapping[str, str] | None = None, repo_root: Path | None = None) -> AnalysisInputs:
    """The analysis inputs from ``env`` (default ``os.environ``); see the module docstring."""
    env = os.environ if env is None else env
    root = Path(repo_root) if repo_root is not None else REPO_ROOT
    shared = root.parent / "shared"
    results = Path(env.get("SIMPO_HARNESS_RESULTS") or root / "results")
    return AnalysisInputs(
        results_dir=results,
        data_dir=_dir(env, "SIMPO_HARNESS_DATA_DIR", shared / "alpaca_eval_validation_data"),
        arena_data_dir=_dir(env, "SIMPO_HARNESS_ARENA_DATA_DIR", shared / "data" / "arena_hard_v0.1"),
        official_dir=_dir(env, "SIMPO_HARNESS_OFFICIAL_FILES", shared / "official_files"),
        figures_dir=Path(env.get("SIMPO_HARNESS_FIGURES") or results / "figures"),
    )
