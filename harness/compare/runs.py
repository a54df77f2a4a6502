"""Compare models' runs: per benchmark, the paired test of its spec on the same items.

A run is ``<results>/<model>/<benchmark>/``. Its per-item values come from the benchmark itself
(``Benchmark.paired_values(run_dir, options)``, told the judge the run's score used), so this module
names no benchmark: for every pair of models and every benchmark both have scored, each metric the
benchmark compares becomes one :class:`~harness.compare.core.Comparison` (or an ``unavailable`` row
saying why not), and Holm's correction runs over all comparisons of the call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.compare.core import Comparison, align, compare_items, holm, unavailable
from harness.errors import HarnessError
from harness.stats.paired import (
    DEFAULT_CONFIDENCE,
    DEFAULT_ROUNDS,
    DEFAULT_SEED,
    MIN_BOOTSTRAP_ITEMS,
    check_settings,
)
from harness.store.layout import SCORES, safe_name

RUN_FILES = ("generations.jsonl", "annotations.jsonl", "parsed.jsonl", SCORES)


@dataclass(frozen=True)
class CompareSettings:
    rounds: int = DEFAULT_ROUNDS
    seed: int = DEFAULT_SEED
    confidence: float = DEFAULT_CONFIDENCE

    def __post_init__(self) -> None:
        check_settings(self.rounds, self.seed, self.confidence)


@dataclass
class CompareResult:
    """The comparisons of one call (Holm-adjusted together) and what was not compared, and why."""

    comparisons: list[Comparison]
    settings: CompareSettings
    notes: list[str] = field(default_factory=list)


def discover(results_dir: Path) -> dict[str, list[str]]:
    """Model directory -> benchmarks with run files, in name order (``tables/`` and dot-dirs skipped)."""
    from harness.benchmarks import names as benchmark_names

    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise HarnessError(f"results directory not found: {results_dir}")
    found: dict[str, list[str]] = {}
    for model_dir in sorted(p for p in results_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        benches = [b for b in benchmark_names() if any((model_dir / b / f).is_file() for f in RUN_FILES)]
        if benches:
            found[model_dir.name] = benches
    return found


def run_dir_name(name: str, found: Mapping[str, Any]) -> str | None:
    """The results directory of ``name``: its own safe name, else (a registry model given by its HF
    repo id) its registry name, README repo id or canonical Hub id, as ``table`` looks them up."""
    if safe_name(name) in found:
        return safe_name(name)
    from harness.registry.models import load_registry

    cfg = load_registry().find(name)
    names = [cfg.name, cfg.hf_repo, cfg.hf_repo_canonical] if cfg is not None else []
    return next((safe_name(n) for n in names if n and safe_name(n) in found), None)


def scored_runs(results_dir: Path, models: Sequence[str]) -> dict[str, dict[str, Path]]:
    """model (as given) -> benchmark -> run directory with a scores.json, for ``models``; a model with
    no results at all is an error naming what the results directory holds."""
    found = discover(results_dir)
    out: dict[str, dict[str, Path]] = {}
    for model in models:
        name = run_dir_name(model, found)
        if name is None:
            raise HarnessError(f"no results for {model} under {results_dir}"
                               + (f" (found: {', '.join(found)})" if found else ""))
        out[model] = {b: Path(results_dir) / name / b for b in found[name]
                      if (Path(results_dir) / name / b / SCORES).is_file()}
    return out


def model_pairs(models: Sequence[str], baseline: str | None = None) -> list[tuple[str, str]]:
    """(A, B) pairs, Δ = A − B: each model against ``baseline``, else every pair in the given order."""
    models = list(dict.fromkeys(models))
    if baseline is not None:
        return [(m, baseline) for m in models if m != baseline]
    return [(a, b) for i, a in enumerate(models) for b in models[i + 1:]]


class _Values:
    """Each run's paired values, computed once per call."""

    def __init__(self, data_dir: Path | None) -> None:
        self.data_dir = data_dir
        self._cache: dict[Path, dict[str, Any]] = {}

    def of(self, benchmark: str, run_dir: Path) -> dict[str, Any]:
        if run_dir not in self._cache:
            from harness.benchmarks import get_benchmark
            from harness.benchmarks.base import scored_judge

            options = dataclasses.replace(scored_judge(run_dir), data_dir=self.data_dir)
            values = get_benchmark(benchmark, data_dir=self.data_dir).paired_values(run_dir, options)
            self._cache[run_dir] = {v.metric: v for v in values}
        return self._cache[run_dir]


def _join(*notes: str | None) -> str | None:
    return "; ".join(dict.fromkeys(n for n in notes if n)) or None


def _compare_metric(va: Any, vb: Any, names: tuple[str, str], benchmark: str, s: CompareSettings) -> Comparison:
    common = {"rounds": s.rounds, "seed": s.seed, "confidence": s.confidence, "model_a": names[0],
              "model_b": names[1], "benchmark": benchmark, "metric": va.metric}
    if va.unavailable or vb.unavailable:
        return unavailable(va.kind, _join(va.unavailable, vb.unavailable) or "", **common)
    paired, only_a, only_b = align(va.values, vb.values)
    if len(paired) < MIN_BOOTSTRAP_ITEMS:
        return unavailable(va.kind, f"only {len(paired)} item(s) in common ({len(only_a)} only {names[0]}, "
                           f"{len(only_b)} only {names[1]}); a paired test needs {MIN_BOOTSTRAP_ITEMS}",
                           n_only_a=len(only_a), n_only_b=len(only_b), **common)
    res = compare_items(va.kind, va.values, vb.values, **common)
    return dataclasses.replace(res, note=_join(res.note, va.note, vb.note))


def compare_pairs(runs: Mapping[str, Mapping[str, Path]], pairs: Sequence[tuple[str, str]],
                  benchmarks: Sequence[str] | None = None, settings: CompareSettings | None = None,
                  data_dir: Path | None = None) -> CompareResult:
    """The paired comparisons of ``pairs`` of ``runs`` (model label -> benchmark -> scored run dir).

    Per pair, ``benchmarks`` (default: every benchmark both have, in registry order); a requested
    benchmark one side lacks gives an ``unavailable`` row, an unrequested one a note. Holm runs over
    every comparison made. The study table and ``table --baseline`` call this with their own runs."""
    from harness.benchmarks import get_spec
    from harness.benchmarks import names as benchmark_names

    s = settings or CompareSettings()
    for bench in benchmarks or ():
        if get_spec(bench).paired_test is None:
            raise HarnessError(f"benchmark {bench!r} has no paired comparison")
    values = _Values(data_dir)
    out: list[Comparison] = []
    notes: list[str] = []
    for a, b in pairs:
        have = [n for n in benchmark_names() if n in runs.get(a, {}) and n in runs.get(b, {})
                and get_spec(n).paired_test is not None]
        for bench in benchmarks or have:
            if bench not in have:
                who = [m for m in (a, b) if bench not in runs.get(m, {})]
                out.append(unavailable(get_spec(bench).paired_test or "", f"no scored {bench} run of "
                                       f"{' and '.join(who)}", rounds=s.rounds, seed=s.seed, confidence=s.confidence,
                                       model_a=a, model_b=b, benchmark=bench))
                continue
            va, vb = values.of(bench, Path(runs[a][bench])), values.of(bench, Path(runs[b][bench]))
            for metric, pv in va.items():
                if metric in vb:
                    out.append(_compare_metric(pv, vb[metric], (a, b), bench, s))
        if not benchmarks:
            alone = sorted((set(runs.get(a, {})) | set(runs.get(b, {}))) - set(have))
            if alone:
                notes.append(f"{a} vs {b}: not compared on {', '.join(alone)} (scored for one of them only)")
    return CompareResult(comparisons=holm(out), settings=s, notes=notes)


def compare_runs(results_dir: Path, models: Sequence[str], benchmarks: Sequence[str] | None = None, *,
                 baseline: str | None = None, settings: CompareSettings | None = None,
                 data_dir: Path | None = None) -> CompareResult:
    """``simpo-harness compare``: ``models`` (names as given to ``run``) under ``results_dir``, each
    against ``baseline`` or every pair; see :func:`compare_pairs`."""
    models = list(dict.fromkeys(models))
    if baseline is not None and baseline not in models:
        models.insert(0, baseline)
    if len(models) < 2:
        raise HarnessError("compare needs at least two models")
    runs = scored_runs(Path(results_dir), models)
    return compare_pairs(runs, model_pairs(models, baseline), benchmarks, settings, data_dir)
