"""Base-model resolution and the ``simpo_harness.yaml`` model config written into trained checkpoints.

``simpo-harness generate --model <checkpoint dir>`` reads ``simpo_harness.yaml`` from a local
directory, so a checkpoint is evaluable as soon as training ends; ``register_dir`` also drops a copy
(``<name>.yaml``) into a user model_configs directory so it is evaluable by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.errors import HarnessError
from trainers.tiny import TINY_MODEL, build_tiny_llama

CONFIG_NAME = "simpo_harness.yaml"
# recipe method id -> registry METHODS spelling
METHOD_NAMES = {"simpo": "SimPO", "dpo": "DPO", "ipo": "IPO", "cpo": "CPO", "kto": "KTO", "orpo": "ORPO",
                "rdpo": "R-DPO", "rrhf": "RRHF", "slic_hf": "SLiC-HF"}
TEMPLATE_FAMILY = {"llama3": "llama3", "llama3-nobos": "llama3", "mistral-instruct": "mistral-instruct",
                   "mistral-base": "mistral-base", "gemma2": "gemma2", "chatml": "smollm2"}


@dataclass
class BaseModelInfo:
    """Where to load the starting checkpoint from, and what its evaluation config inherits."""

    name: str
    path: str
    revision: str = "main"
    trust_remote_code: bool = False
    gguf_file: str | None = None
    template: str | None = None
    family: str | None = None
    stop_token_ids: list[int] = field(default_factory=list)
    decoding: dict[str, Any] = field(default_factory=dict)

    def load_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"revision": self.revision, "trust_remote_code": self.trust_remote_code}
        if self.gguf_file:
            kw["gguf_file"] = self.gguf_file
        return kw


def resolve_base_model(model: str, revision: str, work_dir: Path) -> BaseModelInfo:
    """``tiny-random-llama`` (built locally), a local checkpoint dir, a registry name, or a Hub repo id."""
    if model == TINY_MODEL:
        path = build_tiny_llama(work_dir / f"base-{TINY_MODEL}")
        return BaseModelInfo(name=TINY_MODEL, path=str(path), template="llama3", family="llama3")
    local = Path(model).expanduser()
    if local.is_dir():
        info = BaseModelInfo(name=local.resolve().name, path=str(local.resolve()))
        cfg_file = local / CONFIG_NAME
        if cfg_file.is_file():
            cfg = yaml.safe_load(cfg_file.read_text(encoding="utf-8")) or {}
            info.template, info.family = cfg.get("template"), cfg.get("family")
            info.trust_remote_code = bool(cfg.get("trust_remote_code", False))
            info.stop_token_ids = list(cfg.get("stop_token_ids") or [])
            info.decoding = dict(cfg.get("decoding") or {})
            info.name = cfg.get("name", info.name)
        return info
    if model.startswith((".", "/", "~")) or model.count("/") > 1:
        raise HarnessError(f"model directory not found: {model}")
    try:
        from harness.registry.models import load_registry

        cfg = load_registry().find(model)
    except (ImportError, HarnessError):
        cfg = None
    if cfg is None:
        if "/" not in model:
            raise HarnessError(f"unknown model {model!r}: not a local directory, a registry name or a Hub repo id")
        return BaseModelInfo(name=model, path=model, revision=revision)
    gguf = cfg.local_weights_path()
    return BaseModelInfo(
        name=cfg.name, path=str(gguf.parent) if gguf else cfg.load_repo, revision=cfg.revision,
        trust_remote_code=cfg.trust_remote_code, gguf_file=cfg.gguf_file, template=cfg.template,
        family=cfg.family, stop_token_ids=list(cfg.stop_token_ids),
        decoding={k: v.model_dump() for k, v in cfg.decoding.items()},
    )


def checkpoint_name(output_dir: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", output_dir.resolve().name).strip("-._") or "checkpoint"
    return name if name[0].isalnum() else "c" + name


def model_config_dict(output_dir: Path, *, base: BaseModelInfo, method: str, setting: str,
                      template: str | None, family: str | None, recipe_name: str) -> dict[str, Any]:
    template = template or base.template
    if template is None:
        raise HarnessError("cannot tell the chat template of the trained model: set `template:` in the recipe")
    family = family or base.family or TEMPLATE_FAMILY.get(template)
    data: dict[str, Any] = {
        "name": checkpoint_name(output_dir),
        "hf_repo": str(output_dir.resolve()),
        "revision": "main",
        "family": family,
        "template": template,
        "setting": setting,
        "method": METHOD_NAMES[method],
        "version": None,
        "base_model": base.name,
        "trust_remote_code": base.trust_remote_code,
        "stop_token_ids": base.stop_token_ids,
        "decoding": base.decoding,
        "notes": f"trained by `simpo-harness train --recipe {recipe_name}`",
    }
    try:  # validate against the registry schema when it is importable
        from harness.registry.models import ModelConfig
    except ImportError:
        return data
    try:
        return ModelConfig.model_validate(data).model_dump(mode="json", exclude_none=False)
    except Exception as exc:  # pydantic ValidationError -> one line
        first = str(exc).splitlines()
        raise HarnessError(f"trained model config is invalid: {' '.join(first[:3])}") from None


def write_model_config(output_dir: Path, data: dict[str, Any], register_dir: Path | None = None) -> Path:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    path = output_dir / CONFIG_NAME
    path.write_text(text, encoding="utf-8")
    if register_dir is not None:
        register_model_config(data, register_dir)
    return path


def register_model_config(data: dict[str, Any], register_dir: Path) -> Path:
    """Write ``<name>.yaml`` into ``register_dir``, refusing to overwrite another checkpoint's entry."""
    register_dir.mkdir(parents=True, exist_ok=True)
    target = register_dir / f"{data['name']}.yaml"
    if target.is_file():
        existing = yaml.safe_load(target.read_text(encoding="utf-8")) or {}
        if existing.get("hf_repo") != data["hf_repo"]:
            raise HarnessError(f"{target} already registers another checkpoint ({existing.get('hf_repo')}); "
                               "choose another --output-dir name")
    target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target
