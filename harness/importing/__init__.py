"""``import`` and ``export``: the official tools' files in and out of the results store.

The formats come from the benchmark specs (``BenchmarkSpec.formats``); the code of each format
lives in its benchmark's package, in an ``official`` module beside the benchmark (the
``harness.benchmarks.<package>.official`` of the spec's implementation). Such a module is light
to import (the CLI's help lists its ``LAYOUT``) and provides::

    FORMAT: str                   # the --format name
    TOOL: str                     # the official tool, as recorded in manifests
    LAYOUT: str                   # the files it reads and writes (import --help)
    def read(paths: list[Path], options: ReadOptions) -> list[ImportedRun]
    def export(run_dir: Path, benchmark: str, out: Path, options: ExportOptions) -> list[Path]

This module maps ``--format`` to those modules and benchmarks, and hands the runs a reader
produced to :mod:`harness.importing.writer`. It names no benchmark itself.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from harness.errors import HarnessError, did_you_mean
from harness.importing.records import ImportedRun, ReadOptions


@dataclass(frozen=True)
class ExportOptions:
    """``export``'s choices: the data (for instruction texts, gold answers) and which judge."""

    data_dir: Path | None = None
    judge_model: str | None = None
    judge_endpoint: str | None = None


def formats() -> dict[str, list[str]]:
    """format -> the benchmarks whose spec declares it, in registry order."""
    from harness.benchmarks import all_specs

    out: dict[str, list[str]] = {}
    for spec in all_specs():
        for fmt in spec.formats:
            out.setdefault(fmt, []).append(spec.name)
    return out


def _module_of(benchmark: str) -> ModuleType:
    from harness.benchmarks import get_spec

    module_name = get_spec(benchmark).impl.partition(":")[0]
    package = module_name.rpartition(".")[0]
    try:
        return importlib.import_module(f"{package}.official")
    except ModuleNotFoundError as exc:
        raise HarnessError(f"benchmark {benchmark!r} declares official formats but has no {package}.official "
                           f"module ({exc})") from None


def format_module(fmt: str) -> ModuleType:
    """The module reading and writing ``fmt`` (did-you-mean on typos)."""
    table = formats()
    if fmt not in table:
        raise did_you_mean(fmt, table, what="format")
    module = _module_of(table[fmt][0])
    if getattr(module, "FORMAT", None) != fmt:
        raise HarnessError(f"{module.__name__} reads {getattr(module, 'FORMAT', None)!r}, not {fmt!r}")
    return module


def read_runs(fmt: str, paths: list[Path], options: ReadOptions) -> list[ImportedRun]:
    """Every run the files of ``fmt`` hold (checked, nothing written)."""
    benchmarks = formats().get(fmt, [])
    if options.benchmark is not None and options.benchmark not in benchmarks:
        from harness.benchmarks import get_spec

        get_spec(options.benchmark)  # an unknown name: did-you-mean
        raise HarnessError(f"--format {fmt} holds {', '.join(benchmarks) or 'no benchmark'}, not "
                           f"{options.benchmark!r}")
    runs = format_module(fmt).read([Path(p) for p in paths], options)
    if not runs:
        raise HarnessError(f"no {fmt} records found in {', '.join(map(str, paths))}")
    return _merge_duplicates(runs)


def _merge_duplicates(runs: list[ImportedRun]) -> list[ImportedRun]:
    """One run per (model, benchmark): files giving the same model twice must agree on every output."""
    out: dict[tuple[str, str], ImportedRun] = {}
    for run in runs:
        key = (run.model, run.benchmark)
        first = out.setdefault(key, run)
        if first is run:
            continue
        if first.run_config != run.run_config:
            mine = {(g.item_id, g.turn, g.sample_index): g for g in first.generations}
            other = next((g for g in run.generations if (g.item_id, g.turn, g.sample_index) not in mine
                          or mine[(g.item_id, g.turn, g.sample_index)].output != g.output), run.generations[0])
            prev = mine.get((other.item_id, other.turn, other.sample_index))
            where = f"{prev.extra.get('source')}" if prev else f"{', '.join(first.sources)} (no such item)"
            raise HarnessError(f"{other.extra.get('source')}: field 'output' of model {run.model!r}, item "
                               f"{other.item_id}, turn {other.turn + 1} differs from {where}: the model is given "
                               "twice with different content")
        known = {r["import_key"] for r in first.annotations}
        first.annotations.extend(r for r in run.annotations if r["import_key"] not in known)
        first.sources.extend(s for s in run.sources if s not in first.sources)
    return list(out.values())


def import_files(fmt: str, paths: list[Path], results_dir: Path, options: ReadOptions, *, force: bool = False,
                 wait: bool = False) -> list:
    """Read and write: the plans (one per run, with its status) of what was imported."""
    from harness.importing.writer import write_runs

    return write_runs(read_runs(fmt, paths, options), results_dir, force=force, wait=wait)


def export_run(fmt: str, run_dir: Path, benchmark: str, out: Path, options: ExportOptions) -> list[Path]:
    """Write a run directory's generations (and judgments) in ``fmt``'s layout under ``out``."""
    if benchmark not in formats().get(fmt, []):
        raise HarnessError(f"--format {fmt} holds {', '.join(formats().get(fmt, [])) or 'nothing'}, not {benchmark!r}")
    return format_module(fmt).export(Path(run_dir), benchmark, Path(out), options)


__all__ = ["ExportOptions", "ImportedRun", "ReadOptions", "export_run", "format_module", "formats",
           "import_files", "read_runs"]
