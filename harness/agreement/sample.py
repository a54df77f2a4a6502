"""Published units: collected from files, deduplicated, and sampled with a seed.

- Collection: every file each ``--judgments`` path gives (:meth:`AgreementProtocol.find`), in path
  order; a unit whose judge input equals an earlier unit's is dropped (a judge is asked once per
  input: the same request to the same endpoint is one cached answer), e.g. a model judged twice
  on the same answers, or the same annotations shipped in two files.
- Sample: ``random.Random(seed).sample`` of the units in key order, returned in key order, so the
  same sources, size and seed give the same units on any machine.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from harness.agreement.base import AgreementProtocol, Unit
from harness.errors import HarnessError


@dataclass(frozen=True)
class Collection:
    units: list[Unit]
    files: list[str]
    n_duplicates: int  # units dropped because their input repeated an earlier unit's


def collect(protocol: AgreementProtocol, roots: Sequence[Path]) -> Collection:
    """Every usable published unit under ``roots`` (see the module docstring)."""
    files: list[Path] = []
    for root in roots:
        files += [f for f in protocol.find(Path(root)) if f not in files]
    if not files:
        where = ", ".join(str(r) for r in roots) or "(no --judgments given)"
        raise HarnessError(f"no published {protocol.benchmark} judgments under {where} (looked for "
                           f"{', '.join(protocol.patterns)}); pass --judgments FILE_OR_DIR")
    units: list[Unit] = []
    seen_inputs: set[str] = set()
    keys: dict[str, int] = {}
    duplicates = 0
    for path in files:
        for unit in protocol.load(path):
            if unit.input_sha in seen_inputs:
                duplicates += 1
                continue
            seen_inputs.add(unit.input_sha)
            n = keys.get(unit.key, 0)
            keys[unit.key] = n + 1
            units.append(unit if n == 0 else replace(unit, key=f"{unit.key}#{n + 1}"))
    if not units:
        raise HarnessError(f"the {protocol.benchmark} judgment files found ({len(files)}, e.g. {files[0]}) hold no "
                           "judgment with a readable verdict")
    return Collection(units=units, files=[str(f) for f in files], n_duplicates=duplicates)


def draw(units: Sequence[Unit], n: int, seed: int) -> list[Unit]:
    """``n`` units (all of them if fewer), seeded, in key order."""
    if n < 1:
        raise HarnessError(f"--sample must be a positive number, got {n}")
    ordered = sorted(units, key=lambda u: u.key)
    if n >= len(ordered):
        return ordered
    return sorted(random.Random(seed).sample(ordered, n), key=lambda u: u.key)
