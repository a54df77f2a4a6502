"""`run`: generate -> judge -> score for several benchmarks, resumable at every stage.

Each stage is idempotent: generation records, judge annotations and judge calls are all
persisted as they complete, so a rerun (or a run killed at any point and restarted) does only
the missing work. Heavy resources start lazily: the decoding backend is built only when a
generation is missing, the judge (and the embedded local judge server) only when a judgment is.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.backends.base import Backend, GenerationRequest, GenerationResult
from harness.errors import HarnessError
from harness.judges.base import JudgeClient, JudgeRequest, JudgeResponse
from harness.judges.progress import JudgeProgress

EMBEDDED_JUDGE_NOTE = ("judged by the embedded local judge {judge!r} (no API key or --judge-base-url given): "
                       "these judgments are NOT GPT-4's and are not comparable to published numbers")


@dataclass
class RunOptions:
    model: str
    benchmarks: list[str]
    results_dir: Path
    data_dir: Path | None = None
    limit: int | None = None
    backend: str | None = None
    batch_size: int = 8
    dtype: str = "auto"
    template: str | None = None
    authors_exact: bool = False
    max_new_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None
    alpaca_eval_062_quirk: bool = False
    judge_model: str | None = None
    judge_base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    local_judge: str = "smollm2-135m-instruct"
    # MT-Bench reference answers are keyed by model (FastChat: the judge's name). The embedded
    # judge has none of its own, so it grades against the GPT-4 references FastChat ships.
    reference_model: str | None = None
    concurrency: int = 16
    max_retries: int = 8
    judge_timeout: float = 120.0
    judge_backoff: float = 1.0  # initial retry backoff (seconds), doubled per attempt
    progress: bool = True


@dataclass
class BenchmarkPlan:
    benchmark: str
    n_items: int
    generation_units: int
    generations_cached: int
    needs_judge: bool
    judged_cached: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def generations_todo(self) -> int:
        return self.generation_units - self.generations_cached


class LazyBackend(Backend):
    """Builds the real backend on the first non-empty ``generate`` call (a cached rerun loads no model)."""

    def __init__(self, factory: Any) -> None:
        self._factory = factory
        self._backend: Backend | None = None
        self.name = "lazy"

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        if not requests:
            return iter(())
        if self._backend is None:
            self._backend = self._factory()
            self.name = self._backend.name
        return self._backend.generate(requests)

    @property
    def started(self) -> bool:
        return self._backend is not None

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()


class LazyTokenizer:
    """Loads the tokenizer on first use: a fully cached generation stage renders no prompt."""

    def __init__(self, load: Callable[[], Any]) -> None:
        self._load = load

    def __getattr__(self, name: str) -> Any:
        return getattr(self._load(), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._load()(*args, **kwargs)


class LazyJudgeClient(JudgeClient):
    """Starts the judge (and, for the embedded default, its local server) on the first request."""

    def __init__(self, opts: RunOptions, cache_path: Path, progress: JudgeProgress | None = None) -> None:
        self.opts = opts
        self.cache_path = cache_path
        self.progress = progress
        self.client: Any = None
        self.server: Any = None

    @property
    def embedded(self) -> bool:
        return self.opts.judge_base_url is None and not os.environ.get(self.opts.api_key_env)

    def judge_model_for(self, default: str | None = None) -> str | None:
        if self.opts.judge_model:
            return self.opts.judge_model
        return self.opts.local_judge if self.embedded else default

    def _start(self) -> None:
        from harness.judges.client import JudgeClientConfig, OpenAIJudgeClient

        base_url = self.opts.judge_base_url
        if self.embedded:
            from harness.judges.local_model import LocalModelResponder
            from harness.judges.local_server import LocalJudgeServer

            print(f"starting the embedded local judge {self.opts.local_judge!r} on 127.0.0.1 ...", file=sys.stderr)
            self.server = LocalJudgeServer(LocalModelResponder(self.opts.local_judge),
                                           model_names=(self.opts.local_judge,)).start()
            base_url = self.server.base_url
        self.client = OpenAIJudgeClient(JudgeClientConfig(
            base_url=base_url, api_key_env=self.opts.api_key_env, concurrency=self.opts.concurrency,
            max_retries=self.opts.max_retries, timeout_s=self.opts.judge_timeout,
            backoff_initial_s=self.opts.judge_backoff, cache_path=self.cache_path))
        self.client.progress = self.progress

    def complete_many(self, requests: Sequence[JudgeRequest]) -> list[JudgeResponse]:
        if not requests:
            return []
        if self.client is None:
            self._start()
        return self.client.complete_many(requests)

    def usage(self) -> dict[str, Any]:
        return self.client.usage.to_dict() if self.client is not None else {"calls": 0}

    def close(self) -> None:
        cache = getattr(self.client, "cache", None)
        if cache is not None:  # release the sqlite handle (and its WAL) before the next benchmark
            cache.close()
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.progress is not None:
            self.progress.close()


def _count_cached(store_records: dict[str, dict[str, Any]], items: Sequence[Any], run_config: str) -> tuple[int, int]:
    """(units, cached units) for the current generate configuration."""
    units = sum(len(it.turns) for it in items)
    have = {(r.get("item_id"), r.get("turn")) for r in store_records.values() if r.get("run_config") == run_config
            and r.get("sample_index", 0) == 0}
    cached = sum(1 for it in items for t in range(len(it.turns)) if (it.item_id, t) in have)
    return units, cached


def _annotated_count(run_dir: Any, items: Sequence[Any]) -> int:
    """Items (of this run's selection) with at least one annotation row.

    Rows are append-only (a retried failure or a re-judged output adds a row), so counting lines
    would overstate progress; counting distinct items cannot exceed the item count.
    """
    from harness.jsonl import read_jsonl

    wanted = {str(it.item_id) for it in items}
    return len({str(r.get("item_id")) for r in read_jsonl(run_dir.annotations)} & wanted)


class Pipeline:
    """Holds the resolved model and tokenizer across benchmarks of one `run`."""

    def __init__(self, opts: RunOptions) -> None:
        from harness.model_loading import resolve_model

        self.opts = opts
        self.model = resolve_model(opts.model, template=opts.template)
        if not self.model.template:
            raise HarnessError(f"model {opts.model!r} has no chat template; pass --template")
        self._tokenizer: Any = None
        self._backends: list[LazyBackend] = []
        self._stop_ids: tuple[int, ...] | None = None
        self._stop_ids_fresh = False

    @property
    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            from harness.model_loading import load_tokenizer

            self._tokenizer = load_tokenizer(self.model)
        return self._tokenizer

    @property
    def _stop_ids_cache(self) -> Path:
        return Path(self.opts.results_dir) / ".cache" / "stop_token_ids.json"

    def stop_token_ids(self) -> tuple[int, ...]:
        """The model's stop ids (config + tokenizer EOS): part of every run_config, so the plan needs
        them. Loading a tokenizer costs seconds (a GGUF's is parsed from the whole file), so they are
        cached per model_id (repo@revision, or a local checkpoint's path@file-fingerprint); a
        rerun of a completed evaluation then loads no tokenizer at all."""
        if self._stop_ids is None:
            import json

            from harness.model_loading import stop_token_ids_for

            try:
                cached = json.loads(self._stop_ids_cache.read_text(encoding="utf-8")).get(self.model.model_id)
            except (OSError, ValueError, AttributeError):
                cached = None
            if isinstance(cached, list) and all(isinstance(i, int) for i in cached):
                self._stop_ids = tuple(cached)
            else:
                self._stop_ids, self._stop_ids_fresh = stop_token_ids_for(self.model, self.tokenizer), True
        return self._stop_ids

    def _remember_stop_ids(self) -> None:
        """Persist freshly computed stop ids (on a real run only: a dry run writes nothing)."""
        if not self._stop_ids_fresh or self._stop_ids is None:
            return
        import json

        from harness.jsonl import write_json_atomic

        try:
            known = json.loads(self._stop_ids_cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
        if not isinstance(known, dict):
            known = {}
        write_json_atomic(self._stop_ids_cache, {**known, self.model.model_id: list(self._stop_ids)})
        self._stop_ids_fresh = False

    def _prepare(self, name: str) -> dict[str, Any]:
        from harness.benchmarks import get_benchmark_class
        from harness.generation import max_new_tokens_override, run_config_id, sampling_params_from
        from harness.model_loading import check_results_owner
        from harness.results import RunDir
        from harness.store import GenerationStore
        from harness.templates import get_template

        o = self.opts
        bench = get_benchmark_class(name)()
        items = bench.load_items(o.data_dir, o.limit)
        if not items:
            raise HarnessError(f"benchmark {name!r} has no items")
        template = get_template(self.model.template, benchmark=name, authors_exact=o.authors_exact)
        params = sampling_params_from(
            self.model.decoding_for(name), stop_token_ids=self.stop_token_ids(),
            temperature=o.temperature,
            max_new_tokens=max_new_tokens_override(bench, o.max_new_tokens),
            seed=o.seed,
            alpaca_eval_062_beam_quirk=o.alpaca_eval_062_quirk)
        run_dir = RunDir(o.results_dir, self.model.name, name)
        check_results_owner(self.model, run_dir.path)
        store = GenerationStore(run_dir.generations)
        config_id = run_config_id(self.model.model_id, template.sha256, params)
        return {"bench": bench, "items": items, "template": template, "params": params, "run_dir": run_dir,
                "store": store, "run_config": config_id}

    def plan(self, name: str) -> BenchmarkPlan:
        p = self._prepare(name)
        units, cached = _count_cached(p["store"].load(), p["items"], p["run_config"])
        plan = BenchmarkPlan(benchmark=name, n_items=len(p["items"]), generation_units=units,
                             generations_cached=cached, needs_judge=bool(p["bench"].needs_judge))
        if plan.needs_judge:
            plan.judged_cached = _annotated_count(p["run_dir"], p["items"])
        return plan

    def run_benchmark(self, name: str) -> dict[str, Any]:
        from harness.generation import generate, per_item_temperatures
        from harness.jsonl import write_json_atomic
        from harness.manifest import base_manifest
        from harness.model_loading import build_backend, default_backend
        from harness.store import GENERATION_MANIFEST

        o = self.opts
        p = self._prepare(name)
        run_dir = p["run_dir"].ensure()
        self._remember_stop_ids()
        backend_name = o.backend or default_backend(self.model)
        # The generation manifest names the current configuration, so readers of the store
        # (records_for_run) pick this configuration's records and no stale ones.
        write_json_atomic(run_dir.path / GENERATION_MANIFEST, base_manifest(
            command="run", model=self.model.name, model_id=self.model.model_id, model_source=self.model.source,
            revision=self.model.revision, benchmark=name, backend=backend_name, template=p["template"].id,
            template_hash=p["template"].sha256, authors_exact=o.authors_exact, params=p["params"].to_dict(),
            seed=p["params"].seed, alpaca_eval_062_beam_quirk=o.alpaca_eval_062_quirk, num_samples=1,
            n_items=len(p["items"]), limit=o.limit, run_config=p["run_config"],
            per_item_temperatures=per_item_temperatures(p["items"], p["params"], o.temperature is not None)))
        backend = LazyBackend(lambda: build_backend(backend_name, self.model, batch_size=o.batch_size, dtype=o.dtype))
        self._backends.append(backend)
        generate(benchmark=p["bench"], items=p["items"], backend=backend, tokenizer=LazyTokenizer(lambda: self.tokenizer),
                 template=p["template"], model_name=self.model.name, model_id=self.model.model_id,
                 params=p["params"], store=p["store"], temperature_overridden=o.temperature is not None,
                 progress=o.progress)
        backend.close()
        judge_info: dict[str, Any] = {}
        if p["bench"].needs_judge:
            judge_info = self._judge(p["bench"], run_dir, p["items"])
        kwargs = {"data_dir": o.data_dir} if "data_dir" in inspect.signature(p["bench"].score).parameters else {}
        payload = p["bench"].score(run_dir.path, **kwargs)
        payload["manifest"] = {
            **payload.get("manifest", {}),
            **base_manifest(
                command="run", model=self.model.name, model_id=self.model.model_id, revision=self.model.revision,
                benchmark=name, backend=backend_name if backend.started else "cached", template=p["template"].id,
                template_hash=p["template"].sha256, authors_exact=o.authors_exact, params=p["params"].to_dict(),
                alpaca_eval_062_beam_quirk=o.alpaca_eval_062_quirk, limit=o.limit, n_items=len(p["items"]),
                run_config=p["run_config"], judge=judge_info or None),
        }
        write_json_atomic(run_dir.scores, payload)
        return payload

    def _judge(self, bench: Any, run_dir: Any, items: list[Any]) -> dict[str, Any]:
        o = self.opts
        progress = JudgeProgress(f"{bench.name} judge", enabled=o.progress)
        client = LazyJudgeClient(o, run_dir.path / "judge_cache.sqlite", progress)
        judge_model = client.judge_model_for()
        options: dict[str, Any] = {"judge_model": judge_model} if judge_model else {}
        reference_model = o.reference_model or ("gpt-4" if client.embedded else None)
        if reference_model:
            options["reference_model"] = reference_model
        try:
            bench.judge(run_dir.path, client, items, **options)
        finally:
            client.close()
        info = {"judge_model": judge_model or "official default", "base_url": o.judge_base_url,
                "embedded_local_judge": client.embedded, "api_key_env": o.api_key_env, "usage": client.usage()}
        if client.embedded:
            info["note"] = EMBEDDED_JUDGE_NOTE.format(judge=o.local_judge)
        return info


def plan_as_dict(plans: Sequence[BenchmarkPlan]) -> list[dict[str, Any]]:
    return [{**asdict(p), "generations_todo": p.generations_todo} for p in plans]
