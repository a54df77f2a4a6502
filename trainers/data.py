"""Preference data: the recipe's ``dataset_mixer`` loaded, mixed and tokenised.

Sources: a Hub dataset id (``princeton-nlp/llama3-ultrafeedback-armorm``), a local ``.json``/``.jsonl``
file, or ``synthetic:tiny-prefs`` (generated locally by :mod:`trainers.tiny`). Rows need ``prompt``,
``chosen`` and ``rejected``; ``chosen``/``rejected`` may be strings or ultrafeedback-style message lists.
As in the alignment-handbook, a fraction below 1 keeps the first fraction of the (seed-shuffled) split.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from trainers.logprobs import encode_example
from trainers.tiny import SYNTHETIC_PREFIX, synthetic_preferences

REQUIRED = ("prompt", "chosen", "rejected")


def _load_source(source: str, split: str, seed: int) -> Any:
    from datasets import Dataset, load_dataset

    if source.startswith(SYNTHETIC_PREFIX):
        kind = source[len(SYNTHETIC_PREFIX):]
        if kind != "tiny-prefs":
            raise HarnessError(f"unknown synthetic dataset {source!r}; use 'synthetic:tiny-prefs'")
        return Dataset.from_list(synthetic_preferences(64, seed=0 if split == "train" else 1))
    path = Path(source)
    if path.suffix in (".json", ".jsonl"):
        if not path.is_file():
            raise HarnessError(f"preference data file not found: {path}")
        return load_dataset("json", data_files=str(path), split="train")
    try:
        return load_dataset(source, split=split)
    except Exception as exc:  # hub/network/script errors: report in one line
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise HarnessError(f"cannot load dataset {source!r} split {split!r}: {first}") from None


def load_preferences(mixer: dict[str, float], split: str, seed: int, max_samples: int | None = None) -> Any:
    from datasets import concatenate_datasets

    parts = []
    for source, frac in mixer.items():
        if not 0 < frac <= 1:
            raise HarnessError(f"dataset_mixer fraction for {source!r} must be in (0, 1], got {frac}")
        ds = _load_source(source, split, seed)
        missing = [c for c in REQUIRED if c not in ds.column_names]
        if missing:
            raise HarnessError(f"dataset {source!r} lacks column(s) {', '.join(missing)}")
        ds = ds.select_columns(list(REQUIRED))
        if frac < 1:
            ds = ds.shuffle(seed=seed).select(range(int(frac * len(ds))))
        parts.append(ds)
    ds = concatenate_datasets(parts) if len(parts) > 1 else parts[0]
    if max_samples is not None:
        ds = ds.select(range(min(max_samples, len(ds))))
    if len(ds) == 0:
        raise HarnessError("the preference dataset is empty")
    return ds


def tokenize_preferences(ds: Any, tokenizer: Any, max_length: int, max_prompt_length: int) -> Any:
    def encode(row: dict[str, Any]) -> dict[str, list[int]]:
        return encode_example(tokenizer, row["prompt"], row["chosen"], row["rejected"], max_length=max_length,
                              max_prompt_length=max_prompt_length)

    return ds.map(encode, remove_columns=list(REQUIRED), desc="tokenizing")
