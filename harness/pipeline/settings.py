"""Typed settings shared by every command (generate, judge, score, run, study, import, compare).

The CLI fills them from one set of flags (:mod:`harness.cli.options`); the stages read them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.store.judgments import OPENAI_ENDPOINT, JudgeId

if TYPE_CHECKING:
    from harness.judges.presets import JudgePreset

DEFAULT_MODEL = "smollm2-135m-instruct"  # the embedded default model (and local judge)
SERVED_ENDPOINT_PREFIX = "vllm-serve:"  # the endpoint label of a judge served by --serve-judge
EMBEDDED_JUDGE_NOTE = ("judged by the embedded local judge {judge!r} (no API key in ${key_env} and no "
                       "--judge-base-url): these judgments are NOT GPT-4's and are not comparable to published numbers")


@dataclass(frozen=True)
class GenerationSettings:
    """How to decode: the backend and its options, the template, and decoding overrides."""

    backend: str | None = None  # None: vllm where it imports, else transformers
    backend_options: dict[str, Any] = field(default_factory=dict)  # flags as given (None = not given)
    template: str | None = None
    authors_exact: bool = False
    limit: int | None = None
    num_samples: int = 1
    temperature: float | None = None
    top_p: float | None = None
    max_new_tokens: int | None = None
    seed: int | None = None
    alpaca_eval_062_quirk: bool = False


@dataclass(frozen=True)
class JudgeSettings:
    """Which judge, where, over which transport, and how hard to try.

    A judge is its model *and* its endpoint (:class:`JudgeId`), and the endpoint must be stable
    across runs: the embedded judge records ``embedded:<model>`` and a ``--serve-judge`` server
    ``vllm-serve:<preset>`` (both listen on a random port). ``batch`` (OpenAI's Batch API) changes
    the transport and the price, not the judge: its answers are the same judge's as live ones.
    """

    judge_model: str | None = None  # None: the preset's model, else each benchmark's official judge
    judge_base_url: str | None = None
    judge_api_key_env: str = "OPENAI_API_KEY"
    local_judge: str = DEFAULT_MODEL
    # MT-Bench reference answers are keyed by model (FastChat: the judge's name). The embedded
    # judge has none of its own, so it grades against the GPT-4 references FastChat ships.
    reference_model: str | None = None
    concurrency: int = 16
    max_retries: int = 8
    timeout: float = 120.0
    backoff: float = 1.0  # initial retry backoff (seconds), doubled per attempt
    judge_preset: str | None = None  # a preset name, name@version or the path of a preset YAML
    serve_judge: bool = False  # start vLLM's OpenAI-compatible server for the (open) preset
    batch: bool = False  # uncached requests go out through OpenAI's Batch API (half price)
    batch_poll_s: float = 30.0

    @property
    def preset(self) -> JudgePreset | None:
        """The judge preset (validated; its registry is cached), or None."""
        if self.judge_preset is None:
            return None
        from harness.judges.presets import get_preset

        return get_preset(self.judge_preset)

    @property
    def embedded(self) -> bool:
        """No preset, no endpoint and no API key: the harness serves its own small judge on 127.0.0.1."""
        return self.judge_preset is None and self.judge_base_url is None and not os.environ.get(self.judge_api_key_env)

    @property
    def endpoint(self) -> str:
        """The endpoint judgments record: stable across runs (a server on a random port gets a label)."""
        if self.serve_judge and self.preset is not None:
            return f"{SERVED_ENDPOINT_PREFIX}{self.preset.name}"
        if self.embedded:
            return f"embedded:{self.local_judge}"
        return self.judge_base_url or OPENAI_ENDPOINT

    def model_for(self, default: str) -> str:
        """The judge model sent for a benchmark whose official judge is ``default``."""
        if self.judge_model:
            return self.judge_model
        preset = self.preset
        if preset is not None:
            return preset.model
        return self.local_judge if self.embedded else default

    def judge_id(self, default: str) -> JudgeId:
        return JudgeId(self.model_for(default), self.endpoint)

    def reference_for(self, benchmark: str | None = None) -> str | None:
        """MT-Bench reference answers: as given, else the preset's (for ``benchmark``), else gpt-4 for
        the embedded judge, else None (the judge's own, as FastChat)."""
        if self.reference_model:
            return self.reference_model
        preset = self.preset
        if preset is not None and benchmark is not None and benchmark in preset.benchmarks:
            return preset.judging(benchmark).reference_model
        return "gpt-4" if self.embedded else None


@dataclass(frozen=True)
class StoreSettings:
    """Where results and data live, and how the command behaves around them."""

    results_dir: Path
    data_dir: Path | None = None
    progress: bool = True
    wait: bool = False  # queue behind another process holding a run directory's lock
    allow_incomplete: bool = False  # exit 0 even when a score is incomplete
    dry_run: bool = False
