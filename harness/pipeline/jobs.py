"""The typed plan: one :class:`Job` per (model, benchmark), built by a :class:`ModelSession`.

A session resolves the model once and loads its tokenizer only when a prompt has to be rendered
(a rerun of a finished evaluation loads nothing). The stop ids, which are part of every
generation key, are cached per model id under ``<results>/.cache/`` for the same reason.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.pipeline.settings import GenerationSettings, StoreSettings

if TYPE_CHECKING:
    from harness.backends.base import SamplingParams
    from harness.benchmarks.base import Benchmark, BenchmarkItem
    from harness.benchmarks.spec import BenchmarkSpec
    from harness.model_loading import ResolvedModel
    from harness.store.layout import RunDir
    from harness.templates import ChatTemplate


@dataclass
class Job:
    """Everything the stages need for one (model, benchmark)."""

    model: ResolvedModel
    benchmark: Benchmark
    items: list[BenchmarkItem]
    template: ChatTemplate
    params: SamplingParams
    run_dir: RunDir
    run_config: str
    notes: list[str] = field(default_factory=list)

    @property
    def spec(self) -> BenchmarkSpec:
        return self.benchmark.spec

    @property
    def name(self) -> str:
        return self.benchmark.name


class LazyTokenizer:
    """Loads the tokenizer on first use: a fully cached generation stage renders no prompt."""

    def __init__(self, load: Callable[[], Any]) -> None:
        self._load = load

    def __getattr__(self, name: str) -> Any:
        return getattr(self._load(), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._load()(*args, **kwargs)


@contextlib.contextmanager
def _hub_offline() -> Iterator[None]:
    saved = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = saved


class ModelSession:
    """One model across the benchmarks of a command: resolution, tokenizer, stop ids, jobs."""

    def __init__(self, model: str, store: StoreSettings, template: str | None = None) -> None:
        from harness.model_loading import resolve_model

        self.store = store
        self.model = resolve_model(model, template=template)
        if not self.model.template:
            raise HarnessError(f"model {model!r} has no chat template; pass --template")
        self._tokenizer: Any = None
        self._stop_ids: tuple[int, ...] | None = None
        self._stop_ids_fresh = False
        self.estimate_note: str | None = None  # set when a dry run could not load the tokenizer

    @property
    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            from harness.model_loading import load_tokenizer

            self._tokenizer = load_tokenizer(self.model)
        return self._tokenizer

    @property
    def _stop_ids_cache(self) -> Path:
        return Path(self.store.results_dir) / ".cache" / "stop_token_ids.json"

    def stop_token_ids(self) -> tuple[int, ...]:
        """The model's stop ids (config + tokenizer EOS), cached per model id (repo@revision, or a
        local checkpoint's path@file-fingerprint). A dry run never waits on the hub: without a local
        tokenizer it uses the model config's stop ids and says that the plan is an estimate."""
        if self._stop_ids is not None:
            return self._stop_ids
        from harness.model_loading import stop_token_ids_for
        from harness.store.jsonl import read_json

        try:
            cached = read_json(self._stop_ids_cache).get(self.model.model_id)
        except (HarnessError, AttributeError):
            cached = None
        if isinstance(cached, list) and all(isinstance(i, int) for i in cached):
            self._stop_ids = tuple(cached)
            return self._stop_ids
        if self.store.dry_run:
            try:
                with _hub_offline():
                    tokenizer = self.tokenizer
            except HarnessError:
                self._stop_ids = tuple(sorted(set(self.model.stop_token_ids)))
                self.estimate_note = ("estimate: the tokenizer is not available locally, so cached counts assume "
                                      "the model config's stop ids and token counts are approximations")
                return self._stop_ids
            self._stop_ids = stop_token_ids_for(self.model, tokenizer)
            return self._stop_ids
        self._stop_ids, self._stop_ids_fresh = stop_token_ids_for(self.model, self.tokenizer), True
        return self._stop_ids

    def remember_stop_ids(self) -> None:
        """Persist freshly computed stop ids (on a real run only: a dry run writes nothing)."""
        if not self._stop_ids_fresh or self._stop_ids is None:
            return
        from harness.store.jsonl import read_json, write_json_atomic

        try:
            known = read_json(self._stop_ids_cache)
        except HarnessError:
            known = {}
        if not isinstance(known, dict):
            known = {}
        write_json_atomic(self._stop_ids_cache, {**known, self.model.model_id: list(self._stop_ids)})
        self._stop_ids_fresh = False

    def job(self, name: str, gen: GenerationSettings) -> Job:
        """The job of benchmark ``name`` for this model."""
        from harness.benchmarks import get_benchmark
        from harness.generation import max_new_tokens_override, run_config_id, sampling_params_from
        from harness.model_loading import check_results_owner
        from harness.store.layout import RunDir
        from harness.templates import get_template

        bench = get_benchmark(name)
        items = bench.load_items(self.store.data_dir, gen.limit)
        if not items:
            raise HarnessError(f"benchmark {name!r} has no items")
        template = get_template(self.model.template, benchmark=name, authors_exact=gen.authors_exact)
        params = sampling_params_from(
            self.model.decoding_for(bench.spec.decoding_key), stop_token_ids=self.stop_token_ids(),
            temperature=gen.temperature, top_p=gen.top_p, seed=gen.seed,
            max_new_tokens=max_new_tokens_override(bench, gen.max_new_tokens),
            alpaca_eval_062_beam_quirk=gen.alpaca_eval_062_quirk)
        run_dir = RunDir(self.store.results_dir, self.model.name, name)
        check_results_owner(self.model, run_dir.path)
        job = Job(model=self.model, benchmark=bench, items=items, template=template, params=params, run_dir=run_dir,
                  run_config=run_config_id(self.model.model_id, template.sha256, params))
        if self.estimate_note:
            job.notes.append(self.estimate_note)
        return job


def locate_run_dir(store: StoreSettings, model: str, benchmark: str) -> RunDir:
    """The run directory of ``model`` (a results name, registry name, HF id or checkpoint directory)."""
    from harness.store.layout import RunDir

    candidates = [model]
    path = Path(model).expanduser()
    if path.is_dir():
        from harness.model_loading import local_checkpoint_name

        candidates.insert(0, local_checkpoint_name(path.resolve()))
    try:
        from harness.registry.models import load_registry

        cfg = load_registry().find(model)
        if cfg is not None:
            candidates.append(cfg.name)
    except HarnessError:
        pass
    for name in candidates:
        run = RunDir(store.results_dir, name, benchmark)
        if run.path.is_dir():
            return run
    expected = RunDir(store.results_dir, candidates[0], benchmark).path
    raise HarnessError(f"no results for model {model!r} on {benchmark!r} under {store.results_dir} "
                       f"(expected {expected}); run 'simpo-harness generate' (or 'import') first")
