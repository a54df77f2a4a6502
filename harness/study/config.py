"""The study file: models x benchmarks with the settings of ``run``, validated field by field.

```yaml
name: sweep-lr
models:
  - Llama-3-Instruct-8B-SimPO                 # registry name, HF repo id or checkpoint directory
  - {model: /ckpt/lr1e-6, template: llama3, tensor_parallel_size: 2}
  - {imported: gpt4-official}                # a results-dir model without a checkpoint: judge + score only
  - {table: v0.1}                            # every model of a SimPO README table
benchmarks:
  - alpaca_eval
  - {name: arena_hard, limit: 100, max_new_tokens: 1024}
data_dir: /data
generation: {backend: vllm, backend_options: {dtype: bfloat16}}
judge: {judge_model: gpt-4-1106-preview, concurrency: 32}
ray: {max_retries: 3}
baseline: Llama-3-Instruct-8B-SimPO          # the row significance marks compare against (hook)
```

Every key is optional except ``name``, ``models`` and ``benchmarks``; ``generation`` and ``judge``
take the fields of :class:`~harness.pipeline.settings.GenerationSettings` and
:class:`~harness.pipeline.settings.JudgeSettings` (the ``run`` flags without their ``--``/``judge-``
prefix). A mistake is one line naming the field (``models.1.tensor_parallel_size: ...``).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from harness.errors import HarnessError
from harness.pipeline.settings import DEFAULT_MODEL

PAPER_TABLES = ("v0.1", "v0.2", "gemma")  # harness/tables/papers.yaml (checked by a test)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelEntry(_Strict):
    """One line of ``models``: exactly one of ``model``, ``imported`` or ``table``."""

    model: str | None = Field(None, min_length=1)
    imported: str | None = Field(None, min_length=1)
    table: Literal["v0.1", "v0.2", "gemma"] | None = None
    template: str | None = None
    tensor_parallel_size: int = Field(1, ge=1)
    gpus: float | None = Field(None, ge=0)  # Ray num_gpus per job (default: tensor_parallel_size on a GPU cluster)

    @model_validator(mode="after")
    def _one_source(self) -> ModelEntry:
        given = [k for k in ("model", "imported", "table") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'model', 'imported' or 'table'"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self


class BenchmarkEntry(_Strict):
    """One line of ``benchmarks``: a name and this benchmark's overrides of ``generation``."""

    name: str = Field(min_length=1)
    limit: int | None = Field(None, ge=1)
    num_samples: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0)
    top_p: float | None = Field(None, gt=0, le=1)
    max_new_tokens: int | None = Field(None, ge=1)
    seed: int | None = None

    def overrides(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if k != "name" and v is not None}


class GenerationConfig(_Strict):
    """The fields of GenerationSettings; ``backend_options`` holds backend flags by field name."""

    backend: str | None = None
    backend_options: dict[str, Any] = Field(default_factory=dict)
    template: str | None = None
    authors_exact: bool = False
    limit: int | None = Field(None, ge=1)
    num_samples: int = Field(1, ge=1)
    temperature: float | None = Field(None, ge=0)
    top_p: float | None = Field(None, gt=0, le=1)
    max_new_tokens: int | None = Field(None, ge=1)
    seed: int | None = None
    alpaca_eval_062_quirk: bool = False


class JudgeConfig(_Strict):
    """The fields of JudgeSettings: one judge, one concurrency budget, shared by every job."""

    judge_model: str | None = None
    judge_base_url: str | None = None
    judge_api_key_env: str = "OPENAI_API_KEY"
    local_judge: str = DEFAULT_MODEL
    reference_model: str | None = None
    concurrency: int = Field(16, ge=1)
    max_retries: int = Field(8, ge=0)
    timeout: float = Field(120.0, gt=0)
    backoff: float = Field(1.0, ge=0)
    preset: str | None = None  # --judge PRESET: a name, NAME@VERSION or a preset .yaml
    serve_judge: bool = False  # --serve-judge: vLLM's server for the open preset, for the whole study
    batch: bool = False  # --judge-batch: OpenAI's Batch API (one batch per job)
    batch_poll_s: float = Field(30.0, gt=0)


class RayConfig(_Strict):
    address: str | None = None  # a running cluster ("auto", "ray://host:10001", "host:6379"); --ray ADDRESS wins
    max_retries: int = Field(3, ge=0)  # retries of a generation task whose worker died
    cpus_per_job: float = Field(1.0, gt=0)


class StudyConfig(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    models: list[ModelEntry] = Field(min_length=1)
    benchmarks: list[BenchmarkEntry] = Field(min_length=1)
    data_dir: Path | None = None
    results_dir: Path | None = None
    generation: GenerationConfig = Field(default_factory=GenerationConfig)
    judge: JudgeConfig = Field(default_factory=JudgeConfig)
    ray: RayConfig = Field(default_factory=RayConfig)
    baseline: str | None = None  # a study model: the reference of significance marks (see harness.study.output)
    plugins: list[str] = Field(default_factory=list)  # modules imported first, here and on every Ray worker

    @field_validator("models", mode="before")
    @classmethod
    def _model_strings(cls, value: Any) -> Any:
        return [{"model": v} if isinstance(v, str) else v for v in value] if isinstance(value, list) else value

    @field_validator("benchmarks", mode="before")
    @classmethod
    def _benchmark_strings(cls, value: Any) -> Any:
        return [{"name": v} if isinstance(v, str) else v for v in value] if isinstance(value, list) else value


def _all_fields() -> set[str]:
    return {f for m in (StudyConfig, ModelEntry, BenchmarkEntry, GenerationConfig, JudgeConfig, RayConfig)
            for f in m.model_fields}


def validation_error(where: str, exc: ValidationError) -> HarnessError:
    """The first error as one line: ``FILE: models.1.gpus: Input should be ...`` (+ how many more)."""
    errors = exc.errors()
    err = errors[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(err["loc"][-1]), sorted(_all_fields()), n=1, cutoff=0.6)
        msg = "unknown field" + (f"; did you mean {close[0]!r}?" if close else "")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return HarnessError(f"{where}: {loc}: {msg}{more}")


def parse_study(raw: Any, where: str) -> StudyConfig:
    if not isinstance(raw, dict):
        raise HarnessError(f"{where}: a study file is a mapping with name, models and benchmarks")
    try:
        return StudyConfig.model_validate(raw)
    except ValidationError as exc:
        raise validation_error(where, exc) from None


def read_study_file(path: Path) -> tuple[StudyConfig, str]:
    """The validated study and the file's text (its SHA-256 goes into the study manifest)."""
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HarnessError(f"study file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HarnessError(f"{path}: unreadable study file ({exc})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise HarnessError(f"{path}: malformed YAML{at} ({getattr(exc, 'problem', None) or exc.__class__.__name__})") from None
    return parse_study(raw, str(path)), text
