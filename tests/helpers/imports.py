"""Helpers of the import/export tests: the CLI as a function, scores, and stored records with
their provenance (which file and line they came from) left out, for round-trip comparisons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.cli import main
from harness.importing.records import PROVENANCE
from harness.store.jsonl import read_jsonl

OFFICIAL = "official_files"


def cli(*argv: str | Path) -> int:
    return main([str(a) for a in argv])


def scores(results: Path, model: str, benchmark: str) -> dict[str, Any]:
    return json.loads((results / model / benchmark / "scores.json").read_text())


def score(results: Path, model: str, benchmark: str, *extra: str | Path) -> tuple[int, dict[str, Any]]:
    rc = cli("score", "--model", model, "--benchmark", benchmark, "--results-dir", results, *extra)
    return rc, scores(results, model, benchmark)


def stored(results: Path, model: str, benchmark: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(generation records, judgment rows) without provenance fields."""
    run = results / model / benchmark
    gens = []
    for r in read_jsonl(run / "generations.jsonl"):
        r = {k: v for k, v in r.items() if k not in PROVENANCE}
        gens.append(r)
    rows = [{k: v for k, v in r.items() if k not in PROVENANCE} for r in read_jsonl(run / "annotations.jsonl")]
    return gens, rows


def manifest(results: Path, model: str, benchmark: str) -> dict[str, Any]:
    return json.loads((results / model / benchmark / "generation_manifest.json").read_text())


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path -> bytes): "nothing written" is this staying equal."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
