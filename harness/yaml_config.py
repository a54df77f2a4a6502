"""The one loader of the harness's YAML configs (model configs, judge presets, training recipes,
study files): read, parse and validate with pydantic, every mistake one line naming the file and
the field (``model_configs/x.yaml: field decoding.temperature: Input should be ...``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from harness.errors import HarnessError

M = TypeVar("M", bound=BaseModel)


def validation_error(where: str, exc: ValidationError) -> HarnessError:
    """The first pydantic error as ``<where>: field <a.b>: <message>`` (and how many more)."""
    errors = exc.errors()
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"] if p != "[key]") or "(top level)"
    msg = " ".join(str(first["msg"]).split())
    more = f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return HarnessError(f"{where}: field {loc}: {msg}{more}")


def read_yaml_mapping(path: Path, where: str) -> dict[str, Any]:
    """A YAML file's top-level mapping; unreadable files and bad YAML are one line (with the line number)."""
    import yaml

    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as exc:
        raise HarnessError(f"{where}: cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise HarnessError(f"{where}: invalid YAML{line}: {problem}") from None
    if not isinstance(data, dict):
        raise HarnessError(f"{where}: expected a mapping of fields, got {type(data).__name__}")
    return data


def validate(model: type[M], data: dict[str, Any], where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(where, exc) from None


def load_yaml_config(path: Path, model: type[M], where: str, *, name_is_stem: bool = False) -> M:
    """``model`` validated from the YAML at ``path``; with ``name_is_stem`` its ``name`` must equal the
    file name (a registry entry is found by it)."""
    config = validate(model, read_yaml_mapping(Path(path), where), where)
    if name_is_stem and getattr(config, "name", None) != Path(path).stem:
        raise HarnessError(f"{where}: field name: {getattr(config, 'name', None)!r} must equal the file name "
                           f"{Path(path).stem!r}")
    return config
