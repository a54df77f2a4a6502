"""The generate stage: decode what a job's store lacks, under the run directory's lock.

The backend is built only when a generation is missing (:class:`LazyBackend`), so a rerun of a
finished evaluation loads no model. The generation manifest names the current configuration
(``run_config``), so every reader of the store picks this configuration's records only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from harness.backends.base import Backend, GenerationRequest, GenerationResult
from harness.pipeline.jobs import Job, LazyTokenizer, ModelSession
from harness.pipeline.settings import GenerationSettings, StoreSettings


class LazyBackend(Backend):
    """Builds the real backend on the first non-empty ``generate`` call (a cached rerun loads no model)."""

    name = "lazy"

    def __init__(self, factory: Callable[[], Backend]) -> None:
        self._factory = factory
        self._backend: Backend | None = None

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        if not requests:
            return iter(())
        if self._backend is None:
            self._backend = self._factory()
            self.name = self._backend.name  # type: ignore[misc]  # records name the backend that decoded
        return self._backend.generate(requests)

    @property
    def started(self) -> bool:
        return self._backend is not None

    @property
    def backend_name(self) -> str | None:
        return self._backend.name if self._backend is not None else None

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None


@dataclass
class GenerationOutcome:
    total: int  # (item, turn, sample) units of the job
    new: int  # generated now
    backend: str  # the backend that decoded them ("cached" when nothing was decoded)


def generation_manifest(job: Job, gen: GenerationSettings, backend: str, command: str,
                        backend_options: dict | None = None) -> dict:
    from harness.generation import per_item_temperatures
    from harness.manifest import base_manifest

    m = job.model
    return base_manifest(
        command=command, model=m.name, model_id=m.model_id, model_source=m.source, revision=m.revision,
        benchmark=job.name, backend=backend, backend_options=backend_options, template=job.template.id,
        template_hash=job.template.sha256,
        authors_exact=gen.authors_exact, params=job.params.to_dict(), seed=job.params.seed,
        alpaca_eval_062_beam_quirk=gen.alpaca_eval_062_quirk, num_samples=gen.num_samples,
        n_items=len(job.items), limit=gen.limit, run_config=job.run_config,
        per_item_temperatures=per_item_temperatures(job.items, job.params, gen.temperature is not None))


def run_generation(job: Job, session: ModelSession, gen: GenerationSettings, store: StoreSettings,
                   command: str = "generate") -> GenerationOutcome:
    """Generate every missing (item, turn, sample) of ``job``; the caller holds the run lock."""
    from harness.backends import build_options, create_backend, default_backend
    from harness.generation import generate
    from harness.store import GenerationStore
    from harness.store.jsonl import write_json_atomic

    run_dir = job.run_dir.ensure()
    session.remember_stop_ids()
    backend_name = gen.backend or default_backend(job.model)
    options = build_options(backend_name, gen.backend_options)
    from harness.backends import get_backend_class

    recorded = get_backend_class(backend_name).manifest_options(job.model, options)
    write_json_atomic(run_dir.generation_manifest, generation_manifest(job, gen, backend_name, command, recorded))
    store_ = GenerationStore(run_dir.generations)
    before = len(store_.load())
    backend = LazyBackend(lambda: create_backend(backend_name, job.model, options, tokenizer=session.tokenizer
                                                 if backend_name == "transformers" else None))
    try:
        records = generate(benchmark=job.benchmark, items=job.items, backend=backend,
                           tokenizer=LazyTokenizer(lambda: session.tokenizer), template=job.template,
                           model_name=job.model.name, model_id=job.model.model_id, params=job.params, store=store_,
                           num_samples=gen.num_samples, temperature_overridden=gen.temperature is not None,
                           progress=store.progress)
    finally:
        started = backend.started
        backend.close()
    return GenerationOutcome(total=len(records), new=len(store_.load()) - before,
                             backend=backend_name if started else "cached")
