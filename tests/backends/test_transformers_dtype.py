"""``--dtype auto`` on a CPU: the model config's ``cpu_dtype``, recorded resolved in the manifest."""

from __future__ import annotations

from harness.backends.transformers_backend import TransformersBackend, TransformersOptions, resolved_dtype
from harness.model_loading import resolve_model


def test_auto_is_the_model_configs_cpu_dtype_and_the_manifest_says_which():
    smol = resolve_model("smollm2-135m-instruct")
    simpo = resolve_model("princeton-nlp/Llama-3-Instruct-8B-SimPO")
    assert resolved_dtype("auto", "cpu", smol) == "float16"  # declared in model_configs/smollm2-135m-instruct.yaml
    assert resolved_dtype("auto", "cpu", simpo) == "float32"  # the default
    assert resolved_dtype("auto", "cuda", smol) == "auto" and resolved_dtype("bfloat16", "cpu", smol) == "bfloat16"
    recorded = TransformersBackend.manifest_options(smol, TransformersOptions())
    assert recorded["dtype"] == "auto" and recorded["dtype_on_cpu"] == "float16"
    assert recorded["batch_size"] == 8
