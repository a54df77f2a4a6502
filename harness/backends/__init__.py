"""Decoding backends, imported lazily by name (see :func:`get_backend_class`)."""

from __future__ import annotations

import importlib

from harness.errors import did_you_mean

BACKENDS: dict[str, str] = {
    "vllm": "harness.backends.vllm_backend:VLLMBackend",
    "transformers": "harness.backends.transformers_backend:TransformersBackend",
    "openai": "harness.backends.openai_backend:OpenAIBackend",
}


def get_backend_class(name: str) -> type:
    if name not in BACKENDS:
        raise did_you_mean(name, BACKENDS, what="backend")
    module_name, _, attr = BACKENDS[name].partition(":")
    return getattr(importlib.import_module(module_name), attr)
