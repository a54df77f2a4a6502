"""Judge presets: named, versioned judge configurations (``harness/judges/presets/*.yaml``).

A preset fixes everything about a judge that can move a number: the judge model id; how it is
served (OpenAI's endpoint, or an open model served by vLLM: HF repo, ``max_model_len``,
``tensor_parallel_size``); per benchmark protocol, the decoding parameters that differ from the
official ones and MT-Bench's reference answers; the prompts it is sent, pinned by sha256 (a prompt
that changed is an error, as with the pinned chat templates); the verdict parser; prices; and
whether it is the benchmark's official judge (tables label the others).

Each judged benchmark declares one judging protocol (``JudgeSpec.protocol`` in its spec): a preset names it, and its
pinned prompts must be exactly the ones that protocol sends, so a preset cannot claim a prompt
the benchmark does not use. ``preset.sha256`` (canonical JSON of the validated file, prompt
hashes included) and :meth:`JudgePreset.manifest` go into results.

    preset = get_preset("llama-3.1-70b-instruct")          # or "name@1", or a path to a .yaml
    req = preset.apply("arena_hard", protocol.judge_request(messages))
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.util
import json
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.errors import HarnessError, did_you_mean
from harness.judges.base import AnswerSink, JudgeClient, JudgeRequest, JudgeResponse, request_total
from harness.yaml_config import load_yaml_config

if TYPE_CHECKING:
    from harness.benchmarks.base import JudgeOptions
    from harness.benchmarks.spec import JudgeProtocol

PRESETS_DIR = Path(__file__).resolve().with_name("presets")


def protocol_of(benchmark: str) -> JudgeProtocol:
    """The judging protocol ``benchmark`` declares in its spec (``JudgeSpec.protocol``)."""
    from harness.benchmarks import judge_specs

    judged = {name: j.protocol for name, j in judge_specs().items() if j.protocol is not None}
    if benchmark not in judged:
        raise ValueError(str(did_you_mean(benchmark, judged, "judged benchmark")))
    return judged[benchmark]


def resolve_ref(ref: str) -> Any:
    """The object a ``module:attr.path`` reference names."""
    module, _, attrs = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for attr in attrs.split("."):
        obj = getattr(obj, attr)
    return obj


def prompt_text(source: str) -> str:
    """The text of a prompt source: a file shipped in a package, or a constant of a protocol module
    (a FastChat-style prompt object reads as ``system_prompt + "\\x1f" + prompt_template``)."""
    kind, _, ref = source.partition(":")
    if kind == "package":
        package, _, rel = ref.partition("/")
        # located without importing the package (alpaca_eval's import takes seconds)
        spec = importlib.util.find_spec(package) if package.isidentifier() else None
        if spec is None or not spec.submodule_search_locations:
            raise HarnessError(f"prompt {source} needs the python package {package!r} "
                               f"(e.g. pip install '.[alpaca]' for alpaca_eval)")
        path = Path(next(iter(spec.submodule_search_locations))) / rel
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise HarnessError(f"prompt {source} is not readable ({exc.strerror or exc})") from None
    if kind == "python":
        try:
            obj = resolve_ref(ref)
        except (ImportError, AttributeError) as exc:
            raise HarnessError(f"prompt {source} not found ({exc})") from None
        if isinstance(obj, str):
            return obj
        if hasattr(obj, "system_prompt") and hasattr(obj, "prompt_template"):
            return f"{obj.system_prompt}\x1f{obj.prompt_template}"
        raise HarnessError(f"prompt {source} is a {type(obj).__name__}, not a prompt")
    raise HarnessError(f"prompt source {source!r} must start with 'package:' or 'python:'")


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PromptPin(_Strict):
    id: str
    source: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Decoding(_Strict):
    """Decoding that differs from the protocol's official one (unset: as official)."""

    temperature: float | None = Field(None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(None, gt=0)
    top_logprobs: int | None = Field(None, ge=1, le=20)
    seed: int | None = None

    def overrides(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class BenchmarkJudging(_Strict):
    official: bool  # the judge the benchmark's published numbers were made with
    protocol: str
    parser: str
    prompts: tuple[PromptPin, ...]
    decoding: Decoding = Decoding()
    reference_model: str | None = None  # MT-Bench only: whose reference answers (default: the judge's name)


class OpenAIServing(_Strict):
    kind: Literal["openai"]


class VLLMServing(_Strict):
    kind: Literal["vllm"]
    hf_repo: str = Field(min_length=1)
    revision: str | None = None
    max_model_len: int = Field(gt=0)
    tensor_parallel_size: int = Field(1, ge=1)
    dtype: str = "auto"
    extra_args: tuple[str, ...] = ()  # further `vllm.entrypoints.openai.api_server` arguments


class JudgePreset(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    version: int = Field(ge=1)
    description: str = Field(min_length=1)
    model: str = Field(min_length=1)  # the model id sent in every request (vLLM: --served-model-name)
    serving: OpenAIServing | VLLMServing = Field(discriminator="kind")
    price_per_mtok: tuple[float, float] | None = None  # USD per 1M (input, output) tokens; None: unknown
    batch_price_per_mtok: tuple[float, float] | None = None  # through OpenAI's Batch API
    benchmarks: dict[str, BenchmarkJudging] = Field(min_length=1)  # benchmark name -> judging

    @model_validator(mode="after")
    def _consistent(self) -> JudgePreset:
        from harness.benchmarks import judge_specs

        judged = judge_specs()
        if self.batch_price_per_mtok is not None and self.serving.kind != "openai":
            raise ValueError("batch_price_per_mtok is only for judges served by OpenAI (the Batch API)")
        for bench, j in self.benchmarks.items():
            try:
                spec = protocol_of(bench)
            except ValueError as exc:
                raise ValueError(f"benchmarks.{bench}: {exc}") from None
            judge_spec = judged[bench]
            if j.protocol != spec.name or j.parser != spec.parser:
                raise ValueError(f"{bench}: the benchmark implements protocol {spec.name!r} with parser "
                                 f"{spec.parser!r}, not {j.protocol!r} / {j.parser!r}")
            pins = {p.id: p.source for p in j.prompts}
            if pins != spec.prompts or len(pins) != len(j.prompts):
                raise ValueError(f"{bench}: prompts must pin exactly the protocol's prompts {spec.prompts}")
            if j.reference_model is not None and not judge_spec.uses_references:
                raise ValueError(f"{bench}: reference_model is for benchmarks graded against reference answers "
                                 f"({', '.join(n for n, js in judged.items() if js.uses_references)})")
            if j.official:
                official = judge_spec.default_model
                if self.serving.kind != "openai" or self.model != official or j.decoding.overrides() \
                        or j.reference_model not in (None, self.model):
                    raise ValueError(f"{bench}: official means {official!r} through OpenAI with the official "
                                     "decoding and references")
        return self

    # ------------------------------------------------------------- reading
    @property
    def sha256(self) -> str:
        """sha256 of the canonical content (prompt hashes included): what manifests record."""
        return sha256_of(json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False))

    @property
    def official_benchmarks(self) -> tuple[str, ...]:
        return tuple(b for b, j in self.benchmarks.items() if j.official)

    def judging(self, benchmark: str) -> BenchmarkJudging:
        if benchmark not in self.benchmarks:
            covered = ", ".join(self.benchmarks)
            raise HarnessError(f"judge preset {self.name!r} has no {benchmark!r} protocol (it covers {covered})")
        return self.benchmarks[benchmark]  # type: ignore[index]

    def official_for(self, benchmark: str) -> bool:
        return benchmark in self.benchmarks and self.benchmarks[benchmark].official  # type: ignore[index]

    def price(self, batch: bool = False) -> tuple[float, float] | None:
        return self.batch_price_per_mtok if batch else self.price_per_mtok

    def verify(self, benchmark: str) -> dict[str, str]:
        """Prompt id -> sha256 for ``benchmark``, after checking every prompt against its pin."""
        out = {}
        for pin in self.judging(benchmark).prompts:
            digest = sha256_of(prompt_text(pin.source))
            if digest != pin.sha256:
                raise HarnessError(f"judge preset {self.name!r}: prompt {pin.id!r} ({pin.source}) has sha256 "
                                   f"{digest[:12]}..., pinned {pin.sha256[:12]}... (was it edited?)")
            out[pin.id] = digest
        return out

    def parser(self, benchmark: str) -> Callable[..., Any]:
        return resolve_ref(self.judging(benchmark).parser)

    # ------------------------------------------------------------ applying
    def apply(self, benchmark: str, request: JudgeRequest) -> JudgeRequest:
        """``request`` (built by the benchmark's protocol) sent to this judge: model id and decoding."""
        return dataclasses.replace(request, model=self.model, **self.judging(benchmark).decoding.overrides())

    def judge_options(self, benchmark: str, data_dir: Path | None = None) -> JudgeOptions:
        """Options for ``Benchmark.judge``: judge model, max_tokens where it differs, MT-Bench references.

        AlpacaEval's ``judge`` takes only the model; :class:`PresetJudgeClient` applies the rest."""
        from harness.benchmarks.base import JudgeOptions

        j = self.judging(benchmark)
        return JudgeOptions(judge_model=self.model, max_tokens=j.decoding.max_tokens,
                            reference_model=j.reference_model, data_dir=data_dir)

    def manifest(self, benchmark: str) -> dict[str, Any]:
        """What a result records about its judge (the prompts are verified first)."""
        prompts = self.verify(benchmark)
        return {"judge_preset": self.name, "judge_preset_version": self.version, "judge_preset_sha256": self.sha256,
                "judge_model": self.model, "judge_official": self.official_for(benchmark),
                "judge_serving": self.serving.kind, "judge_prompts_sha256": prompts}


class PresetJudgeClient(JudgeClient):
    """Sends every request of ``benchmark`` to ``inner`` as ``preset.apply`` makes it: the preset's
    model id and decoding, whatever options the benchmark's ``judge`` accepts."""

    def __init__(self, inner: JudgeClient, preset: JudgePreset, benchmark: str) -> None:
        preset.judging(benchmark)
        self.inner, self.preset, self.benchmark = inner, preset, benchmark

    @property
    def chunk_size(self) -> int | None:  # type: ignore[override]
        return getattr(self.inner, "chunk_size", None)

    @property
    def endpoint(self) -> str:  # type: ignore[override]
        return self.inner.endpoint

    def complete_many(self, requests: Sequence[JudgeRequest]) -> list[JudgeResponse]:
        return self.inner.complete_many([self.preset.apply(self.benchmark, r) for r in requests])

    def complete_each(self, requests: Iterable[JudgeRequest], on_answer: AnswerSink, chunk: int,
                      total: int | None = None) -> None:
        self.inner.complete_each((self.preset.apply(self.benchmark, r) for r in requests), on_answer, chunk,
                                 request_total(requests, total))

    def __getattr__(self, name: str) -> Any:  # usage, cache, progress of the wrapped client
        return getattr(self.inner, name)


# ------------------------------------------------------------------ registry
def load_preset_file(path: Path | str) -> JudgePreset:
    """Parse and validate one preset YAML; errors name the file and the field."""
    path = Path(path)
    return load_yaml_config(path, JudgePreset, f"judge preset {path.name}", name_is_stem=True)


@lru_cache(maxsize=8)
def _load_dir(directory: str) -> dict[str, JudgePreset]:
    return {p.stem: load_preset_file(p) for p in sorted(Path(directory).glob("*.yaml"))}


def load_presets(directory: Path | str | None = None) -> dict[str, JudgePreset]:
    """Every preset of ``directory`` (default: the shipped ones), read on first use and cached."""
    return _load_dir(str(Path(directory or PRESETS_DIR).resolve()))


def preset_names(directory: Path | str | None = None) -> list[str]:
    return list(load_presets(directory))


def get_preset(spec: str, directory: Path | str | None = None) -> JudgePreset:
    """A preset by name, ``name@version`` (the version must match), or the path of a YAML file."""
    if spec.endswith((".yaml", ".yml")):
        if not Path(spec).is_file():
            raise HarnessError(f"judge preset file {spec} not found")
        return load_preset_file(spec)
    name, _, version = spec.partition("@")
    presets = load_presets(directory)
    if name not in presets:
        raise did_you_mean(name, presets, what="judge preset")
    preset = presets[name]
    if version and version != str(preset.version):
        raise HarnessError(f"judge preset {name!r} is version {preset.version} here, not {version}")
    return preset


def official_preset(benchmark: str, directory: Path | str | None = None) -> JudgePreset:
    """The preset of ``benchmark``'s official judge."""
    found = [p for p in load_presets(directory).values() if p.official_for(benchmark)]
    if len(found) != 1:
        raise HarnessError(f"expected one official judge preset for {benchmark!r}, found {[p.name for p in found]}")
    return found[0]
