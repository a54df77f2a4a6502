"""Run a study's jobs one after another in this process, with one judge session for all of them.

Each job goes through the orchestrator's stages (:func:`harness.pipeline.runner.run_job`) under
its run directory's lock; the judge session (one HTTP client, one concurrency budget, one
embedded judge server at most) lives as long as the study. The Ray runner uses
:func:`finish_job` for its pooled judge stage, so both modes judge and score the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError
from harness.pipeline.judge_stage import JudgeSession
from harness.pipeline.runner import run_job
from harness.study.plan import PlannedJob, StudyPlan
from harness.study.progress import LiveBoard


@dataclass
class JobOutcome:
    """What one job did: its score payload, its generation and judge info, or why it failed."""

    model: str
    benchmark: str
    state: str  # done | failed
    payload: dict[str, Any] | None = None
    generation: dict[str, Any] | None = None  # total / new / backend (+ where it ran, on Ray)
    judge: dict[str, Any] | None = None
    error: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        p = self.payload or {}
        return {"model": self.model, "benchmark": self.benchmark, "state": self.state, "error": self.error,
                "status": p.get("status"), "metrics": p.get("metrics"), "ci": p.get("ci"),
                "incomplete": p.get("incomplete"), "generation": self.generation, "judge": self.judge,
                "seconds": round(self.seconds, 3), "manifest": p.get("manifest")}


def failed(pj: PlannedJob, error: str, live: LiveBoard, generation: dict[str, Any] | None = None) -> JobOutcome:
    live.event(pj.label, "failed", error)
    return JobOutcome(pj.model, pj.benchmark, "failed", generation=generation, error=error)


def finish_job(pj: PlannedJob, judge_session: JudgeSession, plan: StudyPlan, live: LiveBoard,
               generation: dict[str, Any] | None = None, started: float | None = None) -> JobOutcome:
    """The judge and score stages of one job, with the study's judge session."""
    started = time.monotonic() if started is None else started
    store = plan.settings.store
    live.event(pj.label, "judging" if pj.job.spec.needs_judge else "scoring")
    live.usage[pj.label] = judge_session.usage
    try:
        result = run_job(pj.job, pj.session, judge_session, pj.gen, store,  # type: ignore[arg-type]
                         stages=("judge", "score"), command="study")
    except HarnessError as exc:
        return failed(pj, str(exc), live, generation)
    finally:
        live.usage.pop(pj.label, None)
    if result.judge is not None:
        live.board.judged(pj.label, result.judge.get("usage", {}))
    payload = result.payload or {}
    live.event(pj.label, "done", None if payload.get("status") != "incomplete" else "score incomplete",
               done=generation.get("total") if generation else None)
    return JobOutcome(pj.model, pj.benchmark, "done", payload=payload, generation=generation, judge=result.judge,
                      seconds=time.monotonic() - started)


def generate_here(pj: PlannedJob, plan: StudyPlan, live: LiveBoard) -> dict[str, Any]:
    """The generate stage of one job in this process (under the run lock); its outcome as plain data."""
    assert pj.session is not None
    live.event(pj.label, "generating")
    result = run_job(pj.job, pj.session, None, pj.gen, plan.settings.store, stages=("generate",), command="study")
    assert result.generation is not None
    g = result.generation
    return {"total": g.total, "new": g.new, "backend": g.backend}


def run_sequential(plan: StudyPlan, live: LiveBoard) -> list[JobOutcome]:
    """Every job in plan order: generate, then judge and score with the one judge session."""
    from harness.store import run_lock

    judge_session = JudgeSession(plan.settings.judge, progress=False)
    outcomes = []
    try:
        for pj in plan.jobs:
            started = time.monotonic()
            if pj.spec.imported:
                outcomes.append(finish_job(pj, judge_session, plan, live, started=started))
                continue
            try:
                with run_lock(pj.job.run_dir.path, wait=plan.settings.store.wait):  # held across both calls
                    generation = generate_here(pj, plan, live)
                    outcomes.append(finish_job(pj, judge_session, plan, live, generation, started))
            except HarnessError as exc:
                outcomes.append(failed(pj, str(exc), live))
    finally:
        judge_session.close()
    return outcomes
