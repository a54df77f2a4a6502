"""Reading the official tools' files for ``import``: records with their location, typed field
access whose errors name the file, line (JSONL) or record (JSON list) and field, folder
expansion, and splitting a judge prompt back into the fields of the template that made it.

Unlike the results store's reader, an unparsable line is always an error here (also the last
one): an official file is the user's input, not our append-only log.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

JSON_SUFFIXES = (".json", ".json.gz")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")


def _kind(types: tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", list: "a list", dict: "an object",
             type(None): "null"}
    return " or ".join(names.get(t, t.__name__) for t in types)


@dataclass(frozen=True)
class Located:
    """One record of a file and where it is (``line 3`` of a JSONL file, ``record 3`` of a JSON list)."""

    path: Path
    where: str
    index: int  # 0-based position among the file's records
    rec: dict[str, Any]

    @property
    def origin(self) -> str:
        return f"{self.path}:{self.where}"

    def error(self, field: str, problem: str) -> HarnessError:
        return HarnessError(f"{self.origin}: field {field!r} {problem}")

    def get(self, field: str, types: tuple[type, ...], default: Any = ..., what: str = "") -> Any:
        """The value of ``field``, checked to be one of ``types`` (a missing field is an error
        unless ``default`` is given). ``what`` names the expected format in the message."""
        if field not in self.rec:
            if default is not ...:
                return default
            raise self.error(field, f"is missing{f' (is this {what}?)' if what else ''}")
        value = self.rec[field]
        if isinstance(value, bool) or not isinstance(value, types):
            shown = json.dumps(value, ensure_ascii=False)[:60]
            raise self.error(field, f"must be {_kind(types)}, got {shown}")
        return value

    def text(self, field: str, what: str = "") -> str:
        return self.get(field, (str,), what=what)

    def ident(self, field: str, what: str = "") -> str:
        """An id field (string or integer) as a string."""
        return str(self.get(field, (str, int), what=what))


def _open(path: Path) -> Any:
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")


def read_located(path: Path) -> list[Located]:
    """The records of a JSONL or JSON-list file (``.gz`` read transparently), located."""
    path = Path(path)
    if not path.is_file():
        raise HarnessError(f"file not found: {path}")
    name = path.name
    try:
        with _open(path) as fh:
            if name.endswith(JSONL_SUFFIXES):
                return _jsonl(path, fh)
            data = json.load(fh)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise HarnessError(f"{path}: not readable ({exc})") from None
    except json.JSONDecodeError as exc:
        raise HarnessError(f"{path}:line {exc.lineno}: not valid JSON ({exc.msg})") from None
    if isinstance(data, dict):  # a single object
        data = [data]
    if not isinstance(data, list):
        raise HarnessError(f"{path}: expected a JSON list of records, got {type(data).__name__}")
    out = []
    for i, rec in enumerate(data):
        if not isinstance(rec, dict):
            raise HarnessError(f"{path}:record {i + 1}: expected a JSON object, got {type(rec).__name__}")
        out.append(Located(path, f"record {i + 1}", i, rec))
    return out


def _jsonl(path: Path, fh: Any) -> list[Located]:
    out = []
    for lineno, line in enumerate(fh, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise HarnessError(f"{path}:line {lineno}: not valid JSON ({exc.msg})") from None
        if not isinstance(rec, dict):
            raise HarnessError(f"{path}:line {lineno}: expected a JSON object, got {type(rec).__name__}")
        out.append(Located(path, f"line {lineno}", len(out), rec))
    return out


def stem(path: Path) -> str:
    """A file's name without ``.json``/``.jsonl`` and ``.gz`` (the official tools' model names)."""
    name = Path(path).name
    for suffix in (".gz", ".jsonl", ".json"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def data_files(folder: Path, *, jsonl: bool) -> list[Path]:
    """The JSONL (or JSON) files directly in ``folder``, sorted by name."""
    suffixes = JSONL_SUFFIXES if jsonl else JSON_SUFFIXES
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.name.endswith(suffixes))


def require_paths(paths: Iterable[Path]) -> list[Path]:
    out = []
    for p in paths:
        p = Path(p).expanduser()
        if not p.exists():
            raise HarnessError(f"no such file or folder: {p}")
        out.append(p)
    return out


# --------------------------------------------------------------------------- judge prompts
_FIELD = re.compile(r"(?<!{){([A-Za-z_][A-Za-z0-9_]*)}(?!})")


def classified_jsonl(paths: Iterable[Path], classify: Callable[[Path, Located | None], str | None], *,
                     max_depth: int, what: str) -> list[tuple[str, Path, list[Located]]]:
    """(kind, path, records) of every JSONL file given, or found at most ``max_depth`` levels into a
    folder given, that ``classify`` (the file and its first record) recognises. A file named
    explicitly that is not recognised is an error naming ``what`` it should have been."""
    out = []
    for p in require_paths(paths):
        explicit = p.is_file()
        found = [p] if explicit else sorted(f for f in p.rglob("*") if f.is_file()
                                            and f.name.endswith((".jsonl", ".jsonl.gz"))
                                            and len(f.relative_to(p).parts) <= max_depth)
        for f in found:
            records = read_located(f)
            kind = classify(f, records[0] if records else None)
            if kind is None and explicit:
                raise HarnessError(f"{f}:{records[0].where if records else 'line 1'}: not {what}")
            if kind is not None:
                out.append((kind, f, records))
    return out


def split_formatted(template: str, text: str, known: dict[str, str] | None = None) -> dict[str, str] | None:
    """The fields that ``template.format(**fields)`` filled to give ``text``, or None.

    Literal parts are matched left to right, each at its first occurrence (the last one at the
    end); a field used twice must hold the same text both times. ``known`` fields (a question, a
    reference, whatever the caller has from the benchmark's data) are filled in first, so a field
    is cut short only if its text contains the next literal *and* the known text after it. With
    ``known`` that do not fit the text, the split is tried without them.
    """
    if known:
        filled = template
        for name, value in known.items():
            filled = filled.replace("{" + name + "}", value.replace("{", "{{").replace("}", "}}"))
        got = _split(filled, text)
        if got is not None:
            return {**got, **{k: v for k, v in known.items() if "{" + k + "}" in template}}
    return _split(template, text)


def _split(template: str, text: str) -> dict[str, str] | None:
    parts = _FIELD.split(template)  # literal, field, literal, field, ..., literal
    literals = [p.replace("{{", "{").replace("}}", "}") for p in parts[0::2]]
    names = parts[1::2]
    if not text.startswith(literals[0]):
        return None
    if not names:
        return {} if text == literals[0] else None
    pos = len(literals[0])
    fields: dict[str, str] = {}
    for i, name in enumerate(names):
        literal = literals[i + 1]
        if i == len(names) - 1:
            end = len(text) - len(literal)
            if end < pos or not text.endswith(literal):
                return None
        else:
            end = text.find(literal, pos) if literal else pos
            if end < 0:
                return None
        value = text[pos:end]
        if fields.setdefault(name, value) != value:
            return None
        pos = end + len(literal)
    return fields
