"""The judge stage: one judge session (client, cache, embedded server) serving the jobs of a command.

The judge starts only when a judgment is missing: with no API key and no ``--judge-base-url``
that is the embedded local judge (a small model the harness serves on 127.0.0.1). Every judge
invocation appends one line to the run directory's ``judge_runs.jsonl`` (judge, endpoint, usage);
judgments themselves are cached per request and endpoint, so nothing is paid twice.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from harness.benchmarks.base import Benchmark, BenchmarkItem, JudgeOptions
from harness.judges.base import JudgeClient, JudgeRequest, JudgeResponse
from harness.judges.progress import JudgeProgress
from harness.pipeline.settings import EMBEDDED_JUDGE_NOTE, JudgeSettings


class JudgeSession(JudgeClient):
    """A lazily started judge client (and embedded server) for one run directory's cache at a time.

    ``use(cache_path)`` points the session at a job's judge cache; the HTTP client and the embedded
    server live as long as the session, so a study judges all its jobs with one server and one
    concurrency budget.
    """

    def __init__(self, settings: JudgeSettings, progress: bool = True) -> None:
        self.settings = settings
        self.show_progress = progress
        self.endpoint = settings.endpoint
        self.client: Any = None
        self.server: Any = None
        self.cache_path: Path | None = None
        self.progress: JudgeProgress | None = None

    def use(self, cache_path: Path, desc: str) -> None:
        if self.client is not None and self.client.cache is not None and cache_path != self.cache_path:
            self.client.cache.close()
            self.client = None
        self.cache_path = cache_path
        if self.progress is not None:
            self.progress.close()
        self.progress = JudgeProgress(desc, enabled=self.show_progress)
        if self.client is not None:
            self.client.progress = self.progress

    def _start(self) -> None:
        from harness.judges.client import JudgeClientConfig, OpenAIJudgeClient

        s = self.settings
        base_url = s.judge_base_url
        if s.embedded and self.server is None:
            from harness.judges.local_model import LocalModelResponder
            from harness.judges.local_server import LocalJudgeServer

            print(f"starting the embedded local judge {s.local_judge!r} on 127.0.0.1 ...", file=sys.stderr)
            self.server = LocalJudgeServer(LocalModelResponder(s.local_judge), model_names=(s.local_judge,)).start()
        if s.embedded:
            base_url = self.server.base_url
        self.client = OpenAIJudgeClient(JudgeClientConfig(
            base_url=base_url, endpoint_label=self.endpoint, api_key_env=s.judge_api_key_env,
            concurrency=s.concurrency, max_retries=s.max_retries, timeout_s=s.timeout, backoff_initial_s=s.backoff,
            cache_path=self.cache_path))
        self.client.progress = self.progress

    def complete_many(self, requests: Sequence[JudgeRequest]) -> list[JudgeResponse]:
        if not requests:
            return []
        if self.client is None:
            self._start()
        return self.client.complete_many(requests)

    def usage(self) -> dict[str, Any]:
        return self.client.usage.to_dict() if self.client is not None else {"calls": 0, "failures": 0}

    def reset_usage(self) -> None:
        if self.client is not None:
            from harness.judges.client import RunUsage

            self.client.usage = RunUsage()

    def close(self) -> None:
        if self.client is not None and self.client.cache is not None:
            self.client.cache.close()  # release the sqlite handle (and its WAL)
        self.client = None
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.progress is not None:
            self.progress.close()
            self.progress = None


def judge_run_dir(benchmark: Benchmark, run_path: Path, items: list[BenchmarkItem], session: JudgeSession,
                  data_dir: Path | None) -> dict[str, Any]:
    """Judge one run directory (the caller holds its lock); returns the judge info for manifests."""
    from harness.store.jsonl import append_jsonl
    from harness.store.layout import JUDGE_CACHE, JUDGE_RUNS

    s = session.settings
    judge = s.judge_id(benchmark.spec.judge.default_model)
    session.use(run_path / JUDGE_CACHE, f"{benchmark.name} judge")
    session.reset_usage()
    options = JudgeOptions(judge_model=judge.model, reference_model=s.reference_for(), data_dir=data_dir)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        benchmark.judge(run_path, session, items, options)
    finally:
        if session.progress is not None:
            session.progress.close()
        usage = session.usage()
        info = {"judge_model": judge.model, "judge_endpoint": judge.endpoint, "embedded_local_judge": s.embedded,
                "api_key_env": s.judge_api_key_env, "reference_model": options.reference_model, "usage": usage}
        if s.embedded:
            from harness.judges.local_model import VERDICT_ONLY_NOTE

            info["note"] = EMBEDDED_JUDGE_NOTE.format(judge=s.local_judge, key_env=s.judge_api_key_env)
            info["local_judge_decoding"] = VERDICT_ONLY_NOTE
        flat = {k: v for k, v in info.items() if k != "usage"}
        append_jsonl(run_path / JUDGE_RUNS, [{"started_utc": started, "benchmark": benchmark.name, **flat, **usage}])
    return info
