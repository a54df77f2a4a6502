"""Benchmark-agnostic comparison of two models' per-item results.

``compare_items(kind, a, b)`` takes two ``{item key: value}`` mappings, pairs the items both models
have, counts (and names a few of) the items only one of them has, and runs the paired test of
``kind`` on the pairs:

===============  ==========================================  =================================
kind             value per item                              test
===============  ==========================================  =================================
bootstrap_mean   a number (NaN/None: no value)               paired bootstrap, mean difference
wilcoxon         a number (NaN/None: no value)               Wilcoxon signed-rank + bootstrap CI
mcnemar          correctness (bool or 0/1; None: no value)   exact McNemar + bootstrap CI
bradley_terry    the question's battle rows vs the baseline  paired bootstrap, BT refit per round
===============  ==========================================  =================================

An item whose value is missing (NaN / None) counts as absent for that model. Paired items are
taken in sorted key order, so the bootstrap draws do not depend on dict order and comparing B
with A gives exactly the mirrored result.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.errors import HarnessError
from harness.stats.multiple import holm_adjust
from harness.stats.paired import (
    DEFAULT_CONFIDENCE,
    DEFAULT_ROUNDS,
    DEFAULT_SEED,
    PAIRED_TESTS,
    PairedResult,
    check_settings,
)
from harness.stats.paired_bt import paired_bradley_terry

KINDS = ("bootstrap_mean", "wilcoxon", "mcnemar", "bradley_terry")
N_EXAMPLES = 5  # item keys named per side in a result
FEW_ITEMS = 30  # below this the bootstrap is noticeably liberal (bench/paired_calibration.py)
_OUTCOME = {"model_b": 1.0, "tie": 0.5, "model_a": 0.0}  # score of model_b in a battle row


@dataclass(frozen=True)
class Comparison:
    """The paired comparison of ``model_a`` and ``model_b`` on one benchmark metric (Δ = A - B)."""

    kind: str
    method: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n_paired: int
    n_only_a: int
    n_only_b: int
    rounds: int
    seed: int
    confidence: float = DEFAULT_CONFIDENCE
    benchmark: str = ""
    metric: str = ""
    model_a: str = "A"
    model_b: str = "B"
    a_value: float | None = None  # each model's score on the paired items
    b_value: float | None = None
    statistic: float | None = None
    p_holm: float | None = None  # filled by holm()
    only_a_examples: tuple[str, ...] = ()
    only_b_examples: tuple[str, ...] = ()
    note: str | None = None  # why there is no test, or a caveat to print with it
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every field."""
        out = dataclasses.asdict(self)
        out["only_a_examples"] = list(self.only_a_examples)
        out["only_b_examples"] = list(self.only_b_examples)
        out["details"] = dict(self.details)
        return out


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _sorted_keys(keys: Iterable[Hashable]) -> list[Hashable]:
    keys = list(keys)
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=repr)


def align(a: Mapping[Hashable, Any], b: Mapping[Hashable, Any]) -> tuple[list[Hashable], list[Hashable], list[Hashable]]:
    """(paired keys, keys only A has, keys only B has), each sorted; missing values count as absent."""
    ka = {k for k, v in a.items() if not _missing(v)}
    kb = {k for k, v in b.items() if not _missing(v)}
    return _sorted_keys(ka & kb), _sorted_keys(ka - kb), _sorted_keys(kb - ka)


def _numbers(values: Sequence[Any], which: str) -> np.ndarray:
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
            raise HarnessError(f"per-item values of {which} must be finite numbers, got {v!r}"[:200])
    return np.asarray(values, dtype=np.float64)


def _flags(values: Sequence[Any], which: str) -> np.ndarray:
    for v in values:
        if not (isinstance(v, (bool, np.bool_)) or (isinstance(v, (int, np.integer)) and v in (0, 1))):
            raise HarnessError(f"per-item correctness of {which} must be true/false (or 0/1), got {v!r}"[:200])
    return np.asarray(values, dtype=np.float64)


def _infer_baseline(battle_lists: Iterable[Sequence[Mapping[str, Any]]]) -> str:
    firsts = {str(r.get("model_a")) for rows in battle_lists for r in rows}
    if len(firsts) != 1:
        raise HarnessError(f"cannot tell the baseline: battles name {sorted(firsts)} as model_a; pass baseline=")
    return firsts.pop()


def _model_scores(rows: Sequence[Mapping[str, Any]], baseline: str, which: str) -> list[float]:
    out = []
    for r in rows:
        winner = r.get("winner")
        if winner not in _OUTCOME:
            raise HarnessError(f"battle of {which}: winner must be model_a, model_b or tie, got {winner!r}")
        if r.get("model_a") == baseline:
            out.append(_OUTCOME[winner])
        elif r.get("model_b") == baseline:
            out.append(1.0 - _OUTCOME[winner])
        else:
            raise HarnessError(f"battle of {which} does not involve the baseline {baseline!r}: "
                               f"{r.get('model_a')!r} vs {r.get('model_b')!r}")
    return out


def _check_battle_lists(lists: Sequence[Any], which: str) -> None:
    for rows in lists:
        if (isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Sequence)
                or not all(isinstance(r, Mapping) for r in rows)):
            raise HarnessError(f"bradley_terry values of {which} must be lists of battle rows (dicts) per question")


def _battle_arrays(lists: Sequence[Any], baseline: str, which: str) -> tuple[np.ndarray, np.ndarray]:
    q: list[int] = []
    y: list[float] = []
    for i, rows in enumerate(lists):
        scores = _model_scores(rows, baseline, which)
        q.extend([i] * len(scores))
        y.extend(scores)
    return np.asarray(q, dtype=np.int64), np.asarray(y, dtype=np.float64)


def _run(kind: str, va: list[Any], vb: list[Any], baseline: str | None, settings: dict[str, Any]) -> PairedResult:
    if kind == "bradley_terry":
        _check_battle_lists(va, "A")
        _check_battle_lists(vb, "B")
        base = baseline if baseline is not None else _infer_baseline([*va, *vb])
        qa, ya = _battle_arrays(va, base, "A")
        qb, yb = _battle_arrays(vb, base, "B")
        res = paired_bradley_terry(qa, ya, qb, yb, len(va), **settings)
        return dataclasses.replace(res, details={**res.details, "baseline": base})
    convert = _flags if kind == "mcnemar" else _numbers
    return PAIRED_TESTS[kind](convert(va, "A"), convert(vb, "B"), **settings)


def compare_items(kind: str, a: Mapping[Hashable, Any], b: Mapping[Hashable, Any], *,
                  rounds: int = DEFAULT_ROUNDS, seed: int = DEFAULT_SEED, confidence: float = DEFAULT_CONFIDENCE,
                  model_a: str = "A", model_b: str = "B", benchmark: str = "", metric: str = "",
                  baseline: str | None = None) -> Comparison:
    """Pair ``a`` and ``b`` by key and run the test of ``kind`` (see the module doc).

    ``baseline`` (bradley_terry only) names the baseline model of the battle rows; by default it is
    the one ``model_a`` every row names (how ``battles_from_games`` writes them). Raises
    :class:`HarnessError` for an unknown kind, bad values or no item in common."""
    if kind not in KINDS:
        raise HarnessError(f"unknown comparison kind {kind!r}; choose one of {', '.join(KINDS)}")
    check_settings(rounds, seed, confidence)
    paired, only_a, only_b = align(a, b)
    if not paired:
        raise HarnessError(f"{model_a} and {model_b} have no {benchmark or 'benchmark'} item in common "
                           f"({len(only_a)} vs {len(only_b)} items with a value)")
    settings = {"rounds": rounds, "seed": seed, "confidence": confidence}
    res = _run(kind, [a[k] for k in paired], [b[k] for k in paired], baseline, settings)
    notes = []
    if only_a or only_b:
        notes.append(f"{len(only_a) + len(only_b)} item(s) present for one model only are not in the comparison")
    if len(paired) < FEW_ITEMS:
        notes.append(f"only {len(paired)} paired items: CI and p-value are rough")
    return Comparison(
        kind=kind, method=res.method, estimate=res.estimate, ci_low=res.ci_low, ci_high=res.ci_high,
        p_value=res.p_value, n_paired=len(paired), n_only_a=len(only_a), n_only_b=len(only_b),
        rounds=res.rounds, seed=res.seed, confidence=res.confidence, benchmark=benchmark, metric=metric,
        model_a=model_a, model_b=model_b, a_value=res.a_value, b_value=res.b_value, statistic=res.statistic,
        only_a_examples=tuple(str(k) for k in only_a[:N_EXAMPLES]),
        only_b_examples=tuple(str(k) for k in only_b[:N_EXAMPLES]), note="; ".join(notes) or None,
        details=dict(res.details),
    )


def unavailable(kind: str, reason: str, *, rounds: int = DEFAULT_ROUNDS, seed: int = DEFAULT_SEED,
                confidence: float = DEFAULT_CONFIDENCE, model_a: str = "A", model_b: str = "B",
                benchmark: str = "", metric: str = "", n_only_a: int = 0, n_only_b: int = 0) -> Comparison:
    """A row for a comparison that cannot be made (e.g. LC without GLM weights): no Δ, CI or p,
    ``note`` says why. Holm skips it."""
    return Comparison(kind=kind, method="unavailable", estimate=None, ci_low=None, ci_high=None, p_value=None,
                      n_paired=0, n_only_a=n_only_a, n_only_b=n_only_b, rounds=rounds, seed=seed,
                      confidence=confidence, benchmark=benchmark, metric=metric, model_a=model_a,
                      model_b=model_b, note=reason)


def holm(results: Sequence[Comparison]) -> list[Comparison]:
    """The results with ``p_holm`` filled: Holm-Bonferroni over every result that has a p-value
    (the comparisons of one call form the family)."""
    adjusted = holm_adjust([r.p_value for r in results])
    return [dataclasses.replace(r, p_holm=p) for r, p in zip(results, adjusted, strict=True)]
