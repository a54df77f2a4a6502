"""The judge stage: one judge session (client, cache, server) serving the jobs of a command.

The judge starts only when a judgment is missing. Where requests go is decided here, in one place
(:meth:`JudgeSession._start`):

- ``--judge-base-url URL``: that OpenAI-compatible endpoint; else ``api.openai.com`` with the API
  key; with neither (and no preset), the embedded local judge (a small model the harness serves on
  127.0.0.1, recorded as ``embedded:<model>``);
- ``--serve-judge``: vLLM's OpenAI-compatible server for the open preset, started on first use and
  stopped by :meth:`JudgeSession.close` (recorded as ``vllm-serve:<preset>``: its port changes);
- ``--judge-batch``: the same endpoint through OpenAI's Batch API (:mod:`harness.judges.batch`),
  one batch per job (``chunk_size``), at batch price; the batch id is in the run directory;
- ``--judge PRESET``: every request re-targeted at the preset's model and decoding
  (:class:`~harness.judges.presets.PresetJudgeClient`), its options (max_tokens, MT-Bench
  references) given to the benchmark, its name and hash recorded.

Every judge invocation appends one line to the run directory's ``judge_runs.jsonl`` (judge,
endpoint, preset, transport, usage); judgments are cached per request and endpoint, so nothing is
paid twice.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.benchmarks.base import Benchmark, BenchmarkItem, JudgeOptions
from harness.judges.base import ALL_AT_ONCE, AnswerSink, JudgeClient, JudgeRequest, JudgeResponse
from harness.judges.progress import JudgeProgress
from harness.pipeline.settings import EMBEDDED_JUDGE_NOTE, JudgeSettings

if TYPE_CHECKING:
    from harness.benchmarks.spec import BenchmarkSpec


class JudgeSession(JudgeClient):
    """A lazily started judge client (and its server) for one run directory's cache at a time.

    ``use(cache_path, desc, benchmark)`` points the session at a job's judge cache (and, with a
    preset, the benchmark whose protocol its requests follow); the server lives as long as the
    session, so a study judges all its jobs with one server and one concurrency budget.
    """

    def __init__(self, settings: JudgeSettings, progress: bool = True) -> None:
        self.settings = settings
        self.show_progress = progress
        self.endpoint = settings.endpoint
        self.client: Any = None
        self.server: Any = None  # the embedded judge's LocalJudgeServer
        self.served: contextlib.ExitStack | None = None  # the --serve-judge vLLM server
        self.served_url: str | None = None
        self.cache_path: Path | None = None
        self.benchmark: str | None = None
        self.progress: JudgeProgress | None = None

    @property
    def chunk_size(self) -> int | None:  # type: ignore[override]
        """Batch mode: benchmarks hand over every pending request of a job (one batch per job)."""
        return ALL_AT_ONCE if self.settings.batch else None

    def use(self, cache_path: Path, desc: str, benchmark: str | None = None) -> None:
        if self.client is not None and cache_path != self.cache_path:
            if self.client.cache is not None:
                self.client.cache.close()
            self.client = None  # a batch client's state file lives beside the cache: one per run directory
        self.cache_path = cache_path
        self.benchmark = benchmark
        if self.progress is not None:
            self.progress.close()
        self.progress = JudgeProgress(desc, enabled=self.show_progress)
        if self.client is not None:
            self.client.progress = self.progress

    def _base_url(self) -> str | None:
        """Where requests go; starts the embedded judge or the vLLM server on first use."""
        s = self.settings
        if s.serve_judge:
            if self.served is None:
                from harness.judges.serve import serve_judge

                stack = contextlib.ExitStack()
                self.served_url = stack.enter_context(serve_judge(s.preset))  # type: ignore[arg-type]
                self.served = stack
            return self.served_url
        if s.embedded:
            if self.server is None:
                from harness.judges.local_model import LocalModelResponder
                from harness.judges.local_server import LocalJudgeServer

                print(f"starting the embedded local judge {s.local_judge!r} on 127.0.0.1 ...", file=sys.stderr)
                self.server = LocalJudgeServer(LocalModelResponder(s.local_judge),
                                               model_names=(s.local_judge,)).start()
            return self.server.base_url
        return s.judge_base_url

    def _start(self) -> None:
        s = self.settings
        base_url = self._base_url()
        preset = s.preset
        list_price = preset.price() if preset is not None else None  # None: the client's price table
        if s.batch:
            from harness.judges.batch import BatchJudgeClient, BatchJudgeConfig

            self.client = BatchJudgeClient(BatchJudgeConfig(
                base_url=base_url, endpoint_label=self.endpoint, api_key_env=s.judge_api_key_env,
                cache_path=self.cache_path, poll_interval_s=s.batch_poll_s, timeout_s=s.timeout,
                price_per_mtok=list_price))
        else:
            from harness.judges.client import JudgeClientConfig, OpenAIJudgeClient

            self.client = OpenAIJudgeClient(JudgeClientConfig(
                base_url=base_url, endpoint_label=self.endpoint, api_key_env=s.judge_api_key_env,
                concurrency=s.concurrency, max_retries=s.max_retries, timeout_s=s.timeout,
                backoff_initial_s=s.backoff, cache_path=self.cache_path, price_per_mtok=list_price))
        self.client.progress = self.progress

    def complete_many(self, requests: Sequence[JudgeRequest]) -> list[JudgeResponse]:
        return self._target().complete_many(requests) if requests else []

    def complete_each(self, requests: Iterable[JudgeRequest], on_answer: AnswerSink, chunk: int,
                      total: int | None = None) -> None:
        self._target().complete_each(requests, on_answer, chunk, total)  # benchmarks send at least one request

    def _target(self) -> JudgeClient:
        """The started client, wrapped in the preset when one applies to this benchmark."""
        if self.client is None:
            self._start()
        preset = self.settings.preset
        if preset is not None and self.benchmark is not None:
            from harness.judges.presets import PresetJudgeClient

            return PresetJudgeClient(self.client, preset, self.benchmark)
        return self.client

    def usage(self) -> dict[str, Any]:
        return self.client.usage.to_dict() if self.client is not None else {"calls": 0, "failures": 0}

    def reset_usage(self) -> None:
        if self.client is not None:
            self.client.usage = type(self.client.usage)()

    def close(self) -> None:
        if self.client is not None and self.client.cache is not None:
            self.client.cache.close()  # release the sqlite handle (and its WAL)
        self.client = None
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.served is not None:
            self.served.close()  # stops the vLLM server's process group
            self.served, self.served_url = None, None
        if self.progress is not None:
            self.progress.close()
            self.progress = None


def check_judge_covers(settings: JudgeSettings, benchmarks: Sequence[str]) -> None:
    """A preset without a protocol for one of ``benchmarks`` fails now (before any generation)."""
    preset = settings.preset
    if preset is not None:
        for name in benchmarks:
            preset.judging(name)


def judge_options_for(settings: JudgeSettings, spec: BenchmarkSpec, data_dir: Path | None) -> JudgeOptions:
    """The options ``Benchmark.judge`` gets: the preset's (model, max_tokens, references) or the flags'."""
    preset = settings.preset
    if preset is not None:
        options = preset.judge_options(spec.name, data_dir)
        return dataclasses.replace(options, reference_model=settings.reference_for(spec.name))
    assert spec.judge is not None
    return JudgeOptions(judge_model=settings.model_for(spec.judge.default_model),
                        reference_model=settings.reference_for(spec.name), data_dir=data_dir)


def judge_manifest(settings: JudgeSettings, spec: BenchmarkSpec) -> dict[str, Any]:
    """What judgments of ``spec`` by this judge record: official or not, transport, preset name and hash
    (the preset's prompts are verified against their pins first)."""
    assert spec.judge is not None
    judge = settings.judge_id(spec.judge.default_model)
    preset = settings.preset
    out: dict[str, Any] = {"judge_preset": None}
    if preset is not None:
        out.update(preset.manifest(spec.name))
    out.update(judge_official=spec.judge.is_official(judge.model, judge.endpoint),
               judge_transport="batch" if settings.batch else "live",
               judge_served_by="vllm (--serve-judge)" if settings.serve_judge else None)
    return out


def format_usage(usage: dict[str, Any], settings: JudgeSettings | None = None) -> str:
    """One line of what a judge invocation did and spent ("batch price" when through the Batch API)."""
    cost = usage.get("cost_usd")
    preset = settings.preset if settings is not None else None
    if settings is not None and settings.embedded:
        spent = "$0 (local judge)"
    elif cost is None:
        hosted = settings is not None and (settings.serve_judge or (preset is not None and preset.price() is None))
        spent = "self-hosted (no API price)" if hosted else "unknown (no price for this model/endpoint)"
    else:
        spent = f"${cost:.4f}" + (" at batch price" if usage.get("pricing") == "batch" else "")
    batches = f", {usage['batches']} batch(es)" if usage.get("batches") else ""
    return (f"{usage.get('calls', 0)} calls, {usage.get('cache_hits', 0)} cached, {usage.get('failures', 0)} failed"
            f"{batches}, {usage.get('prompt_tokens', 0)}+{usage.get('completion_tokens', 0)} tokens, cost {spent}")


def judge_run_dir(benchmark: Benchmark, run_path: Path, items: list[BenchmarkItem], session: JudgeSession,
                  data_dir: Path | None) -> dict[str, Any]:
    """Judge one run directory (the caller holds its lock); returns the judge info for manifests."""
    from harness.store.jsonl import append_jsonl
    from harness.store.layout import JUDGE_CACHE, JUDGE_RUNS

    s = session.settings
    judge = s.judge_id(benchmark.spec.judge.default_model)
    recorded = judge_manifest(s, benchmark.spec)  # a drifted preset prompt fails before any call
    session.use(run_path / JUDGE_CACHE, f"{benchmark.name} judge", benchmark=benchmark.name)
    session.reset_usage()
    options = judge_options_for(s, benchmark.spec, data_dir)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        benchmark.judge(run_path, session, items, options)
    finally:
        if session.progress is not None:
            session.progress.close()
        usage = session.usage()
        info = {**recorded, "judge_model": judge.model, "judge_endpoint": judge.endpoint,
                "embedded_local_judge": s.embedded, "api_key_env": s.judge_api_key_env,
                "reference_model": options.reference_model, "usage": usage}
        if s.embedded:
            from harness.judges.local_model import VERDICT_ONLY_NOTE

            info["note"] = EMBEDDED_JUDGE_NOTE.format(judge=s.local_judge, key_env=s.judge_api_key_env)
            info["local_judge_decoding"] = VERDICT_ONLY_NOTE
        flat = {k: v for k, v in info.items() if k != "usage"}
        append_jsonl(run_path / JUDGE_RUNS, [{"started_utc": started, "benchmark": benchmark.name, **flat, **usage}])
    return info
