"""A GGUF checkpoint converted once per machine, then loaded like any transformers checkpoint.

transformers reads a GGUF by parsing the whole file and de-quantizing every tensor, separately for
the tokenizer, the config and the weights: most of the embedded default's load time (about 8 s of
a 135M model on 2 cores), paid again by every command. The first load here saves what it built
with ``save_pretrained`` (the tokenizer files; the config and the de-quantized weights as
safetensors, one folder per dtype) under the user cache; later loads read that folder. The
tensors are the same, bit for bit, and the tokenizer encodes and renders chat templates the same
(``tests/test_gguf_cache.py``). The key is the GGUF file's real path, size and mtime and the
transformers version, so a changed file or library converts again. Each part appears by an atomic
rename of a finished folder: a killed conversion leaves nothing half-written behind.

``SIMPO_HARNESS_CACHE`` moves the cache (default ``$XDG_CACHE_HOME/simpo-harness`` or
``~/.cache/simpo-harness``); ``SIMPO_HARNESS_NO_GGUF_CACHE=1`` turns it off.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.model_loading import ResolvedModel

TOKENIZER = "tokenizer"


def cache_root() -> Path:
    if os.environ.get("SIMPO_HARNESS_CACHE"):
        return Path(os.environ["SIMPO_HARNESS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "simpo-harness"


def converted_dir(model: ResolvedModel) -> Path | None:
    """The conversion folder of a local GGUF checkpoint (None: not a local GGUF, or the cache is off)."""
    if not model.gguf_file or os.environ.get("SIMPO_HARNESS_NO_GGUF_CACHE", "") not in ("", "0"):
        return None
    path = Path(model.source) / model.gguf_file
    try:
        st = path.stat()
    except OSError:
        return None  # a Hub repo id, or a file that is not there: transformers says so
    import transformers

    key = f"{os.path.realpath(path)}|{st.st_size}|{st.st_mtime_ns}|{transformers.__version__}"
    return cache_root() / "gguf" / f"{path.stem}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def part_name(dtype: Any | None) -> str:
    """The folder of one part: the tokenizer, or the model in one dtype."""
    return TOKENIZER if dtype is None else f"model-{str(dtype).removeprefix('torch.')}"


def cached_part(model: ResolvedModel, dtype: Any | None = None) -> Path | None:
    """The converted tokenizer (``dtype`` None) or model in ``dtype``, if it was saved before."""
    root = converted_dir(model)
    part = root / part_name(dtype) if root is not None else None
    return part if part is not None and part.is_dir() else None


def save_part(model: ResolvedModel, loaded: Any, dtype: Any | None = None) -> Path | None:
    """Save a tokenizer or model just built from the GGUF (best effort: a full disk or a read-only
    cache only means the next load converts again)."""
    root = converted_dir(model)
    if root is None or (root / part_name(dtype)).is_dir():
        return None
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=root))
        try:
            if dtype is None:
                loaded.save_pretrained(tmp)
            else:
                _save_model(loaded, tmp)
            os.replace(tmp, root / part_name(dtype))  # another process that got there first wins
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError:
        return None
    return root / part_name(dtype)


def _save_model(loaded: Any, folder: Path) -> None:
    """The de-quantized model as a plain checkpoint: transformers refuses ``save_pretrained`` of a
    model loaded from a GGUF (its config still names the GGUF quantization), so the config is
    written without it and the weights with safetensors' own ``save_model`` (tied weights once)."""
    import copy

    from safetensors.torch import save_model

    config = copy.deepcopy(loaded.config)
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    config.save_pretrained(folder)
    if getattr(loaded, "generation_config", None) is not None:
        loaded.generation_config.save_pretrained(folder)
    save_model(loaded, str(folder / "model.safetensors"))
