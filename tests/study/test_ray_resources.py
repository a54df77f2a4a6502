"""Ray task options and the resource check, on a described cluster (no Ray needed)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from harness.errors import HarnessError
from harness.study.config import RayConfig
from harness.study.ray_runner import check_resources, error_line, task_options


def _pj(tp: int = 1, gpus: float | None = None):
    spec = SimpleNamespace(tensor_parallel_size=tp, gpus=gpus, where="models.0")
    return SimpleNamespace(spec=spec, label="m alpaca_eval")


PLAN = SimpleNamespace(settings=SimpleNamespace(ray=RayConfig(max_retries=2, cpus_per_job=2)))


def test_a_job_asks_for_its_tensor_parallel_size_in_gpus_on_a_gpu_cluster():
    assert task_options(_pj(tp=4), PLAN, cluster_gpus=8) == {"num_gpus": 4, "num_cpus": 2, "max_retries": 2,
                                                            "retry_exceptions": False, "name": "study m alpaca_eval"}
    assert task_options(_pj(tp=4), PLAN, cluster_gpus=0)["num_gpus"] == 0  # a CPU cluster
    assert task_options(_pj(tp=4, gpus=2), PLAN, cluster_gpus=0)["num_gpus"] == 2  # explicit wins


def test_a_job_no_node_can_run_is_an_error_before_anything_is_submitted():
    ray = SimpleNamespace(nodes=lambda: [{"Alive": True, "Resources": {"CPU": 16.0, "GPU": 4.0}},
                                         {"Alive": False, "Resources": {"CPU": 64.0, "GPU": 8.0}}])
    check_resources(ray, [(_pj(), {"num_gpus": 4, "num_cpus": 16})])
    with pytest.raises(HarnessError, match=r"models.0: job m alpaca_eval asks for 8 GPU\(s\) but no node of the Ray "
                                           r"cluster has more than 4"):
        check_resources(ray, [(_pj(), {"num_gpus": 8, "num_cpus": 1})])
    with pytest.raises(HarnessError, match=r"asks for 32 CPU\(s\)"):
        check_resources(ray, [(_pj(), {"num_gpus": 0, "num_cpus": 32})])


def test_a_failed_task_is_one_line():
    assert error_line(SimpleNamespace(cause=HarnessError("model x not found"))) == "model x not found"  # type: ignore[arg-type]
    crash = RuntimeError("Traceback (most recent call last):\n  File ...\nWorkerCrashedError: the worker died")
    assert error_line(crash) == "WorkerCrashedError: the worker died"


def test_nested_data_parallel_replicas_are_refused_on_ray():
    from harness.study.ray_runner import submit

    pj = _pj()
    pj.gen = SimpleNamespace(backend_options={"data_parallel_size": 2})
    with pytest.raises(HarnessError, match="models.0: --data-parallel-size > 1 inside a Ray study"):
        submit(SimpleNamespace(), SimpleNamespace(jobs=[pj]))  # type: ignore[arg-type]
