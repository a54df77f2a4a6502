from __future__ import annotations

import pytest

from harness.backends.base import GenerationRequest, SamplingParams
from harness.templates import get_template
from tests.helpers.tiny_model import build_tiny_llama

PROMPTS = ["what is two plus two?", "write a poem about water", "list three numbers",
           "explain the answer because the question is long and has many words in it", "hi"]


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    from harness.backends.transformers_backend import TransformersBackend

    path = build_tiny_llama(tmp_path_factory.mktemp("tiny") / "m")
    return TransformersBackend(str(path), batch_size=8, local_files_only=True)


def _requests(tok, params: SamplingParams) -> list[GenerationRequest]:
    tpl = get_template("llama3")
    out = []
    for i, p in enumerate(PROMPTS):
        r = tpl.render_to_ids(tok, [{"role": "user", "content": p}])
        out.append(GenerationRequest(f"r{i}", r.token_ids, params, r.text))
    return out


def _by_id(results):
    return {r.request_id: r for r in results}


def test_batched_left_padded_greedy_equals_one_at_a_time(backend):
    params = SamplingParams(max_new_tokens=24, stop_token_ids=(1, 4))
    batched = _by_id(backend.generate(_requests(backend.tokenizer, params)))
    backend.batch_size = 1
    try:
        single = _by_id(backend.generate(_requests(backend.tokenizer, params)))
    finally:
        backend.batch_size = 8
    assert set(batched) == set(single) == {f"r{i}" for i in range(len(PROMPTS))}
    for rid in batched:
        assert batched[rid].extra["token_ids"] == single[rid].extra["token_ids"]
        assert batched[rid].text == single[rid].text
    assert {r.extra["batch_size"] for r in batched.values()} == {len(PROMPTS)}


def test_finish_reasons_and_token_counts(backend):
    tok = backend.tokenizer
    # Stop on every token id: the first generated token stops the request.
    stop_all = SamplingParams(max_new_tokens=8, stop_token_ids=tuple(range(len(tok))))
    res = list(backend.generate(_requests(tok, stop_all)[:2]))
    assert all(r.finish_reason == "stop" and r.num_output_tokens == 1 and r.text == "" for r in res)
    # No stop tokens: runs to max_new_tokens.
    length = SamplingParams(max_new_tokens=5)
    res = list(backend.generate(_requests(tok, length)[:2]))
    assert all(r.finish_reason == "length" and r.num_output_tokens == 5 for r in res)
    assert all(r.num_prompt_tokens == len(q.prompt_token_ids) for r, q in zip(
        sorted(res, key=lambda r: r.request_id), _requests(tok, length)[:2], strict=True))


def test_sampling_depends_only_on_request_seed(backend):
    tok = backend.tokenizer
    p1 = SamplingParams(temperature=1.0, max_new_tokens=10, seed=7)
    a = _by_id(backend.generate(_requests(tok, p1)))
    b = _by_id(backend.generate(list(reversed(_requests(tok, p1)))))
    assert {k: v.extra["token_ids"] for k, v in a.items()} == {k: v.extra["token_ids"] for k, v in b.items()}


def test_missing_model_is_a_harness_error(tmp_path):
    from harness.backends.transformers_backend import TransformersBackend
    from harness.errors import HarnessError

    with pytest.raises(HarnessError, match="cannot load model"):
        TransformersBackend(str(tmp_path / "nope"), local_files_only=True)


def test_auto_dtype_on_cpu_is_float32_and_the_model_is_in_eval_mode(backend):
    import torch

    assert backend.model.dtype == torch.float32 and not backend.model.training
