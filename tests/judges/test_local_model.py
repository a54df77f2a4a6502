"""The embedded local judge: whatever a (here random) model writes, the protocols' own parsers
read a verdict from its reply, and the verdict is the model's own highest-scoring choice."""

from __future__ import annotations

import math
import re

import pytest

from harness.benchmarks.alpaca_eval import protocol as alpaca
from harness.benchmarks.arena_hard.benchmark import protocol as arena
from harness.benchmarks.mt_bench import protocol as mt
from harness.judges.local_model import VERDICT_ONLY_NOTE, LocalModelResponder, verdict_formats
from tests.helpers.tiny_model import build_tiny_llama


@pytest.fixture(scope="module")
def responder(tmp_path_factory) -> LocalModelResponder:
    path = build_tiny_llama(tmp_path_factory.mktemp("judge_model"))
    return LocalModelResponder(str(path), template="llama3", max_new_tokens_cap=8)


def _body(messages, **kw):
    return {"model": "local", "messages": messages, **kw}


def test_mt_bench_reply_always_carries_a_rating(responder):
    prompt = mt.prompt_for("writing", 0)
    text = mt.user_prompt(prompt, ["Write a haiku."], ["Leaves fall, quiet pond."], None, 0)
    reply = responder(_body(mt.judge_messages(prompt, text), max_tokens=2048))
    rating = mt.parse_rating(reply.content)
    assert rating != -1 and 1 <= float(rating) <= 10
    assert reply.completion_tokens and reply.completion_tokens > 0


def test_verdict_only_by_default_explanation_on_request(tmp_path_factory, responder):
    """The embedded judge answers the protocol's verdict line alone (no explanation) unless ``explain``;
    either way the verdict is the model's own best-scoring legal one."""
    prompt = mt.prompt_for("writing", 0)
    messages = mt.judge_messages(prompt, mt.user_prompt(prompt, ["Write a haiku."], ["Leaves fall."], None, 0))
    reply = responder(_body(messages, max_tokens=2048))
    assert re.fullmatch(r"Rating: \[\[(10|[1-9])\]\]", reply.content), reply.content
    assert responder.decoding_note == f"{VERDICT_ONLY_NOTE}; {responder.dtype} weights"
    explaining = LocalModelResponder(responder.resolved.source, template="llama3", max_new_tokens_cap=8, explain=True)
    assert explaining.model is responder.model  # one copy of the weights per process
    long = explaining(_body(messages, max_tokens=2048))
    assert mt.parse_rating(long.content) != -1 and long.completion_tokens > reply.completion_tokens
    assert "explanation first" in explaining.decoding_note


def test_arena_hard_reply_always_carries_one_official_verdict(responder):
    for game in (1, 2):
        reply = responder(_body(arena.game_messages("Say hi.", "Hello!", "Hi.", game), max_tokens=4096))
        label, _ = arena.get_score(reply.content)
        assert label in ("A>>B", "A>B", "A=B", "B>A", "B>>A")


def test_alpaca_eval_reply_is_the_models_own_m_or_M_logprobs(responder):
    messages = alpaca.judge_messages("Say hi.", "Hi!", "Hello", False)
    reply = responder(_body(messages, max_tokens=1, logprobs=True, top_logprobs=5))
    assert reply.content in ("m", "M")
    tokens = {t["token"]: t["logprob"] for t in reply.top_logprobs[0]}
    assert set(tokens) == {"m", "M"} and all(lp < 0 for lp in tokens.values())
    assert reply.content == max(tokens, key=tokens.get)
    assert not math.isnan(alpaca.parse_preference(reply.top_logprobs, switched=False))


def test_verdict_formats_are_the_protocols_own():
    """The embedded judge forces exactly the verdicts each judged benchmark's parser accepts (from the specs)."""
    import re

    from harness.benchmarks import get_spec
    from harness.benchmarks.arena_hard import protocol as arena

    formats = {f.marker: f for f in verdict_formats()}
    mt_fmt = formats[get_spec("mt_bench").judge.verdict.marker]
    assert all(mt.parse_rating(f"{mt_fmt.prefix}{c}{mt_fmt.suffix}") == int(c) for c in mt_fmt.choices)
    assert re.search(mt_fmt.present, "... Rating: [[8]]") and not re.search(mt_fmt.present, "Rating: 8")
    ah_fmt = formats[get_spec("arena_hard").judge.verdict.marker]
    assert ah_fmt.marker in arena.SYSTEM_PROMPT
    assert all(arena.get_score(f"{ah_fmt.prefix}{c}{ah_fmt.suffix}") == (c, False) for c in ah_fmt.choices)
    ae_fmt = formats[get_spec("alpaca_eval").judge.verdict.marker]
    assert ae_fmt.mode == "logprobs" and ae_fmt.marker in alpaca.judge_messages("q", "a", "b", False)[-1]["content"]


@pytest.mark.parametrize("cache_bytes", [None, 1])  # all choices in one batched pass / one copy per choice
def test_cached_choice_scores_equal_full_forward_passes(responder, monkeypatch, cache_bytes):
    """The shared-KV-cache shortcut scores every choice as a separate full forward pass would,
    whether the choices share one batched pass or the cache copies must be made one at a time."""
    import harness.judges.local_model as local_model

    if cache_bytes is not None:
        monkeypatch.setattr(local_model, "CHOICE_CACHE_BYTES", cache_bytes)
    context = responder._encode_chat([{"role": "user", "content": "Rate this answer from 1 to 10."}])
    context += responder._encode_text("It is fine.\nRating: [[")
    continuations = [responder._encode_text(c + "]]") for c in ("1", "7", "10", "A>>B")]
    assert len({len(c) for c in continuations}) > 1  # ragged: the batched pass pads
    cached = responder._choice_logprobs(context, continuations)
    full = [responder._continuation_logprob(context, c) for c in continuations]
    assert cached == pytest.approx(full, abs=1e-4)
    assert responder._choice_logprobs(context, continuations) == pytest.approx(cached, abs=1e-6)  # repeatable
