"""Writing imported runs into the results store, all or nothing per command.

Every run directory is checked before anything is written (and again under its lock): a native
run of the same name is refused without ``--force``, so is an earlier import of other content.
Re-importing the same files finds every key present and writes nothing. Generations and
judgments are appended (fsynced) through the store's writer; the generation manifest names the
import's ``run_config`` so :func:`harness.store.current_generations` picks its records, and records
the tool, the source files, the judge and the judge-prompt checks.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.importing.records import ImportedRun
from harness.store import GenerationStore, RunDir, read_generation_manifest, run_lock
from harness.store.jsonl import append_jsonl, read_jsonl, write_json_atomic, write_jsonl_atomic


@dataclass
class Plan:
    run: ImportedRun
    run_dir: RunDir
    status: str  # new | unchanged | judgments added | replaced
    generations: list[Any]
    annotations: list[dict[str, Any]]
    side_files: dict[str, list[dict[str, Any]]]
    old_sources: list[str]


def _existing_keys(run_dir: RunDir) -> tuple[set[str], set[str]]:
    gens = set(GenerationStore(run_dir.generations).load()) if run_dir.generations.exists() else set()
    anns = {r.get("import_key") for r in read_jsonl(run_dir.annotations)} - {None}
    return gens, anns  # type: ignore[return-value]


def plan(run: ImportedRun, run_dir: RunDir, *, force: bool) -> Plan:
    """What importing ``run`` into ``run_dir`` writes; refusals raise before anything is written."""
    gens, anns = _existing_keys(run_dir)
    manifest = read_generation_manifest(run_dir.path)
    imported = manifest.get("imported_from")
    same = manifest.get("run_config") == run.run_config
    status = "new"
    if gens and not imported and not force:
        raise HarnessError(f"{run_dir.path} holds a native run of {run.model!r} ({len(gens)} generations); "
                           "importing over it is refused: pass --force to make the imported records current "
                           "(the native ones stay in the log), or --model to import under another name")
    if gens and imported and not same:
        if not force:
            sources = ", ".join(manifest.get("source_files", [])[:2]) or "other files"
            raise HarnessError(f"{run_dir.path} already holds an import of other content for {run.model!r} (from "
                               f"{sources}); pass --force to make this import current instead")
        status = "replaced"
    elif gens and not imported:
        status = "replaced"
    new_gens = [g for g in run.generations if g.key not in gens]
    new_anns = [r for r in run.annotations if r["import_key"] not in anns]
    side = {name: rows for name, rows in run.side_files.items() if _differs(run_dir.path / name, rows)}
    if status == "new" and gens and same:
        status = "judgments added" if new_anns or new_gens or side else "unchanged"
    return Plan(run, run_dir, status, new_gens, new_anns, side,
                list(manifest.get("source_files", [])) if same else [])


def _differs(path: Path, rows: list[dict[str, Any]]) -> bool:
    return not path.is_file() or list(read_jsonl(path)) != rows


def generation_manifest(p: Plan) -> dict[str, Any]:
    from harness.benchmarks import get_spec
    from harness.manifest import base_manifest

    run = p.run
    sources = list(dict.fromkeys([*p.old_sources, *run.sources]))
    return base_manifest(
        command="import", model=run.model, model_id=run.model_id, benchmark=run.benchmark,
        backend=f"import:{run.format}", template=None, template_hash=None, params={}, seed=None,
        num_samples=run.n_samples, n_items=get_spec(run.benchmark).n_items, limit=None,
        run_config=run.run_config, source_files=sources,
        imported_from={"format": run.format, "tool": run.tool, "judge": run.judge, "notes": run.notes,
                       "n_generations": len(run.generations), "n_judgments": len(run.annotations),
                       "prompt_checks": run.checks.to_dict()})


def _write(p: Plan) -> None:
    if p.status == "unchanged":
        return
    path = p.run_dir.ensure().path
    if p.generations:
        append_jsonl(p.run_dir.generations, [g.to_dict() for g in p.generations])
    if p.annotations:
        append_jsonl(p.run_dir.annotations, p.annotations)
    for name, rows in p.side_files.items():
        write_jsonl_atomic(path / name, rows)
    write_json_atomic(p.run_dir.generation_manifest, generation_manifest(p))


def write_runs(runs: list[ImportedRun], results_dir: Path, *, force: bool = False, wait: bool = False) -> list[Plan]:
    """Import ``runs`` into ``results_dir``: every refusal is raised before anything is written."""
    dirs = [RunDir(Path(results_dir), r.model, r.benchmark) for r in runs]
    seen: dict[Path, str] = {}
    for r, d in zip(runs, dirs, strict=True):
        if d.path in seen:
            raise HarnessError(f"two models of the files map to one results folder {d.path} "
                               f"({seen[d.path]!r} and {r.model!r}); import one of them with --model")
        seen[d.path] = r.model
    for r, d in zip(runs, dirs, strict=True):  # refuse before any lock creates a folder
        plan(r, d, force=force)
    with contextlib.ExitStack() as stack:
        for d in sorted(dirs, key=lambda x: str(x.path)):
            stack.enter_context(run_lock(d.path, wait=wait))
        plans = [plan(r, d, force=force) for r, d in zip(runs, dirs, strict=True)]
        for p in plans:
            _write(p)
    return plans
