"""The study's plan: one orchestrator :class:`~harness.pipeline.jobs.Job` and
:class:`~harness.pipeline.runner.JobPlan` per (model, benchmark).

Each model is resolved once (one :class:`~harness.pipeline.jobs.ModelSession` across its
benchmarks). An imported run (a results-dir model without a checkpoint) becomes a judge + score
job on its run directory; a benchmark it has no results for is skipped with a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError, did_you_mean
from harness.pipeline.runner import JobPlan, plan_job
from harness.pipeline.settings import GenerationSettings, StoreSettings
from harness.study.settings import JobSpec, StudySettings

if TYPE_CHECKING:
    from harness.model_loading import ResolvedModel
    from harness.pipeline.jobs import Job, ModelSession


@dataclass
class PlannedJob:
    spec: JobSpec
    job: Job
    plan: JobPlan
    gen: GenerationSettings  # spec.gen with the model's tensor-parallel size in the backend options
    session: ModelSession | None = None  # None for an imported run (it is never generated)

    @property
    def model(self) -> str:
        return self.job.model.name

    @property
    def benchmark(self) -> str:
        return self.job.name

    @property
    def label(self) -> str:
        return f"{self.model} {self.benchmark}"

    @property
    def needs_generation(self) -> bool:
        return not self.spec.imported and self.plan.generations_todo > 0


@dataclass
class StudyPlan:
    settings: StudySettings
    jobs: list[PlannedJob]
    notes: list[str] = field(default_factory=list)

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(j.model for j in self.jobs))

    def totals(self) -> dict[str, Any]:
        plans = [j.plan for j in self.jobs]
        costs = [p.judge_cost_usd for p in plans if p.needs_judge]
        return {"jobs": len(plans), "generation_units": sum(p.generation_units for p in plans),
                "generations_todo": sum(max(p.generations_todo, 0) for j, p in zip(self.jobs, plans, strict=True)
                                        if not j.spec.imported),
                "judge_calls_todo": sum(p.judge_calls_todo for p in plans),
                "judge_cost_usd": None if any(c is None for c in costs) else sum(c or 0.0 for c in costs)}


def generation_for(spec: JobSpec, model: ResolvedModel) -> GenerationSettings:
    """``spec.gen`` with the model's ``tensor_parallel_size`` handed to the backend (vLLM)."""
    from harness.backends import default_backend, option_fields

    if spec.tensor_parallel_size == 1:
        return spec.gen
    backend = spec.gen.backend or default_backend(model)
    if backend not in option_fields().get("tensor_parallel_size", (None, []))[1]:
        raise HarnessError(f"{spec.where}.tensor_parallel_size: {spec.tensor_parallel_size} needs a backend with "
                           f"tensor parallelism (vllm), not {backend!r}")
    return replace(spec.gen, backend_options={**spec.gen.backend_options,
                                              "tensor_parallel_size": spec.tensor_parallel_size})


def build_job(spec: JobSpec, store: StoreSettings, sessions: dict[tuple[str, str | None], ModelSession]
              ) -> tuple[ModelSession, Job, GenerationSettings]:
    """The orchestrator job of ``spec`` (the model resolved once per ``sessions``)."""
    from harness.pipeline.jobs import ModelSession

    key = (spec.model, spec.template or spec.gen.template)
    try:
        session = sessions.get(key) or ModelSession(spec.model, store, key[1])
        sessions[key] = session
        gen = generation_for(spec, session.model)
        return session, session.job(spec.benchmark, gen), gen
    except HarnessError as exc:
        if str(exc).startswith(spec.where):
            raise
        raise HarnessError(f"{spec.where} ({spec.model}, {spec.benchmark}): {exc}") from None


def imported_job(spec: JobSpec, store: StoreSettings) -> Job | None:
    """A judge + score job on an imported run directory, or None when it has no results for the benchmark."""
    from harness.backends.base import SamplingParams
    from harness.benchmarks import get_benchmark
    from harness.model_loading import ResolvedModel
    from harness.pipeline.jobs import Job, locate_run_dir
    from harness.store import read_generation_manifest
    from harness.store.layout import safe_name

    results = Path(store.results_dir)
    if not (results / safe_name(spec.model)).is_dir():
        from harness.compare.runs import discover

        known = list(discover(results)) if results.is_dir() else []  # the model folders holding runs
        err = did_you_mean(spec.model, known, "imported run", where=str(results), list_known=True)
        raise HarnessError(f"{spec.where}: {err}" if known else f"{spec.where}: {err} (it holds no results)")
    try:
        run_dir = locate_run_dir(store, spec.model, spec.benchmark)
    except HarnessError:
        return None
    manifest = read_generation_manifest(run_dir.path)
    bench = get_benchmark(spec.benchmark)
    items = bench.load_items(store.data_dir, spec.gen.limit)
    model = ResolvedModel(name=run_dir.model, source=str(run_dir.path), revision=manifest.get("revision"),
                          template=manifest.get("template"), model_id=manifest.get("model_id") or f"imported:{spec.model}")
    # plan_job and the judge and score stages read neither a template nor decoding parameters
    return Job(model=model, benchmark=bench, items=items, template=None,  # type: ignore[arg-type]
               params=SamplingParams(), run_dir=run_dir, run_config=manifest.get("run_config"),  # type: ignore[arg-type]
               notes=[f"{spec.model}: imported run, judged and scored only"])


def build_plan(settings: StudySettings) -> StudyPlan:
    """Resolve every model once and plan every job (counts, cached work, judge calls and cost)."""
    sessions: dict[tuple[str, str | None], ModelSession] = {}
    out = StudyPlan(settings, [])
    for spec in settings.jobs:
        if spec.imported:
            job = imported_job(spec, settings.store)
            if job is None:
                out.notes.append(f"{spec.model}: imported run has no results on {spec.benchmark}; skipped")
                continue
            planned = PlannedJob(spec, job, plan_job(job, spec.gen, settings.judge), spec.gen)
        else:
            session, job, gen = build_job(spec, settings.store, sessions)
            planned = PlannedJob(spec, job, plan_job(job, gen, settings.judge), gen, session)
        out.jobs.append(planned)
    if not out.jobs:
        raise HarnessError("the study has nothing to run: " + "; ".join(out.notes))
    _check_unique_runs(out.jobs)
    _check_baseline(settings, out)
    return out


def _check_unique_runs(jobs: list[PlannedJob]) -> None:
    seen: dict[Any, JobSpec] = {}
    for j in jobs:
        path = j.job.run_dir.path
        if path in seen:
            raise HarnessError(f"{j.spec.where}: {j.spec.model!r} and {seen[path].model!r} ({seen[path].where}) both "
                               f"store {j.benchmark} results in {path}")
        seen[path] = j.spec


def _check_baseline(settings: StudySettings, plan: StudyPlan) -> None:
    if settings.baseline is None:
        return
    names = {j.model for j in plan.jobs} | {j.spec.model for j in plan.jobs}
    if settings.baseline not in names:
        raise HarnessError(f"baseline: {settings.baseline!r} is not one of the study's models "
                           f"({', '.join(plan.models)})")



def format_study_plan(plan: StudyPlan) -> str:
    """``run``'s plan table for every job, then the study's totals."""
    from harness.cli.run import format_plan

    t = plan.totals()
    cost = "price unknown" if t["judge_cost_usd"] is None else f"~${t['judge_cost_usd']:.2f}"
    lines = [format_plan([j.plan for j in plan.jobs], plan.settings.judge.endpoint),
             f"study {plan.settings.name}: {t['jobs']} jobs, {t['generations_todo']} of {t['generation_units']} "
             f"generation units to do, {t['judge_calls_todo']} judge calls ({cost}) with "
             f"{plan.settings.judge.endpoint}"]
    gpu_jobs = [j for j in plan.jobs if j.spec.tensor_parallel_size > 1 or j.spec.gpus]
    for j in gpu_jobs:
        gpus = j.spec.gpus if j.spec.gpus is not None else j.spec.tensor_parallel_size
        lines.append(f"resources: {j.label}: tensor_parallel_size {j.spec.tensor_parallel_size}, {gpus:g} GPU(s) on Ray")
    return "\n".join(lines + [f"note: {n}" for n in plan.notes])
