"""Typed settings shared by every command (generate, judge, score, run, study, import, compare).

The CLI fills them from one set of flags (:mod:`harness.cli.options`); the stages read them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.store.judgments import OPENAI_ENDPOINT, JudgeId

DEFAULT_MODEL = "smollm2-135m-instruct"  # the embedded default model (and local judge)
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
    """Which judge, where, and how hard to try."""

    judge_model: str | None = None  # None: each benchmark's official judge
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

    @property
    def embedded(self) -> bool:
        """No endpoint and no API key: the harness serves its own small judge on 127.0.0.1."""
        return self.judge_base_url is None and not os.environ.get(self.judge_api_key_env)

    @property
    def endpoint(self) -> str:
        """The endpoint judgments record: stable across runs (the embedded judge's port is not)."""
        if self.embedded:
            return f"embedded:{self.local_judge}"
        return self.judge_base_url or OPENAI_ENDPOINT

    def model_for(self, default: str) -> str:
        """The judge model sent for a benchmark whose official judge is ``default``."""
        if self.judge_model:
            return self.judge_model
        return self.local_judge if self.embedded else default

    def judge_id(self, default: str) -> JudgeId:
        return JudgeId(self.model_for(default), self.endpoint)

    def reference_for(self) -> str | None:
        return self.reference_model or ("gpt-4" if self.embedded else None)


@dataclass(frozen=True)
class StoreSettings:
    """Where results and data live, and how the command behaves around them."""

    results_dir: Path
    data_dir: Path | None = None
    progress: bool = True
    wait: bool = False  # queue behind another process holding a run directory's lock
    allow_incomplete: bool = False  # exit 0 even when a score is incomplete
    dry_run: bool = False
