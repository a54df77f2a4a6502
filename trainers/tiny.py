"""A tiny random Llama and a synthetic preference set, built locally for the CPU recipe (nothing downloaded).

The tokenizer is a small byte-level BPE trained on the synthetic vocabulary, with the Llama-3
special tokens and chat template, so the trained checkpoint is evaluable with the ``llama3`` template.
Recipe usage: ``model: tiny-random-llama`` and ``dataset_mixer: {"synthetic:tiny-prefs": 1.0}``.
"""

from __future__ import annotations

import random
from pathlib import Path

TINY_MODEL = "tiny-random-llama"
SYNTHETIC_PREFIX = "synthetic:"
BOS, EOS, EOT, PAD = "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|pad|>"
SPECIAL_TOKENS = (BOS, EOS, "<|start_header_id|>", "<|end_header_id|>", EOT, PAD)
LLAMA3_CHAT_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
    "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)
WORDS = ["apple", "river", "stone", "cloud", "green", "seven", "blue", "table", "music", "winter", "light", "paper", "garden", "silver", "orange", "bread", "candle", "forest", "ocean", "tiger", "yellow", "window", "planet", "coffee", "mirror"]


def synthetic_preferences(n: int = 64, seed: int = 0) -> list[dict[str, str]]:
    """Prompts 'repeat: w1 w2 w3'; chosen repeats the words, rejected answers with other words.

    The rule is learnable by a tiny model in a few steps, so the preference loss visibly falls.
    """
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        words = rng.sample(WORDS, 3)
        others = rng.sample([w for w in WORDS if w not in words], 3)
        rows.append({"prompt": "repeat: " + " ".join(words), "chosen": " ".join(words),
                     "rejected": " ".join(others)})
    return rows


def build_tiny_llama(path: Path, seed: int = 0) -> Path:
    """Write a random-init 2-layer Llama (hidden 64, head_dim 32) and its tokenizer to ``path``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    path = Path(path)
    if (path / "config.json").is_file() and (path / "tokenizer.json").is_file():
        return path
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    rng = random.Random(seed)
    corpus = [" ".join(rng.choice(WORDS + ["repeat:", "user", "assistant"]) for _ in range(12)) for _ in range(500)]
    trainer = trainers.BpeTrainer(vocab_size=384, special_tokens=list(SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer=trainer)
    hf_tok = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=EOT, pad_token=PAD,
                                     additional_special_tokens=[t for t in SPECIAL_TOKENS if t not in (BOS, EOT, PAD)],
                                     model_max_length=2048)
    hf_tok.chat_template = LLAMA3_CHAT_TEMPLATE
    path.mkdir(parents=True, exist_ok=True)
    hf_tok.save_pretrained(path)
    ids = {t: tok.token_to_id(t) for t in SPECIAL_TOKENS}
    config = LlamaConfig(vocab_size=tok.get_vocab_size(), hidden_size=64, intermediate_size=128,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2, head_dim=32,
                         max_position_embeddings=2048, initializer_range=0.05, tie_word_embeddings=False,
                         bos_token_id=ids[BOS], eos_token_id=[ids[EOT], ids[EOS]], pad_token_id=ids[PAD])
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config).to(torch.float32)
    model.generation_config = GenerationConfig(bos_token_id=ids[BOS], eos_token_id=[ids[EOT], ids[EOS]],
                                               pad_token_id=ids[PAD], do_sample=False)
    model.save_pretrained(path, safe_serialization=True)
    return path
