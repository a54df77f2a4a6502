"""Rows and columns for the SimPO README's tables and for arbitrary sets of checkpoints.

Published numbers come from the registry; column headers and digits from the benchmark specs;
the paper tables' layouts from ``papers.yaml``. With a results directory, every metric column
gains "(repro)" and delta columns (and a 95% CI column where scores.json has ``ci``), read from
``<results>/<safe_name(model)>/<benchmark>/scores.json``. A reproduced number whose score is
incomplete prints with a ``*`` and a footnote saying why; one whose judge is not the benchmark's
official judge (``JudgeSpec.is_official``: the official model at OpenAI's endpoint) prints with a
``†`` and a footnote naming the judge, since it is not comparable to the published number.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.registry.models import ModelConfig, Registry
from harness.store.layout import RunDir
from harness.tables.render import Column

LOOKUP = "_lookup"  # row key: the names under which results may be stored
FLAG = "*"
JUDGE_FLAG = "\u2020"  # dagger: judged by another judge than the published numbers'


def metric_columns() -> dict[str, Column]:
    """metric key -> its column, in benchmark-registry order (tables' benchmarks only)."""
    from harness.benchmarks import metric_specs

    return {key: Column(key, m.label, m.digits) for key, (spec, m) in metric_specs().items() if spec.in_tables}


def metric_benchmarks() -> dict[str, str]:
    """metric key -> the benchmark whose scores.json holds it."""
    from harness.benchmarks import metric_specs

    return {key: spec.name for key, (spec, _) in metric_specs().items() if spec.in_tables}


@cache
def paper_layouts() -> dict[str, list[Column]]:
    """The column layout of each SimPO README table (``papers.yaml``)."""
    import yaml

    raw = yaml.safe_load((Path(__file__).with_name("papers.yaml")).read_text(encoding="utf-8"))
    metrics = metric_columns()
    layouts: dict[str, list[Column]] = {}
    for paper, entries in raw.items():
        cols = []
        for entry in entries:
            if isinstance(entry, dict):
                (key, header), = entry.items()
                cols.append(Column(key, header))
            elif entry in metrics:
                cols.append(metrics[entry])
            else:
                raise HarnessError(f"papers.yaml: table {paper}: {entry!r} is no benchmark's metric")
        layouts[str(paper)] = cols
    return layouts


def _row(cfg: ModelConfig) -> dict[str, Any]:
    pub = cfg.published
    return {
        "name": cfg.name, "hf_repo": cfg.hf_repo, "setting": cfg.setting, "method": cfg.method,
        "label": pub.label if pub else None, "table": pub.table if pub else None,
        **(pub.metrics() if pub else {}),
        LOOKUP: [n for n in (cfg.name, cfg.hf_repo, cfg.hf_repo_canonical) if n],
    }


def paper_table(registry: Registry, paper: str) -> tuple[list[dict[str, Any]], list[Column]]:
    """The rows (registry order = the README's order) and columns of one published table."""
    layouts = paper_layouts()
    if paper not in layouts:
        raise HarnessError(f"unknown paper table {paper!r}; choose one of {', '.join(layouts)}")
    return [_row(cfg) for cfg in registry.filter(table=paper)], list(layouts[paper])


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
            rows.append({"name": name, LOOKUP: [name]})
        else:
            registry.get(name)  # raises the did-you-mean error
    columns = [Column("name", "Model"), Column("setting", "Setting"), Column("method", "Method"),
               Column("table", "Published in")]
    metrics = metric_columns()
    wanted = {k for r in rows for k in metrics if r.get(k) is not None}
    if results_dir is not None:  # reproduced-only metrics still need their column
        wanted |= {k for row in rows for k in read_reproduced(results_dir, row[LOOKUP]).metrics}
    return rows, columns + [col for key, col in metrics.items() if key in wanted]


def _has_results(results_dir: Path, name: str) -> bool:
    return any(RunDir(results_dir, name, b).scores.is_file() for b in set(metric_benchmarks().values()))


@dataclass
class Reproduced:
    """What one model's scores.json files give a table: metrics, CIs, and why a metric is flagged."""

    metrics: dict[str, float] = field(default_factory=dict)
    cis: dict[str, list[float]] = field(default_factory=dict)
    flags: dict[str, str] = field(default_factory=dict)  # metric key -> footnote (incomplete, ...)
    judges: dict[str, str] = field(default_factory=dict)  # metric key -> footnote (not the official judge)


def read_reproduced(results_dir: Path, names: Sequence[str]) -> Reproduced:
    """Metrics, CIs and flags from the first of ``names`` that has a scores.json, per benchmark."""
    out = Reproduced()
    by_benchmark: dict[str, list[str]] = {}
    for key, bench in metric_benchmarks().items():
        by_benchmark.setdefault(bench, []).append(key)
    for benchmark, keys in by_benchmark.items():
        for name in names:
            path = RunDir(results_dir, name, benchmark).scores
            if path.is_file():
                _judge_note(path, benchmark, _read_one(path, keys, out), keys, out)
                break
    return out


def judge_note(benchmark: str, payload: dict[str, Any]) -> str | None:
    """Why a score's judge is not the published numbers' judge, or None (official, or no judge recorded)."""
    from harness.benchmarks import get_spec

    spec = get_spec(benchmark).judge
    details = payload.get("details") if isinstance(payload.get("details"), dict) else {}
    model, endpoint = details.get("judge_model"), details.get("judge_endpoint")
    if spec is None or not model or spec.is_official(model, endpoint):
        return None
    where = "the embedded local judge" if str(endpoint).startswith("embedded:") else \
        f"@ {endpoint}" if endpoint else "(endpoint not recorded)"
    return f"judged by {model} {where}, not the official judge ({spec.default_model} at OpenAI's endpoint)"


def _judge_note(path: Path, benchmark: str, payload: dict[str, Any], keys: list[str], out: Reproduced) -> None:
    why = judge_note(benchmark, payload)
    if why is not None:
        for key in keys:
            if key in out.metrics:
                out.judges[key] = f"{JUDGE_FLAG} {payload.get('model', path.parent.parent.name)} {benchmark}: {why}"


def _read_one(path: Path, keys: list[str], out: Reproduced) -> dict[str, Any]:
    payload = _load_scores(path)
    incomplete = payload.get("incomplete") if payload.get("status") == "incomplete" else None
    for key in keys:
        value = payload.get("metrics", {}).get(key)
        if _is_number(value):
            out.metrics[key] = float(value)
            if incomplete:
                reason = incomplete.get("reason") if isinstance(incomplete, dict) else str(incomplete)
                out.flags[key] = f"{FLAG} {payload.get('model', path.parent.parent.name)} " \
                                 f"{payload.get('benchmark', '')}: incomplete ({reason})"
        elif value is not None and not isinstance(value, float):  # None / NaN: not measured
            raise HarnessError(f"{path}: metrics.{key} must be a number, got {value!r}")
        ci = payload.get("ci", {}).get(key)
        if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(_is_number(v) for v in ci):
            out.cis[key] = [float(ci[0]), float(ci[1])]
    return payload


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
    """Add "(repro)", delta and CI columns after each metric column; empty ones are dropped.

    A flagged (incomplete) value keeps its number and gets ``<key>_repro_flag`` = ``*``; the
    reasons are collected in :func:`footnotes`.
    """
    if not Path(results_dir).is_dir():
        raise HarnessError(f"results directory not found: {results_dir}")
    new_rows = []
    for row in rows:
        rep = read_reproduced(Path(results_dir), row[LOOKUP])
        extra: dict[str, Any] = {}
        for key, value in rep.metrics.items():
            extra[f"{key}_repro"] = value
            if row.get(key) is not None:
                extra[f"{key}_delta"] = value - row[key]
            if key in rep.flags:
                extra[f"{key}_repro_flag"] = FLAG
                extra.setdefault("_footnotes", []).append(rep.flags[key])
            if key in rep.judges:
                extra[f"{key}_repro_judge_flag"] = JUDGE_FLAG
                extra.setdefault("_footnotes", []).append(rep.judges[key])
        for key, ci in rep.cis.items():
            extra[f"{key}_ci"] = ci
        new_rows.append({**row, **extra})
    new_columns: list[Column] = []
    metrics = metric_columns()
    for col in columns:
        new_columns.append(col)
        if col.key not in metrics:
            continue
        for suffix, header, signed in (("repro", f"{col.header} (repro)", False), ("ci", f"{col.header} 95% CI", False),
                                       ("delta", f"Δ {col.header}", True)):
            key = f"{col.key}_{suffix}"
            if any(r.get(key) is not None for r in new_rows):
                new_columns.append(Column(key, header, col.digits, signed,
                                          flag_key=(f"{key}_flag", f"{key}_judge_flag")))
    return new_rows, new_columns


def footnotes(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The distinct footnotes of flagged cells, in row order."""
    return list(dict.fromkeys(n for r in rows for n in r.get("_footnotes", [])))
