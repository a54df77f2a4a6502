"""What a study leaves behind, under ``<results>/studies/<name>/``:

- ``study_manifest.json``: the study file's path and SHA-256, the validated study, how it ran
  (sequential or Ray, and where), package versions (ray included), the final status of every
  job and every job's score manifest;
- ``table.{md,csv,tex}``: all the study's models x its benchmarks' metrics, published vs
  reproduced with deltas (and CIs), built with :mod:`harness.tables` like ``table``, so an
  incomplete score prints with ``*`` and a footnote.

With a ``baseline``, reproduced cells significantly different from the baseline's are marked with
the paired test of each benchmark (:func:`harness.compare.marks.significance_marks`, as
``table --baseline``), and the legend and the tests' footnotes follow the table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.study.local import JobOutcome
from harness.study.plan import StudyPlan
from harness.study.progress import StatusBoard
from harness.tables.render import Column

TABLE_FORMATS = (("markdown", "md"), ("csv", "csv"), ("latex", "tex"))


def study_dir(results_dir: Path, name: str) -> Path:
    from harness.store.layout import safe_name

    return Path(results_dir) / "studies" / safe_name(name)


@dataclass(frozen=True)
class StudyRecord:
    """What ``report --study`` needs from a study that ran: its models (as stored), benchmarks, baseline."""

    name: str
    models: list[str]
    benchmarks: list[str]
    baseline: str | None
    data_dir: Path | None


def read_study(results_dir: Path, name: str) -> StudyRecord:
    """The study ``name`` from its ``study_manifest.json`` (one-line errors: unknown, unreadable)."""
    from harness.errors import HarnessError, did_you_mean

    path = study_dir(results_dir, name) / "study_manifest.json"
    if not path.is_file():
        known = sorted(p.parent.name for p in (Path(results_dir) / "studies").glob("*/study_manifest.json"))
        if not known:
            raise HarnessError(f"no study has run in {results_dir} (no studies/*/study_manifest.json)")
        raise did_you_mean(name, known, "study", where=str(results_dir), list_known=True)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        jobs = [(j["model"], j["benchmark"]) for j in manifest["jobs"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise HarnessError(f"{path}: not a readable study manifest ({exc.__class__.__name__}: {exc})") from None
    data_dir = manifest.get("data_dir")
    return StudyRecord(manifest.get("study_name", name), list(dict.fromkeys(m for m, _ in jobs)),
                       list(dict.fromkeys(b for _, b in jobs)), manifest.get("baseline"),
                       Path(data_dir) if data_dir else None)


def baseline_row(plan: StudyPlan) -> str | None:
    """The results name of the study's baseline (it may be given as a checkpoint path or HF id)."""
    b = plan.settings.baseline
    if b is None:
        return None
    return next((j.model for j in plan.jobs if b in (j.model, j.spec.model)), b)


def study_table(names: Sequence[str], benchmarks: Sequence[str], results_dir: Path, *, baseline: str | None = None,
                data_dir: Path | None = None) -> tuple[list[dict[str, Any]], list[Column], list[str]]:
    """Rows, columns and footnotes: the models (those with a registry entry or a score) x the metrics
    of ``benchmarks``, published vs reproduced."""
    from harness.registry.models import load_registry
    from harness.store.layout import RunDir
    from harness.tables.paper import add_reproduced, footnotes, metric_benchmarks, models_table

    registry = load_registry()
    shown = [n for n in names if registry.find(n) is not None
             or any(RunDir(results_dir, n, b).scores.is_file() for b in benchmarks)]
    if not shown:
        return [], [], []
    rows, columns = models_table(registry, shown, results_dir)
    owner = metric_benchmarks()
    columns = [c for c in columns if c.key not in owner or owner[c.key] in benchmarks]
    rows, columns = add_reproduced(rows, columns, results_dir)
    if baseline is None:
        return rows, columns, footnotes(rows)
    from harness.compare.marks import significance_marks

    _, legend = significance_marks(rows, Path(results_dir), baseline, data_dir=data_dir)
    return rows, columns, legend[:1] + footnotes(rows) + legend[1:]


def write_table(plan: StudyPlan) -> tuple[Path | None, str]:
    """Write table.{md,csv,tex}; returns the directory (None when no model has a score) and the markdown."""
    from harness.store.jsonl import write_text_atomic
    from harness.tables.render import render

    results = plan.settings.store.results_dir
    rows, columns, notes = study_table(plan.models, plan.settings.benchmarks, results,
                                       baseline=baseline_row(plan), data_dir=plan.settings.store.data_dir)
    if not rows:
        return None, ""
    out = study_dir(results, plan.settings.name)
    for fmt, ext in TABLE_FORMATS:
        write_text_atomic(out / f"table.{ext}", render(rows, columns, fmt, notes))
    return out, render(rows, columns, "markdown", notes)


def write_manifest(plan: StudyPlan, outcomes: list[JobOutcome], board: StatusBoard, mode: dict[str, Any]) -> Path:
    from harness.manifest import TRACKED_PACKAGES, base_manifest, package_versions
    from harness.store.jsonl import write_json_atomic

    s = plan.settings
    path = study_dir(s.store.results_dir, s.name) / "study_manifest.json"
    write_json_atomic(path, base_manifest(
        command="study", study_name=s.name, study_file=s.file, study_file_sha256=s.file_sha256, study=s.config,
        mode=mode, packages=package_versions((*TRACKED_PACKAGES, "ray", "simpo-harness")),
        results_dir=str(s.store.results_dir), data_dir=str(s.store.data_dir) if s.store.data_dir else None,
        judge_endpoint=s.judge.endpoint, baseline=baseline_row(plan), notes=plan.notes,
        totals=board.totals(), status=board.snapshot(), jobs=[o.to_dict() for o in outcomes]))
    return path
