"""A tiny random-init Llama with a locally trained byte-level BPE tokenizer, for tests.

The tokenizer carries the Llama-3 special tokens (``<|begin_of_text|>``, ``<|end_of_text|>``,
``<|start_header_id|>``, ``<|end_header_id|>``, ``<|eot_id|>``) and the Llama-3 chat template,
so ``harness.templates``' ``llama3`` template renders on it. head_dim is 32 (vLLM's CPU
attention needs >= 32). Nothing is downloaded.

Usage::

    from tests.helpers.tiny_model import build_tiny_llama
    model_dir = build_tiny_llama(tmp_path / "tiny")        # -> tmp_path / "tiny"

The first build per (seed, process) is cached in a temp directory and copied afterwards,
so calling it from many tests is cheap.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

SPECIAL_TOKENS = ("<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                  "<|eot_id|>", "<|pad|>")
BOS, EOS, EOT, PAD = "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|pad|>"

# The official Llama-3-Instruct chat template (HF tokenizer_config.json of Meta-Llama-3-8B-Instruct).
LLAMA3_CHAT_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
    "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)

_WORDS = (
    "the a an of to and in is it that for on with as was be by this are or at from his her they "
    "you we he she i me my your our their what which who when where why how all any each some "
    "one two three four five six seven eight nine ten zero hundred thousand number answer question "
    "user assistant system model reasoning json true false yes no please write explain list give "
    "describe summarize translate compute solve math code python function return value string "
    "data table time day year people world water food book story poem letter email plan idea "
    "good better best bad small large new old first last next step because therefore however "
)
_PUNCT = ". , ; : ! ? ' \" ( ) [ ] { } - + * / = < > # $ % & _ @ \n \t 0 1 2 3 4 5 6 7 8 9"

_CACHE: dict[int, Path] = {}


def _corpus(seed: int) -> list[str]:
    import random

    rng = random.Random(seed)
    words = _WORDS.split() + _PUNCT.split(" ")
    lines = []
    for _ in range(2000):
        n = rng.randint(3, 25)
        lines.append(" ".join(rng.choice(words) for _ in range(n)))
    lines.append(_WORDS)
    lines.append(_WORDS.upper())
    return lines


def _build(path: Path, seed: int) -> None:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512, special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    tok.train_from_iterator(_corpus(seed), trainer=trainer)
    bos_id = tok.token_to_id(BOS)
    # Like Llama-3: the tokenizer itself prepends BOS when add_special_tokens=True.
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B", special_tokens=[(BOS, bos_id)]
    )
    hf_tok = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=BOS, eos_token=EOT, pad_token=PAD,
        additional_special_tokens=[t for t in SPECIAL_TOKENS if t not in (BOS, EOT, PAD)],
        model_max_length=2048,
    )
    hf_tok.chat_template = LLAMA3_CHAT_TEMPLATE
    hf_tok.save_pretrained(path)

    eot_id, eos_id, pad_id = (tok.token_to_id(t) for t in (EOT, EOS, PAD))
    config = LlamaConfig(
        vocab_size=tok.get_vocab_size(), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, head_dim=32, max_position_embeddings=2048,
        rms_norm_eps=1e-5, initializer_range=0.1, tie_word_embeddings=False,
        bos_token_id=bos_id, eos_token_id=[eot_id, eos_id], pad_token_id=pad_id,
        torch_dtype="float32",
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config).to(torch.float32).eval()
    model.generation_config = GenerationConfig(
        bos_token_id=bos_id, eos_token_id=[eot_id, eos_id], pad_token_id=pad_id, do_sample=False
    )
    model.save_pretrained(path, safe_serialization=True)


def build_tiny_llama(path: Path, *, seed: int = 0) -> Path:
    """Write a tiny Llama checkpoint + tokenizer to ``path`` (created) and return ``path``."""
    path = Path(path)
    cached = _CACHE.get(seed)
    if cached is None or not (cached / "config.json").is_file():
        cached = Path(tempfile.mkdtemp(prefix=f"simpo_tiny_llama_s{seed}_"))
        _build(cached, seed)
        _CACHE[seed] = cached
    if path.resolve() != cached.resolve():
        shutil.copytree(cached, path, dirs_exist_ok=True)
    return path
