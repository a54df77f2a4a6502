"""The study tests' ``plugins:`` module, imported by the study in the driver and in every Ray worker.

In a Ray worker of the tests' cluster (``SIMPO_STUDY_TEST_WORKER`` set through the cluster's
runtime_env) it registers the toy benchmark and replaces the transformers backend by one that
kills its own worker process once, right after its first stored generation, when the test has
armed it (created the file named by ``SIMPO_STUDY_TEST_KILL``). The kill is a real SIGKILL of the
Ray worker mid-job: Ray retries the task, and the retry resumes from the store. In the test
process itself the module registers nothing (the tests register the toy benchmark themselves).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator, Sequence

from harness.backends.base import GenerationRequest, GenerationResult
from harness.backends.transformers_backend import TransformersBackend

WORKER_ENV = "SIMPO_STUDY_TEST_WORKER"
KILL_ENV = "SIMPO_STUDY_TEST_KILL"


def _die_if_armed() -> None:
    armed = os.environ.get(KILL_ENV)
    if not armed:
        return
    try:
        os.rename(armed, armed + ".fired")  # atomic: exactly one worker fires
    except FileNotFoundError:
        return
    os.kill(os.getpid(), signal.SIGKILL)


class KillOnceBackend(TransformersBackend):
    """The transformers backend (same name, same outputs) that dies once after its first result."""

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        for i, result in enumerate(super().generate(requests)):
            yield result  # the study stores it before asking for the next one
            if i == 0:
                _die_if_armed()


if os.environ.get(WORKER_ENV):
    import harness.backends as backends
    import harness.benchmarks as benchmarks
    from tests.helpers.toy_benchmark import TOY

    if TOY.name not in benchmarks.names():
        benchmarks.register(TOY)
    backends.register("transformers", KillOnceBackend)
