"""The GGUF conversion cache: the second load reads the converted folder and gets the same
tensors and the same tokenizer as transformers' own GGUF loading."""

from __future__ import annotations

import pytest

from harness import gguf_cache
from harness.model_loading import clear_model_cache, load_causal_lm, load_tokenizer, resolve_model

TEXTS = ["Hello, world!", "  leading spaces and \u00e9\u00e8 accents\n\ttabs", "<|im_start|>user\nhi<|im_end|>", "12345 + 678"]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SIMPO_HARNESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SIMPO_HARNESS_NO_GGUF_CACHE", raising=False)
    clear_model_cache()
    yield tmp_path / "cache"
    clear_model_cache()


def _snapshot(tok, model):
    messages = [{"role": "user", "content": "Name three colours."}]
    return ([tok(t).input_ids for t in TEXTS], tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False),
            tok.eos_token_id, tok.pad_token_id, {k: v.clone() for k, v in model.state_dict().items()})


def test_second_load_reads_the_converted_folder_and_is_identical(cache):
    import torch

    m = resolve_model("smollm2-135m-instruct")
    assert gguf_cache.cached_part(m) is None and gguf_cache.cached_part(m, torch.float32) is None
    first = _snapshot(load_tokenizer(m), load_causal_lm(m, dtype=torch.float32))
    assert gguf_cache.cached_part(m) is not None and gguf_cache.cached_part(m, torch.float32) is not None
    assert gguf_cache.cached_part(m, torch.float16) is None  # one folder per dtype
    clear_model_cache()
    second = _snapshot(load_tokenizer(m), load_causal_lm(m, dtype=torch.float32))
    assert first[:4] == second[:4]
    assert first[4].keys() == second[4].keys() and all(torch.equal(first[4][k], second[4][k]) for k in first[4])
    assert not list(gguf_cache.converted_dir(m).glob(".partial-*"))  # nothing half-written left


def test_cache_off_and_non_gguf_models(cache, monkeypatch, tmp_path):
    m = resolve_model("smollm2-135m-instruct")
    monkeypatch.setenv("SIMPO_HARNESS_NO_GGUF_CACHE", "1")
    assert gguf_cache.converted_dir(m) is None
    monkeypatch.delenv("SIMPO_HARNESS_NO_GGUF_CACHE")
    assert gguf_cache.converted_dir(m).parent == cache / "gguf"
    hub = resolve_model("princeton-nlp/Llama-3-Instruct-8B-SimPO")  # a Hub repo: never converted here
    assert gguf_cache.converted_dir(hub) is None
