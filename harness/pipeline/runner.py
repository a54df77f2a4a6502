"""The orchestrator: plan and run jobs through the stages generate -> judge -> score.

Every command goes through here: ``generate`` runs the first stage, ``judge`` the second,
``score`` the third, ``run`` (and each job of a ``study``) all three. A job holds its run
directory's lock for the stages it runs, so two processes never work on one directory. Each
stage is idempotent, so a rerun (or a killed run restarted) does only the missing work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from harness.benchmarks.base import ScoreOptions
from harness.pipeline.generate_stage import GenerationOutcome, run_generation
from harness.pipeline.jobs import Job, ModelSession
from harness.pipeline.judge_stage import JudgeSession, judge_run_dir
from harness.pipeline.score_stage import score_run_dir
from harness.pipeline.settings import GenerationSettings, JudgeSettings, StoreSettings

if TYPE_CHECKING:
    from harness.store import JudgeId

Stage = Literal["generate", "judge", "score"]
ALL_STAGES: tuple[Stage, ...] = ("generate", "judge", "score")


@dataclass
class JobPlan:
    """What a job will do: counts, cached work and the judge's estimated cost."""

    model: str
    benchmark: str
    n_items: int
    generation_units: int
    generations_cached: int
    needs_judge: bool
    judged_items: int = 0
    judge_calls_todo: int = 0
    judge_tokens: tuple[int, int] = (0, 0)
    judge_cost_usd: float | None = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def generations_todo(self) -> int:
        return self.generation_units - self.generations_cached


@dataclass
class JobResult:
    job: Job
    generation: GenerationOutcome | None = None
    judge: dict[str, Any] | None = None
    payload: dict[str, Any] | None = None


def _cached_units(job: Job, num_samples: int) -> tuple[int, int]:
    """(units, cached units) of ``job``'s current configuration."""
    from harness.store import GenerationStore

    units = sum(len(it.turns) for it in job.items) * num_samples
    have = {(r.item_id, r.turn, r.sample_index) for r in GenerationStore(job.run_dir.generations).load().values()
            if r.run_config == job.run_config}
    cached = sum(1 for it in job.items for t in range(len(it.turns)) for s in range(num_samples)
                 if (it.item_id, t, s) in have)
    return units, cached


def judged_items(job: Job, judge: JudgeId) -> int:
    """Items of the job's selection with a successful judgment by ``judge`` (model and endpoint)."""
    from harness.store import JudgeId
    from harness.store.jsonl import read_jsonl

    wanted = {it.item_id for it in job.items}
    done = {str(r.get("item_id")) for r in read_jsonl(job.run_dir.annotations)
            if r.get("error") is None and JudgeId.of(r) == judge}
    return len(done & wanted)


def plan_job(job: Job, gen: GenerationSettings, judge: JudgeSettings) -> JobPlan:
    from harness.pipeline.judge_cost import judge_estimate

    units, cached = _cached_units(job, gen.num_samples)
    plan = JobPlan(model=job.model.name, benchmark=job.name, n_items=len(job.items), generation_units=units,
                   generations_cached=cached, needs_judge=job.spec.needs_judge, notes=list(job.notes))
    if plan.needs_judge:
        spec = job.spec.judge
        plan.judged_items = judged_items(job, judge.judge_id(spec.default_model))
        est = judge_estimate(job.spec, plan.n_items, plan.judged_items, judge)
        plan.judge_calls_todo = est.n_calls - est.n_cached
        plan.judge_tokens = (est.prompt_tokens, est.completion_tokens_expected)
        plan.judge_cost_usd = 0.0 if judge.embedded else est.cost_usd(batch=judge.batch)
    return plan


def run_job(job: Job, session: ModelSession, judge_session: JudgeSession | None, gen: GenerationSettings,
            store: StoreSettings, stages: Sequence[Stage] = ALL_STAGES, command: str = "run") -> JobResult:
    """Run ``stages`` of ``job`` under its run directory's lock."""
    from harness.store import run_lock

    result = JobResult(job)
    with run_lock(job.run_dir.path, wait=store.wait):
        if "generate" in stages:
            result.generation = run_generation(job, session, gen, store, command=command)
        judge_id = None
        if job.spec.needs_judge and judge_session is not None:
            judge_id = judge_session.settings.judge_id(job.spec.judge.default_model)
            if "judge" in stages:
                result.judge = judge_run_dir(job.benchmark, job.run_dir.path, job.items, judge_session,
                                             store.data_dir)
        if "score" in stages:
            options = ScoreOptions(data_dir=store.data_dir, judge_model=judge_id.model if judge_id else None,
                                   judge_endpoint=judge_id.endpoint if judge_id else None)
            this_run = {"backend": result.generation.backend if result.generation else None,
                        "new_generations": result.generation.new if result.generation else None,
                        "judge": result.judge}
            result.payload = score_run_dir(job.benchmark, job.run_dir.path, options, command=command,
                                           extra_manifest={"this_run": this_run})
    return result
