"""The decoding-backend interface shared by vllm, transformers and openai backends.

Backends take already-rendered prompts as token ids (rendering and the one-BOS check
happen in :mod:`harness.templates`), so every backend decodes exactly the same input.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from harness.model_loading import ResolvedModel


@dataclass(frozen=True)
class SamplingParams:
    """Decoding parameters; part of every generation's cache key and manifest."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int = 4096
    seed: int = 0
    stop_token_ids: tuple[int, ...] = ()
    # alpaca-eval 0.6.2's vLLM decoder turned do_sample=True into beam search of width 1.
    # Reproducing that quirk is an explicit opt-in, never implicit.
    alpaca_eval_062_beam_quirk: bool = False

    @property
    def greedy(self) -> bool:
        """Greedy decoding: temperature 0, or the 0.6.2 quirk (beam search of width 1 is greedy)."""
        return self.temperature <= 0.0 or self.alpaca_eval_062_beam_quirk

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["stop_token_ids"] = list(self.stop_token_ids)
        return d


@dataclass(frozen=True)
class GenerationRequest:
    request_id: str
    prompt_token_ids: tuple[int, ...]
    params: SamplingParams
    prompt_text: str = ""  # used by the openai backend (completions on text) and for records
    # The conversation the prompt was rendered from; the openai backend's chat mode sends it.
    messages: tuple[dict[str, str], ...] = ()


@dataclass
class GenerationResult:
    request_id: str
    text: str
    num_prompt_tokens: int
    num_output_tokens: int
    finish_reason: str  # "stop" | "length" | ...
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


class BackendOptions(BaseModel):
    """A backend's own options. Each field becomes a CLI flag of ``generate``, ``run`` and
    ``study`` (``--field-name``, or ``json_schema_extra={"flag": ...}``); its description is the help."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Backend(ABC):
    """A decoding backend, declared in one module: its name, its :class:`BackendOptions` and how it
    is built for a model (:meth:`create`). ``generate`` yields results as they finish (any order)."""

    name: ClassVar[str] = "base"
    Options: ClassVar[type[BackendOptions]] = BackendOptions

    @classmethod
    def create(cls, model: ResolvedModel, options: BackendOptions, *, tokenizer: Any = None) -> Backend:
        """The backend for ``model`` (``tokenizer``: an already loaded one the backend may reuse)."""
        raise NotImplementedError(f"backend {cls.name!r} does not say how to build itself")

    @classmethod
    def manifest_options(cls, model: ResolvedModel, options: BackendOptions) -> dict[str, Any]:
        """The backend options as the generation manifest records them (what changes numbers, resolved)."""
        return options.model_dump(mode="json")

    @abstractmethod
    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (processes, GPU memory)."""
