"""A study file plus the flags given on the command line -> the orchestrator's typed settings.

The study file maps onto the flags of ``run`` (``generation.max_new_tokens`` is ``--max-new-tokens``,
``judge.concurrency`` is ``--judge-concurrency``), and both go through the same checks of
:mod:`harness.cli.options`. Precedence: a flag given on the command line, then the benchmark's
override in the file, then the file's ``generation``/``judge`` section, then the defaults.
"""

from __future__ import annotations

import argparse
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.pipeline.settings import GenerationSettings, JudgeSettings, StoreSettings
from harness.study.config import RayConfig, StudyConfig

GENERATION_FLAGS = ("backend", "template", "authors_exact", "limit", "num_samples", "temperature", "top_p",
                    "max_new_tokens", "seed", "alpaca_eval_062_quirk")
JUDGE_FLAGS = {"judge_model": "judge_model", "judge_base_url": "judge_base_url",
               "judge_api_key_env": "judge_api_key_env", "local_judge": "local_judge",
               "reference_model": "reference_model", "concurrency": "judge_concurrency",
               "max_retries": "judge_max_retries", "timeout": "judge_timeout", "backoff": "judge_backoff",
               "preset": "judge_preset", "serve_judge": "serve_judge", "batch": "judge_batch",
               "batch_poll_s": "judge_batch_poll"}
STORE_FLAGS = ("results_dir", "data_dir", "wait", "no_progress", "allow_incomplete", "dry_run")
STORE_DEFAULTS: dict[str, Any] = {"results_dir": None, "data_dir": None, "wait": False, "no_progress": False,
                                  "allow_incomplete": False, "dry_run": False}


@dataclass(frozen=True)
class JobSpec:
    """One (model, benchmark) of a study in plain data: all a Ray worker needs to rebuild the job."""

    model: str  # registry name, HF id or checkpoint dir; for an imported run its results name
    benchmark: str
    gen: GenerationSettings  # the study's settings with this benchmark's overrides
    template: str | None = None
    imported: bool = False
    tensor_parallel_size: int = 1
    gpus: float | None = None
    where: str = ""  # the study-file location, for error messages ("models.2")


@dataclass(frozen=True)
class StudySettings:
    name: str
    jobs: tuple[JobSpec, ...]
    judge: JudgeSettings
    store: StoreSettings
    ray: RayConfig = field(default_factory=RayConfig)
    baseline: str | None = None
    plugins: tuple[str, ...] = ()
    file: str | None = None
    file_sha256: str | None = None
    config: dict[str, Any] = field(default_factory=dict)  # the validated study, for the manifest
    progress: bool = True  # draw the study's board (the jobs' own bars are always off)

    @property
    def benchmarks(self) -> list[str]:
        return list(dict.fromkeys(j.benchmark for j in self.jobs))


def _pick(flags: dict[str, Any], dest: str, file_value: Any) -> Any:
    return flags.get(dest, file_value)


def generation_base(config: StudyConfig, flags: dict[str, Any]) -> GenerationSettings:
    """The study's GenerationSettings, through the same checks as ``run``'s flags."""
    from harness.backends import option_fields
    from harness.cli import options

    known = option_fields()
    for key in config.generation.backend_options:
        if key not in known:
            import difflib

            close = difflib.get_close_matches(key, known, n=1)
            raise HarnessError(f"generation.backend_options.{key}: unknown backend option"
                               + (f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"))
    ns = argparse.Namespace(**{d: _pick(flags, d, getattr(config.generation, d)) for d in GENERATION_FLAGS})
    for key in known:
        setattr(ns, f"backend_{key}", _pick(flags, f"backend_{key}", config.generation.backend_options.get(key)))
    return options.generation_settings(ns)


def judge_settings(config: StudyConfig, flags: dict[str, Any]) -> JudgeSettings:
    from harness.cli import options

    ns = argparse.Namespace(**{dest: _pick(flags, dest, getattr(config.judge, key)) for key, dest in JUDGE_FLAGS.items()})
    ns.dry_run = flags.get("dry_run", False)  # a dry run needs neither vLLM nor an API key for the preset
    return options.judge_settings(ns)


def store_settings(config: StudyConfig, flags: dict[str, Any]) -> StoreSettings:
    from harness.cli import options

    values = {dest: flags.get(dest, STORE_DEFAULTS[dest]) for dest in STORE_FLAGS}
    values["results_dir"] = values["results_dir"] or config.results_dir
    values["data_dir"] = values["data_dir"] or config.data_dir
    return options.store_settings(argparse.Namespace(**values))


def expand_models(config: StudyConfig) -> list[tuple[str, Any]]:
    """(location, entry) per model, ``table:`` entries expanded to the registry models of that table."""
    out: list[tuple[str, Any]] = []
    for i, entry in enumerate(config.models):
        if entry.table is None:
            out.append((f"models.{i}", entry))
            continue
        from harness.registry.models import load_registry

        for cfg in load_registry().filter(table=entry.table):
            out.append((f"models.{i} (table {entry.table})", entry.model_copy(update={"table": None, "model": cfg.name})))
    return out


def _check_benchmarks(config: StudyConfig) -> None:
    from harness.benchmarks import get_spec

    seen: set[str] = set()
    for i, entry in enumerate(config.benchmarks):
        try:
            get_spec(entry.name)
        except HarnessError as exc:
            raise HarnessError(f"benchmarks.{i}.name: {exc}") from None
        if entry.name in seen:
            raise HarnessError(f"benchmarks.{i}.name: {entry.name!r} is listed twice")
        seen.add(entry.name)


def build_settings(config: StudyConfig, flags: dict[str, Any], *, file: Path | None = None,
                   file_text: str | None = None) -> StudySettings:
    """``flags`` holds only the flags given on the command line (argparse dest -> value)."""
    _check_benchmarks(config)
    base = generation_base(config, flags)
    cli_generation = {d for d in GENERATION_FLAGS if d in flags}
    jobs = []
    for where, entry in expand_models(config):
        for bench in config.benchmarks:
            overrides = {k: v for k, v in bench.overrides().items() if k not in cli_generation}
            jobs.append(JobSpec(model=entry.model or entry.imported, benchmark=bench.name, gen=replace(base, **overrides),
                                template=entry.template, imported=entry.imported is not None,
                                tensor_parallel_size=entry.tensor_parallel_size, gpus=entry.gpus, where=where))
    ray = config.ray
    if "ray_max_retries" in flags:
        ray = ray.model_copy(update={"max_retries": flags["ray_max_retries"]})
    store = store_settings(config, flags)
    return StudySettings(
        name=config.name, jobs=tuple(_dedupe(jobs)), judge=judge_settings(config, flags),
        store=replace(store, progress=False), progress=store.progress, ray=ray, baseline=config.baseline, plugins=tuple(config.plugins),
        file=str(file) if file else None,
        file_sha256=hashlib.sha256(file_text.encode("utf-8")).hexdigest() if file_text is not None else None,
        config=config.model_dump(mode="json"))


def _dedupe(jobs: list[JobSpec]) -> list[JobSpec]:
    """A model listed twice (e.g. by name and through ``table:``) is one job per benchmark."""
    seen: dict[tuple[str, str], JobSpec] = {}
    for job in jobs:
        key = (job.model, job.benchmark)
        if key in seen and seen[key] != replace(job, where=seen[key].where):
            raise HarnessError(f"{job.where}: model {job.model!r} is already in the study ({seen[key].where}) "
                               "with other settings")
        seen.setdefault(key, job)
    return list(seen.values())


def adhoc_config(models: str, benchmarks: list[str], name: str | None) -> StudyConfig:
    """The study of ``--models A,B,C --benchmarks x,y`` (no file); its name is stable across reruns."""
    from harness.study.config import parse_study

    names = [m.strip() for m in models.split(",") if m.strip()]
    if not names:
        raise HarnessError("--models needs at least one model")
    digest = hashlib.sha256("\0".join([*names, "|", *benchmarks]).encode()).hexdigest()[:8]
    return parse_study({"name": name or f"adhoc-{digest}", "models": names, "benchmarks": benchmarks}, "--models")


def import_plugins(modules: tuple[str, ...] | list[str]) -> None:
    """Import the study's ``plugins`` (modules that register benchmarks or backends), here or on a worker."""
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise HarnessError(f"plugins: cannot import {name!r} ({exc})") from None
