"""Build :class:`~harness.report.data.ReportData` from a results directory as ``run`` leaves it.

    <results>/<model>/<benchmark>/generations.jsonl, annotations.jsonl, parsed.jsonl, scores.json

Questions, categories and reference answers come from the benchmarks' own items
(``get_benchmark(name).load_items(data_dir)``); where those cannot be loaded (no data
offline) the item browser falls back to what the run's files hold and says so. The paired
comparisons and the figures are computed elsewhere and passed in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.benchmarks import get_benchmark, get_spec
from harness.benchmarks import names as benchmark_names
from harness.benchmarks.base import BenchmarkItem
from harness.benchmarks.spec import load_attr
from harness.compare.runs import RUN_FILES, discover, run_dir_name
from harness.errors import HarnessError
from harness.report.data import (
    BenchmarkSection,
    Comparison,
    Figure,
    Judge,
    ReportData,
    Table,
    TableColumn,
    TableRow,
)
from harness.report.items import Context, ModelRun, SectionExtras, merge_runs

if TYPE_CHECKING:
    from harness.compare.core import Comparison as CompareComparison

__all__ = ["RUN_FILES", "collect_benchmark", "collect_report", "collect_section", "collect_table", "discover",
           "from_compare", "run_dir_name"]


def browsable() -> list[str]:
    """The benchmarks whose spec declares an item browser."""
    return [n for n in benchmark_names() if get_spec(n).report is not None]


def load_items(benchmark: str, data_dir: Path | None) -> tuple[list[BenchmarkItem] | None, str | None]:
    """The benchmark's items, or None and the reason they could not be loaded."""
    try:
        return get_benchmark(benchmark).load_items(data_dir), None
    except HarnessError as exc:
        return None, f"{get_spec(benchmark).title}: questions/references not loaded ({exc}); shown from the run files"


def collect_benchmark(results_dir: Path, benchmark: str, models: Sequence[str], data_dir: Path | None = None
                      ) -> tuple[BenchmarkSection, dict[str, ModelRun]]:
    """The item browser of one benchmark over ``models`` (run directory names), and each model's run.
    The benchmark's spec names its reader and section hook (``BenchmarkSpec.report``)."""
    spec = get_spec(benchmark) if benchmark in benchmark_names() else None
    view = spec.report if spec is not None else None
    if spec is None or view is None:
        raise HarnessError(f"no item browser for benchmark {benchmark!r}; choose from {', '.join(browsable())}")
    reader = load_attr(view.reader)
    items, note = load_items(benchmark, data_dir)
    ctx = Context(items=items, data_dir=data_dir)
    runs = {m: reader(Path(results_dir) / m / benchmark, ctx) for m in models
            if (Path(results_dir) / m / benchmark).is_dir()}
    extras: SectionExtras = load_attr(view.section)(runs, ctx) if view.section else SectionExtras()
    judges = sorted({j for r in runs.values() for j in r.judge_models})
    section = BenchmarkSection(
        benchmark=benchmark, kind=view.kind, models=list(runs), title=spec.title,
        items=merge_runs(runs, items, view.kind, extras.references), reference_label=extras.reference_label,
        judge=", ".join(judges) or None, notes=([note] if note else []) + extras.notes)
    return section, runs


def collect_section(results_dir: Path, benchmark: str, models: Sequence[str], data_dir: Path | None = None
                    ) -> BenchmarkSection:
    return collect_benchmark(results_dir, benchmark, models, data_dir)[0]


def read_scores(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / "scores.json"
    if not path.is_file():
        return None
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HarnessError(f"{path}: unreadable scores.json ({exc})") from None
    return payload if isinstance(payload, dict) else None


def _manifest_judge(scores: dict[str, Any] | None) -> dict[str, Any]:
    judge = ((scores or {}).get("manifest") or {}).get("judge")
    return judge if isinstance(judge, dict) else {}


def collect_judges(results_dir: Path, runs: Mapping[str, Mapping[str, ModelRun]]) -> tuple[list[Judge], list[str]]:
    """Judge labels (``runs``: benchmark -> model -> run) and the notes their manifests carry. A judge is
    official when it is the benchmark's own judge at OpenAI's endpoint (the spec says which)."""
    from harness.benchmarks import get_spec

    judges: dict[str, Judge] = {}
    notes: list[str] = []
    for benchmark, by_model in runs.items():
        spec = get_spec(benchmark).judge
        for model in by_model:
            scores = read_scores(Path(results_dir) / model / benchmark) or {}
            details = scores.get("details") or {}
            name, endpoint = details.get("judge_model"), details.get("judge_endpoint")
            if spec is None or name is None:
                continue
            ok = spec.is_official(name, endpoint)
            note = ("" if ok else "the embedded local judge" if str(endpoint).startswith("embedded:") else
                    f"served at {endpoint}: not verified as the official judge" if endpoint else
                    "not the judge of the published numbers")
            j = judges.setdefault(f"{name}|{note}", Judge(name=name, official=ok, note=note))
            if benchmark not in j.benchmarks:
                j.benchmarks.append(benchmark)
            info = _manifest_judge(scores)
            if info.get("note") and info["note"] not in notes:
                notes.append(str(info["note"]))
    return list(judges.values()), notes


def _incomplete(scores: dict[str, Any]) -> str | None:
    if scores.get("status") == "incomplete":
        reason = (scores.get("incomplete") or {}).get("reason", "incomplete")
        return f"{scores.get('benchmark', '')}: {reason}"
    limit = ((scores.get("manifest") or {}).get("generation") or {}).get("limit")
    if limit:
        return f"{scores.get('benchmark', '')}: --limit {limit}"
    return None


def collect_table(results_dir: Path, models: Sequence[str]) -> Table | None:
    """Published vs reproduced (``table --models ... --results-dir``), incomplete scores flagged."""
    from harness.registry.models import load_registry
    from harness.store.layout import RunDir
    from harness.tables.paper import LOOKUP, add_reproduced, metric_benchmarks, models_table

    registry = load_registry()
    benchmarks = set(metric_benchmarks().values())
    names = [m for m in models if any(RunDir(Path(results_dir), m, b).scores.is_file() for b in benchmarks)
             or registry.find(m)]
    if not names:
        return None
    rows, columns = models_table(registry, names, Path(results_dir))
    rows, columns = add_reproduced(rows, columns, Path(results_dir))
    out_rows = []
    for row in rows:
        notes = row.get("_footnotes", [])
        flags = {f"{key[: -len('_repro_flag')]}_{suffix}": next((n for n in notes), "incomplete")
                 for key in row if key.endswith("_repro_flag") for suffix in ("repro", "delta", "ci")}
        out_rows.append(TableRow(values={k: v for k, v in row.items() if k not in (LOOKUP, "_footnotes")
                                         and not k.endswith("_flag")}, incomplete=flags))
    keep = [c for i, c in enumerate(columns) if i == 0 or any(r.values.get(c.key) not in (None, "") for r in out_rows)]
    return Table(columns=[TableColumn(c.key, c.header, c.digits, c.signed) for c in keep], rows=out_rows)


def collect_report(results_dir: Path, models: Sequence[str] | None = None, benchmarks: Sequence[str] | None = None,
                   *, data_dir: Path | None = None, data_dirs: Mapping[str, Path] | None = None,
                   comparisons: Sequence[Comparison] = (), figures: Sequence[Figure] = (),
                   table: bool = True, title: str = "simpo-harness report") -> ReportData:
    """Everything the report shows for ``models`` (names as given to ``run``; default: every model
    with results) on ``benchmarks`` (default: every benchmark any of them has)."""
    results_dir = Path(results_dir)
    found = discover(results_dir)
    resolved = {m: run_dir_name(m, found) for m in (models or found)}
    missing = [m for m, d in resolved.items() if d is None]
    if missing:
        raise HarnessError(f"no results for {', '.join(missing)} under {results_dir}"
                           + (f" (found: {', '.join(found)})" if found else ""))
    dirs = list(dict.fromkeys(d for d in resolved.values() if d))
    have = [b for b in browsable() if any(b in found[m] for m in dirs)]
    chosen = list(benchmarks) if benchmarks else have
    unknown = [b for b in chosen if b not in have]
    if unknown:
        raise HarnessError(f"no results for benchmark(s) {', '.join(unknown)} of {', '.join(dirs)}")
    sections, runs = [], {}
    for b in chosen:
        section, runs[b] = collect_benchmark(results_dir, b, dirs, (data_dirs or {}).get(b, data_dir))
        sections.append(section)
    judges, notes = collect_judges(results_dir, runs)
    return ReportData(
        title=title, generated=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        results_dir=str(results_dir), models=dirs, benchmarks=chosen, judges=judges, notes=notes,
        table=collect_table(results_dir, dirs) if table else None, comparisons=list(comparisons),
        figures=list(figures), sections=sections)


def svg_figure(fig: Any, title: str, caption: str = "") -> Figure:
    """A matplotlib figure as a report :class:`Figure` (SVG text)."""
    import io

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    return Figure(title=title, svg=buf.getvalue(), caption=caption)


def from_compare(result: CompareComparison) -> Comparison:
    """A :class:`harness.compare.Comparison` (``compare``'s result) as the report shows it."""
    return Comparison(
        benchmark=result.benchmark, metric=result.metric, model_a=result.model_a, model_b=result.model_b,
        delta=result.estimate, ci_low=result.ci_low, ci_high=result.ci_high, p_value=result.p_value,
        p_holm=result.p_holm, n_paired=result.n_paired, n_only_a=result.n_only_a, n_only_b=result.n_only_b,
        method=result.method, rounds=result.rounds, seed=result.seed, note=result.note or "")
