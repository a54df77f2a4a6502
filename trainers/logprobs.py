"""Per-sequence response log-probs: tokenisation with exactly one BOS, prompt masking, padding excluded.

A preference example becomes ``prompt_ids`` (chat template rendered with the generation prompt,
so it is byte-identical to what the model sees at evaluation) and ``chosen_ids`` / ``rejected_ids``
(the rest of the rendered conversation: the assistant message and its end-of-turn token). Only the
response tokens count: log pi(y|x) = sum_t log p(y_t | x, y_<t), |y| = number of response tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from harness.errors import HarnessError

Messages = list[dict[str, str]]


@dataclass
class SeqLogps:
    """Summed response log-probs and response lengths, one entry per sequence."""

    logps: torch.Tensor
    lengths: torch.Tensor

    @property
    def avg(self) -> torch.Tensor:
        return self.logps / self.lengths.to(self.logps.dtype).clamp(min=1)


def token_logps(logits: torch.Tensor, input_ids: torch.Tensor) -> torch.Tensor:
    """log p(input_ids[:, t] | input_ids[:, :t]) for t >= 1, shape (B, T-1); no (B, T, V) log-softmax copy."""
    logits = logits[:, :-1, :].float()
    targets = input_ids[:, 1:].unsqueeze(-1)
    return torch.gather(logits, -1, targets).squeeze(-1) - torch.logsumexp(logits, dim=-1)


def sequence_logps(logits: torch.Tensor, input_ids: torch.Tensor, response_mask: torch.Tensor) -> SeqLogps:
    """Sum the log-probs of tokens where ``response_mask`` is 1 (prompt and padding are 0)."""
    mask = response_mask[:, 1:].to(torch.float32)
    per_token = token_logps(logits, input_ids) * mask
    return SeqLogps(logps=per_token.sum(-1), lengths=mask.sum(-1))


def model_sequence_logps(
    model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor, response_mask: torch.Tensor
) -> SeqLogps:
    logits = model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits
    return sequence_logps(logits, input_ids, response_mask)


# --- tokenisation ---------------------------------------------------------------------------------

def _as_messages(prompt: str | Messages) -> Messages:
    return [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)


def _response_text(tokenizer: Any, prompt_msgs: Messages, response: str | Messages, prompt_text: str) -> str:
    if isinstance(response, list):  # ultrafeedback style: full conversation, last turn is the answer
        response = response[-1]["content"]
    full = tokenizer.apply_chat_template(
        prompt_msgs + [{"role": "assistant", "content": response}], tokenize=False
    )
    if not full.startswith(prompt_text):
        raise HarnessError("chat template renders the prompt differently with and without the answer; "
                           "set `chat_template` in the recipe")
    return full[len(prompt_text):]


def one_bos(ids: list[int], bos_id: int | None) -> list[int]:
    """Return ``ids`` starting with exactly one BOS (when the tokenizer has one)."""
    if bos_id is None:
        return ids
    i = 0
    while i < len(ids) and ids[i] == bos_id:
        i += 1
    return [bos_id] + ids[i:]


def encode_example(
    tokenizer: Any, prompt: str | Messages, chosen: str | Messages, rejected: str | Messages, *,
    max_length: int, max_prompt_length: int,
) -> dict[str, list[int]]:
    """Render with the chat template, tokenise without special tokens, enforce one BOS, truncate.

    Truncation as in trl: the prompt keeps its end (BOS kept) down to ``max_prompt_length``; then
    each response is cut to ``max_length - len(prompt)``.
    """
    if isinstance(chosen, list) and isinstance(prompt, str) and len(chosen) > 1:
        prompt_msgs = list(chosen[:-1])
    else:
        prompt_msgs = _as_messages(prompt)
    prompt_text = tokenizer.apply_chat_template(prompt_msgs, tokenize=False, add_generation_prompt=True)
    bos = tokenizer.bos_token_id
    prompt_ids = one_bos(tokenizer(prompt_text, add_special_tokens=False)["input_ids"], bos)
    if len(prompt_ids) > max_prompt_length:
        head = prompt_ids[:1] if bos is not None else []
        prompt_ids = head + prompt_ids[len(prompt_ids) - (max_prompt_length - len(head)):]
    out = {"prompt_ids": prompt_ids}
    budget = max(max_length - len(prompt_ids), 1)
    for key, answer in (("chosen_ids", chosen), ("rejected_ids", rejected)):
        text = _response_text(tokenizer, prompt_msgs, answer, prompt_text)
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        if bos is not None and bos in ids:
            raise HarnessError("BOS token inside a response: the chat template adds BOS per turn")
        out[key] = ids[:budget]
    return out


def _pad(seqs: list[list[int]], masks: list[list[int]], pad_token_id: int) -> dict[str, torch.Tensor]:
    width = max(len(s) for s in seqs)
    input_ids = torch.full((len(seqs), width), pad_token_id, dtype=torch.long)
    attention_mask = torch.zeros((len(seqs), width), dtype=torch.long)
    response_mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, (s, m) in enumerate(zip(seqs, masks, strict=True)):
        input_ids[i, : len(s)] = torch.tensor(s)
        attention_mask[i, : len(s)] = 1
        response_mask[i, : len(s)] = torch.tensor(m)
    return {"input_ids": input_ids, "attention_mask": attention_mask, "response_mask": response_mask}


def collate_pairs(examples: list[dict[str, Any]], pad_token_id: int, *, kl_pairs: bool = False) -> dict[str, torch.Tensor]:
    """Right-pad [chosen_1..chosen_B, rejected_1..rejected_B] into one batch with a response mask.

    ``kl_pairs`` (KTO) adds ``kl_*`` tensors of mismatched pairs prompt_i + chosen_(i+1 mod B), whose
    policy/reference log-ratio estimates KL(pi || pi_ref) without a separate dataset pass.
    """
    seqs: list[list[int]] = []
    masks: list[list[int]] = []
    for key in ("chosen_ids", "rejected_ids"):
        for ex in examples:
            p, r = list(ex["prompt_ids"]), list(ex[key])
            seqs.append(p + r)
            masks.append([0] * len(p) + [1] * len(r))
    batch = _pad(seqs, masks, pad_token_id)
    if kl_pairs:
        n = len(examples)
        kl_seqs = [list(examples[i]["prompt_ids"]) + list(examples[(i + 1) % n]["chosen_ids"]) for i in range(n)]
        kl_masks = [[0] * len(examples[i]["prompt_ids"]) + [1] * len(examples[(i + 1) % n]["chosen_ids"])
                    for i in range(n)]
        batch.update({f"kl_{k}": v for k, v in _pad(kl_seqs, kl_masks, pad_token_id).items()})
    for key in ("ref_chosen_logps", "ref_rejected_logps"):
        if all(key in ex for ex in examples):
            batch[key] = torch.tensor([float(ex[key]) for ex in examples], dtype=torch.float32)
    return batch
