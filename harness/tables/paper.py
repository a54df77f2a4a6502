"""Rows and columns for the SimPO README's tables and for arbitrary sets of checkpoints.

Published numbers come from the registry. With a results directory, every metric column
gains "(repro)" and delta columns (and a 95% CI column where scores.json has ``ci``), read
from ``<results>/<safe_name(model)>/<benchmark>/scores.json``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.registry.models import METRIC_BENCHMARK, METRIC_KEYS, ModelConfig, Registry
from harness.results import RunDir
from harness.tables.render import Column

METRIC_COLUMNS: dict[str, Column] = {
    "ae2_lc": Column("ae2_lc", "AE2 LC", 1),
    "ae2_wr": Column("ae2_wr", "AE2 WR", 1),
    "ae2_length": Column("ae2_length", "AE2 Length", 0),
    "ah": Column("ah", "AH", 1),
    "ah_length": Column("ah_length", "AH Length", 0),
    "mt_bench": Column("mt_bench", "MT-Bench", 2),
    "gsm": Column("gsm", "GSM", 1),
    "gsm_length": Column("gsm_length", "GSM Length", 0),
    "mmlu": Column("mmlu", "MMLU", 1),
    "mmlu_length": Column("mmlu_length", "MMLU Length", 0),
}
# The seed README's column layout per table.
PAPER_COLUMNS: dict[str, list[Column]] = {
    "gemma": [Column("hf_repo", "Model")] + [METRIC_COLUMNS[k] for k in (
        "ae2_lc", "ae2_wr", "ae2_length", "ah", "ah_length", "gsm", "gsm_length", "mmlu", "mmlu_length")],
    "v0.2": [Column("label", "Model"), Column("hf_repo", "Checkpoint")]
    + [METRIC_COLUMNS[k] for k in ("ae2_lc", "ae2_wr", "ah")],
    "v0.1": [Column("label", "Model"), Column("hf_repo", "Checkpoint")]
    + [METRIC_COLUMNS[k] for k in ("ae2_lc", "ae2_wr", "ah")],
}
PAPERS = tuple(PAPER_COLUMNS)
_LOOKUP = "_lookup"  # row key: the names under which results may be stored


def _row(cfg: ModelConfig) -> dict[str, Any]:
    pub = cfg.published
    return {
        "name": cfg.name, "hf_repo": cfg.hf_repo, "setting": cfg.setting, "method": cfg.method,
        "label": pub.label if pub else None, "table": pub.table if pub else None,
        **(pub.metrics() if pub else {}),
        _LOOKUP: [n for n in (cfg.name, cfg.hf_repo, cfg.hf_repo_canonical) if n],
    }


def paper_table(registry: Registry, paper: str) -> tuple[list[dict[str, Any]], list[Column]]:
    """The rows (registry order = the README's order) and columns of one published table."""
    if paper not in PAPER_COLUMNS:
        raise HarnessError(f"unknown paper table {paper!r}; choose one of {', '.join(PAPERS)}")
    return [_row(cfg) for cfg in registry.filter(table=paper)], list(PAPER_COLUMNS[paper])


def models_table(
    registry: Registry, names: Sequence[str], results_dir: Path | None = None
) -> tuple[list[dict[str, Any]], list[Column]]:
    """Rows for arbitrary checkpoints: registry models, or any name with results under ``results_dir``."""
    rows: list[dict[str, Any]] = []
    for name in names:
        if Path(name).expanduser().is_dir():  # a checkpoint directory: its results are under its name
            from harness.model_loading import local_checkpoint_name

            name = local_checkpoint_name(Path(name).expanduser().resolve())
        cfg = registry.find(name)
        if cfg is not None:
            rows.append(_row(cfg))
        elif results_dir is not None and _has_results(results_dir, name):
            rows.append({"name": name, _LOOKUP: [name]})
        else:
            registry.get(name)  # raises the did-you-mean error
    columns = [Column("name", "Model"), Column("setting", "Setting"), Column("method", "Method"),
               Column("table", "Published in")]
    metric_cols = [METRIC_COLUMNS[k] for k in METRIC_KEYS if any(r.get(k) is not None for r in rows)]
    if results_dir is not None:  # reproduced-only metrics still need their column
        found = {k for row in rows for k in read_reproduced(results_dir, row[_LOOKUP])[0]}
        metric_cols = [METRIC_COLUMNS[k] for k in METRIC_KEYS if k in found or METRIC_COLUMNS[k] in metric_cols]
    return rows, columns + metric_cols


def _has_results(results_dir: Path, name: str) -> bool:
    return any(RunDir(results_dir, name, b).scores.is_file() for b in set(METRIC_BENCHMARK.values()))


def read_reproduced(results_dir: Path, names: Sequence[str]) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Metrics and CIs from the first of ``names`` that has a scores.json, per benchmark."""
    metrics: dict[str, float] = {}
    cis: dict[str, list[float]] = {}
    for benchmark in dict.fromkeys(METRIC_BENCHMARK.values()):
        for name in names:
            path = RunDir(results_dir, name, benchmark).scores
            if not path.is_file():
                continue
            payload = _load_scores(path)
            keys = [k for k, b in METRIC_BENCHMARK.items() if b == benchmark]
            for key in keys:
                value = payload.get("metrics", {}).get(key)
                if _is_number(value):
                    metrics[key] = float(value)
                elif value is not None and not isinstance(value, float):  # None / NaN: not measured
                    raise HarnessError(f"{path}: metrics.{key} must be a number, got {value!r}")
                ci = payload.get("ci", {}).get(key)
                if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(_is_number(v) for v in ci):
                    cis[key] = [float(ci[0]), float(ci[1])]
            break
    return metrics, cis


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _load_scores(path: Path) -> dict[str, Any]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HarnessError(f"{path}: unreadable scores.json ({exc})") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("metrics", {}), dict):
        raise HarnessError(f"{path}: scores.json must be an object with a 'metrics' object")
    return payload


def add_reproduced(
    rows: list[dict[str, Any]], columns: list[Column], results_dir: Path
) -> tuple[list[dict[str, Any]], list[Column]]:
    """Add "(repro)", delta and CI columns after each metric column; empty ones are dropped."""
    if not Path(results_dir).is_dir():
        raise HarnessError(f"results directory not found: {results_dir}")
    new_rows = []
    for row in rows:
        metrics, cis = read_reproduced(Path(results_dir), row[_LOOKUP])
        extra: dict[str, Any] = {}
        for key, value in metrics.items():
            extra[f"{key}_repro"] = value
            if row.get(key) is not None:
                extra[f"{key}_delta"] = value - row[key]
        for key, ci in cis.items():
            extra[f"{key}_ci"] = ci
        new_rows.append({**row, **extra})
    new_columns: list[Column] = []
    for col in columns:
        new_columns.append(col)
        if col.key not in METRIC_COLUMNS:
            continue
        for suffix, header, signed in (("repro", f"{col.header} (repro)", False), ("ci", f"{col.header} 95% CI", False),
                                       ("delta", f"Δ {col.header}", True)):
            key = f"{col.key}_{suffix}"
            if any(r.get(key) is not None for r in new_rows):
                new_columns.append(Column(key, header, col.digits, signed))
    return new_rows, new_columns
