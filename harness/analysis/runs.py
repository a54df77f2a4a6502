"""Runs under a results directory, and what the registry knows about their models.

A run is ``<results>/<model>/<benchmark>/``. It counts as **reproduced** when its generations were
made by this harness (``generations.jsonl`` beside the scores), and as **imported** when it was
scored from outside files only (``simpo-harness score --outputs/--annotations --out ...``); a
``"source"`` field of ``scores.json`` (``reproduced`` / ``imported``) overrides that rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

RUN_SOURCES = ("reproduced", "imported")


@dataclass(frozen=True)
class ModelInfo:
    """Registry facts about a model name (all None outside the registry)."""

    name: str
    setting: str | None = None
    method: str | None = None
    base_model: str | None = None
    in_registry: bool = False


def model_info(name: str, registry: Any = None) -> ModelInfo:
    """Setting, method and SFT starting point of ``name`` (a registry name, HF repo id or run dir name)."""
    from harness.registry.models import load_registry

    registry = registry if registry is not None else load_registry()
    cfg = registry.find(name)
    if cfg is None:
        return ModelInfo(name=name)
    base = cfg.base_model
    if base is not None:
        base_cfg = registry.find(base)
        base = base_cfg.name if base_cfg is not None else base
    return ModelInfo(name=cfg.name, setting=cfg.setting, method=cfg.method, base_model=base, in_registry=True)


def match_names(names: Iterable[str], registry: Any = None) -> dict[str, str]:
    """Registry model name -> one of ``names`` (e.g. leaderboard rows), matched by registry name, then
    by the last part of ``hf_repo`` / ``hf_repo_canonical`` (case-insensitive)."""
    from harness.registry.models import load_registry

    registry = registry if registry is not None else load_registry()
    by_lower = {str(m).lower(): str(m) for m in names}
    out: dict[str, str] = {}
    for cfg in registry:
        keys = [cfg.name.lower()] + [r.rsplit("/", 1)[-1].lower() for r in (cfg.hf_repo, cfg.hf_repo_canonical) if r]
        hit = next((by_lower[k] for k in keys if k in by_lower), None)
        if hit is not None:
            out[cfg.name] = hit
    return out


def metric_benchmark(metric: str) -> str:
    """The benchmark whose scores.json reports ``metric`` (from the specs, so nothing names it here)."""
    from harness.benchmarks import metric_specs

    specs = metric_specs()
    if metric not in specs:
        raise HarnessError(f"no benchmark reports metric {metric!r}")
    return specs[metric][0].name


def read_scores(path: Path) -> dict[str, Any]:
    """A scores.json payload (a one-line error if it is not one)."""
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise HarnessError(f"{path}: not a readable scores.json ({exc})") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("metrics", {}), dict):
        raise HarnessError(f"{path}: not a scores.json payload (needs a 'metrics' mapping)")
    return payload


def run_source(bench_dir: Path, scores: dict[str, Any] | None = None) -> str:
    """``reproduced`` or ``imported`` (see the module docstring)."""
    declared = (scores or {}).get("source")
    if declared in RUN_SOURCES:
        return str(declared)
    return "reproduced" if (Path(bench_dir) / "generations.jsonl").is_file() else "imported"


def discover_runs(results_dir: Path | str | None, benchmark: str, needs: str = "scores.json") -> list[Path]:
    """Benchmark directories ``<results>/<model>/<benchmark>`` holding ``needs``, sorted by model."""
    if results_dir is None or not Path(results_dir).is_dir():
        return []
    return sorted(p.parent for p in Path(results_dir).glob(f"*/{benchmark}/{needs}") if not p.parts[-3].startswith("."))


def run_model_name(bench_dir: Path, scores: dict[str, Any] | None = None) -> str:
    """The run's model: ``scores.json``'s ``model``, else the model directory's name."""
    name = (scores or {}).get("model")
    return str(name) if isinstance(name, str) and name else Path(bench_dir).parent.name
