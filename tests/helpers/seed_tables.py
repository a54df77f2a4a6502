"""Parse the released-model tables of the SimPO README seed (test-side only, never product code).

Returns, per section (``gemma``, ``v0.2``, ``v0.1``), the metric headers as printed and the
rows in printed order: ``{"label": str | None, "repo": str, "cells": {header: text}}``.
"""

from __future__ import annotations

import re
from pathlib import Path

SECTIONS = {"Gemma": "gemma", "v0.2": "v0.2", "v0.1": "v0.1"}
_HEADER = re.compile(r"AE2 LC|AE2 WR|AE2 Length|AH Length|AH|GSM Length|GSM|MMLU Length|MMLU")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def parse_seed_tables(path: Path) -> dict[str, dict]:
    tables: dict[str, dict] = {}
    section = None
    current = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line in SECTIONS:
            section, current = SECTIONS[line], None
            continue
        if section and line.startswith("models "):
            current = {"headers": _HEADER.findall(line[len("models "):]), "rows": []}
            tables[section] = current
            continue
        if current is None:
            continue
        tokens = line.split()
        n = len(current["headers"])
        if len(tokens) <= n or not all(_NUMBER.match(t) for t in tokens[-n:]):
            if current["rows"]:
                current = None  # the table ended
            continue
        repo = tokens[-n - 1]
        label = " ".join(tokens[: -n - 1]) or None
        current["rows"].append({"label": label, "repo": repo, "cells": dict(zip(current["headers"], tokens[-n:], strict=True))})
    return tables
