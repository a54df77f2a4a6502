"""Run a study on a Ray cluster: each generation job is a Ray task, judging is one pooled stage.

- Each (model, benchmark) that has generations to do is one task (:func:`generate_job`) asking
  ``num_gpus`` = the model's ``gpus`` (default: its tensor-parallel size on a cluster with GPUs,
  0 on a CPU cluster) and ``cpus_per_job`` CPUs. Ray retries a task whose worker died
  (``max_retries``); the retry resumes from the store, whose generation file is append-only and
  keyed, under the run directory's lock (an flock, released by the kernel with the dead worker).
  Errors of the job itself (a bad model, a lock held by another command) are not retried.
- Judging and scoring run in the driver with one :class:`~harness.pipeline.judge_stage.JudgeSession`
  (one client, one concurrency budget across the cluster) as soon as a job's generations are
  done, while the other tasks go on. Results go to the study's results directory, which must be
  a path every node sees (a shared filesystem).
- Jobs with nothing to generate start no task; a rerun of a finished study starts none.

``ray`` is imported only here, and only when a study runs with ``--ray``.
"""

from __future__ import annotations

import os
import socket
import time
from collections import deque
from typing import Any

from harness.errors import HarnessError
from harness.pipeline.settings import StoreSettings
from harness.study.local import JobOutcome, failed, finish_job
from harness.study.plan import PlannedJob, StudyPlan
from harness.study.progress import LiveBoard
from harness.study.settings import JobSpec, import_plugins

LOCAL = "local"  # --ray without an address: a new Ray instance on this machine (RAY_ADDRESS wins)


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise HarnessError("--ray needs the ray package: pip install 'simpo-harness[ray]' (or pip install ray)") from None
    return ray


def generate_job(spec: JobSpec, store: StoreSettings, plugins: tuple[str, ...]) -> dict[str, Any]:
    """The Ray task: rebuild the job from plain data and run its generate stage under the run lock."""
    from harness.pipeline.runner import run_job
    from harness.study.plan import build_job

    started = time.monotonic()
    import_plugins(plugins)
    session, job, gen = build_job(spec, store, {})
    result = run_job(job, session, None, gen, store, stages=("generate",), command="study")
    assert result.generation is not None
    g = result.generation
    return {"total": g.total, "new": g.new, "backend": g.backend, "host": socket.gethostname(), "pid": os.getpid(),
            "seconds": round(time.monotonic() - started, 3)}


def connect(address: str | None) -> tuple[Any, bool]:
    """(ray, whether this call started it): the running session, the cluster at ``address``, or a new one."""
    ray = import_ray()
    if ray.is_initialized():
        return ray, False
    address = address or os.environ.get("RAY_ADDRESS") or LOCAL
    kwargs: dict[str, Any] = {"log_to_driver": False}
    if address == LOCAL:  # our own instance: no dashboard, and it reports no usage statistics
        kwargs["include_dashboard"] = False
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        ray.init(address=address, **kwargs)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        chain, cause = [], exc.__cause__
        while cause is not None:
            chain.append(str(cause))
            cause = cause.__cause__
        hint = (" (the cluster uses token authentication: set RAY_AUTH_MODE=token and give this machine its "
                "token, ~/.ray/auth_token or $RAY_AUTH_TOKEN)" if any("Authentication token" in c for c in chain) else "")
        raise HarnessError(f"cannot connect to the Ray cluster at {address!r}: {first}{hint}") from None
    return ray, True


def task_options(pj: PlannedJob, plan: StudyPlan, cluster_gpus: float) -> dict[str, Any]:
    spec, ray_cfg = pj.spec, plan.settings.ray
    gpus = spec.gpus if spec.gpus is not None else (spec.tensor_parallel_size if cluster_gpus > 0 else 0)
    return {"num_gpus": gpus, "num_cpus": ray_cfg.cpus_per_job, "max_retries": ray_cfg.max_retries,
            "retry_exceptions": False, "name": f"study {pj.label}"}


def check_resources(ray: Any, wanted: list[tuple[PlannedJob, dict[str, Any]]]) -> None:
    """A job no node can run would wait forever in Ray's queue: say so before submitting anything."""
    nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
    for key, res in (("num_gpus", "GPU"), ("num_cpus", "CPU")):
        most = max((float(n.get(res, 0)) for n in nodes), default=0.0)
        for pj, opts in wanted:
            if opts[key] > most:
                raise HarnessError(f"{pj.spec.where}: job {pj.label} asks for {opts[key]:g} {res}(s) but no node of the "
                                   f"Ray cluster has more than {most:g}")


def error_line(exc: BaseException) -> str:
    """One line for a failed task: the job's own error, else the last line of Ray's message."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, HarnessError):
        return str(cause)
    text = str(cause or exc).strip()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else exc.__class__.__name__


def submit(ray: Any, plan: StudyPlan) -> dict[Any, tuple[PlannedJob, float]]:
    """One task per job with generations to do, after checking that some node can run each."""
    for pj in plan.jobs:
        if (pj.gen.backend_options.get("data_parallel_size") or 1) > 1:
            raise HarnessError(f"{pj.spec.where}: --data-parallel-size > 1 inside a Ray study would nest Ray replicas "
                               "in a task; on Ray the jobs are the parallel units (leave it at 1)")
    cluster_gpus = float(ray.cluster_resources().get("GPU", 0))
    wanted = [(pj, task_options(pj, plan, cluster_gpus)) for pj in plan.jobs if pj.needs_generation]
    check_resources(ray, wanted)
    remote = ray.remote(generate_job)
    s = plan.settings
    return {remote.options(**opts).remote(pj.spec, s.store, s.plugins): (pj, time.monotonic()) for pj, opts in wanted}


def run_ray(plan: StudyPlan, live: LiveBoard, address: str | None) -> list[JobOutcome]:
    """Generation tasks side by side on the cluster; judge + score in this process as each finishes.
    A study with nothing to generate (a rerun) does not even connect to Ray."""
    from harness.pipeline.judge_stage import JudgeSession

    needs_ray = any(pj.needs_generation for pj in plan.jobs)
    ray, started_here = connect(address) if needs_ray else (None, False)
    outcomes: list[JobOutcome] = []
    try:
        pending = submit(ray, plan) if needs_ray else {}
        ready: deque[tuple[PlannedJob, dict[str, Any] | None, float]] = deque(
            (pj, None, time.monotonic()) for pj in plan.jobs if not pj.needs_generation)
        judge_session = JudgeSession(plan.settings.judge, progress=False)
        try:
            while pending or ready:
                if pending:
                    done, _ = ray.wait(list(pending), num_returns=len(pending), timeout=0 if ready else 0.5)
                    for ref in done:
                        pj, t0 = pending.pop(ref)
                        try:
                            ready.append((pj, ray.get(ref), t0))
                        except (ray.exceptions.RayError, HarnessError) as exc:
                            outcomes.append(failed(pj, error_line(exc), live))
                if ready:
                    pj, generation, t0 = ready.popleft()
                    outcomes.append(finish_job(pj, judge_session, plan, live, generation, t0))
        finally:
            judge_session.close()
            for ref in pending:  # interrupted: stop the tasks (their work so far is in the store)
                ray.cancel(ref, force=True)
    finally:
        if started_here:
            ray.shutdown()
    order = {pj.label: i for i, pj in enumerate(plan.jobs)}
    return sorted(outcomes, key=lambda o: order[f"{o.model} {o.benchmark}"])
