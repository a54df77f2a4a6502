"""`simpo-harness study`: many models x benchmarks in one command, here or on a Ray cluster.

    simpo-harness study study.yaml [--ray [ADDRESS]] [--results-dir DIR] [--dry-run]
    simpo-harness study --models A,B,C --benchmarks alpaca_eval,arena_hard [--ray]

Without ``--ray`` the jobs run one after another in this process, sharing one judge client and
its concurrency budget. With ``--ray`` each generation job is a Ray task on the cluster at
ADDRESS (default: ``ray.address`` of the study file, else $RAY_ADDRESS, else a new local Ray
instance) and judging stays one pooled stage here. The flags are ``run``'s and win over the study
file. Outputs: every job's run directory as with ``run``, and under ``<results>/studies/<name>/``
the study manifest and the study table (markdown, CSV, LaTeX).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from harness.cli import options
from harness.errors import HarnessError, IncompleteError

_UNSET: Any = object()  # the default of every shared flag here: what the user did not give


class StudyFailures(IncompleteError):
    """Some jobs failed; the others' results are written, and a rerun retries only what is missing."""


def _tracked() -> list[str]:
    from harness.backends import option_fields
    from harness.study.settings import GENERATION_FLAGS, JUDGE_FLAGS, STORE_FLAGS

    return [*GENERATION_FLAGS, *(f"backend_{k}" for k in option_fields()), *JUDGE_FLAGS.values(), *STORE_FLAGS,
            "ray_max_retries"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("study", nargs="?", type=Path, metavar="STUDY.yaml", help="the study file (see docs/STUDY.md)")
    parser.add_argument("--models", help="comma-separated registry names, HF repo ids or checkpoint directories "
                        "(without a study file; with one, they replace its models)")
    options.add_benchmark_flags(parser, multi=True)
    parser.add_argument("--name", help="the study's name without a study file (default: adhoc-<hash of the lists>)")
    r = parser.add_argument_group("ray")
    r.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                   help="run each generation job as a Ray task: on the cluster at ADDRESS ('auto', 'host:6379', "
                   "'ray://host:10001'), default the study's ray.address, else $RAY_ADDRESS, else a new local instance")
    r.add_argument("--ray-max-retries", type=int, help="Ray retries of a job whose worker died (default 3)")
    options.add_generation_flags(parser)
    options.add_judge_flags(parser)
    options.add_store_flags(parser, incomplete=True, dry_run=True)
    parser.set_defaults(**{dest: _UNSET for dest in _tracked()})


def given_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The shared flags given on the command line (argparse dest -> value)."""
    return {k: v for k, v in vars(args).items() if k in set(_tracked()) and v is not _UNSET}


def load_config(args: argparse.Namespace) -> tuple[Any, str | None]:
    """The study (file, or --models/--benchmarks) and the file's text."""
    from harness.study.config import BenchmarkEntry, read_study_file
    from harness.study.settings import adhoc_config

    if getattr(args, "benchmarks_single", None) and args.benchmarks:
        raise HarnessError("give either --benchmarks or --benchmark, not both")
    raw = args.benchmarks_single or args.benchmarks
    benchmarks = [b.strip() for b in raw.split(",") if b.strip()] if raw else None
    if args.study is None:
        if not args.models or not benchmarks:
            raise HarnessError("give a study file, or --models and --benchmarks")
        return adhoc_config(args.models, benchmarks, args.name), None
    config, text = read_study_file(args.study)
    update: dict[str, Any] = {}
    if args.models:
        update["models"] = adhoc_config(args.models, ["alpaca_eval"], None).models
    if benchmarks:  # keep the file's overrides of the benchmarks it lists
        by_name = {b.name: b for b in config.benchmarks}
        update["benchmarks"] = [by_name.get(n) or BenchmarkEntry(name=n) for n in benchmarks]
    if args.name:
        update["name"] = args.name
    return (config.model_copy(update=update) if update else config), text


def run(args: argparse.Namespace) -> int:
    from harness.cli.run import check_judge_inputs
    from harness.pipeline.settings import EMBEDDED_JUDGE_NOTE
    from harness.study.plan import build_plan, format_study_plan
    from harness.study.settings import build_settings, import_plugins

    config, text = load_config(args)
    settings = build_settings(config, given_flags(args), file=args.study, file_text=text)
    import_plugins(settings.plugins)
    check_judge_inputs(settings.benchmarks, settings.judge, settings.store)
    plan = build_plan(settings)
    where = "sequential in this process" if args.ray is None else \
        f"on Ray ({args.ray or settings.ray.address or os.environ.get('RAY_ADDRESS') or 'a new local instance'})"
    print(f"study {settings.name}: {len(plan.models)} models x {len(settings.benchmarks)} benchmarks, {where}; "
          f"results: {settings.store.results_dir}")
    print(format_study_plan(plan))
    if settings.judge.embedded and any(j.plan.needs_judge for j in plan.jobs):
        print("note: " + EMBEDDED_JUDGE_NOTE.format(judge=settings.judge.local_judge,
                                                     key_env=settings.judge.judge_api_key_env))
    if settings.store.dry_run:
        return 0
    return _execute(plan, args.ray)


def _execute(plan: Any, ray_address: str | None) -> int:
    from harness.pipeline.score_stage import incomplete_error
    from harness.study.local import run_sequential
    from harness.study.output import write_manifest, write_table
    from harness.study.progress import LiveBoard, StatusBoard

    s = plan.settings
    board = StatusBoard(plan)
    with LiveBoard(board, enabled=s.progress) as live:
        if ray_address is None:
            outcomes = run_sequential(plan, live)
            mode: dict[str, Any] = {"runner": "sequential"}
        else:
            from harness.study.ray_runner import run_ray

            outcomes = run_ray(plan, live, ray_address or s.ray.address)
            mode = {"runner": "ray", **s.ray.model_dump(),
                    "address": ray_address or s.ray.address or os.environ.get("RAY_ADDRESS") or "local"}
    print()
    print(board.render_bar())
    print(board.render_table())
    manifest = write_manifest(plan, outcomes, board, mode)
    out, markdown = write_table(plan)
    if out is not None:
        print()
        print(markdown, end="")
        print(f"study table: {out}/table.{{md,csv,tex}}")
    print(f"study manifest: {manifest}")
    bad = [o for o in outcomes if o.state == "failed"]
    if bad:
        raise StudyFailures(f"{len(bad)} of {len(plan.jobs)} jobs failed: "
                            + "; ".join(f"{o.model} {o.benchmark}: {o.error}" for o in bad)
                            + " (the other results are written; rerun to retry only what is missing)")
    error = incomplete_error([o.payload for o in outcomes if o.payload])
    if error is not None and not s.store.allow_incomplete:
        raise error
    return 0
