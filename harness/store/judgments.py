"""Judgment records (``annotations.jsonl``): who judged, and which judgments a score may use.

Every judged benchmark appends one row per judged unit (an AlpacaEval instruction, an
Arena-Hard game, an MT-Bench turn) and appends again when a unit is retried or re-judged, so
the file is a log. :func:`select_judgments` is the one place that turns the log into the
judgments a score uses:

- **one judge at a time**: a judge is its model id *and* its endpoint (:class:`JudgeId`); rows of
  several judges are never blended. Without a choice, the single judge with successful judgments
  is used; with several, the caller must pick one (the error lists them);
- **current answers only**: a judgment of an answer that is no longer the current generation
  (re-generated, other decoding) is stale and never scored;
- the **latest** successful row per unit wins; units whose attempts all failed are counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.errors import HarnessError, IncompleteError

OPENAI_ENDPOINT = "https://api.openai.com/v1"
Row = dict[str, Any]


@dataclass(frozen=True, order=True)
class JudgeId:
    """A judge: the model id sent and the endpoint (base URL, or a stable label such as
    ``embedded:<model>``); ``endpoint`` None for rows written before endpoints were recorded."""

    model: str
    endpoint: str | None = None

    @classmethod
    def of(cls, row: Row) -> JudgeId:
        return cls(str(row.get("judge_model") or row.get("annotator") or "unknown"), row.get("judge_endpoint"))

    def label(self) -> str:
        return f"{self.model} @ {self.endpoint or 'endpoint not recorded'}"

    def matches(self, model: str | None, endpoint: str | None) -> bool:
        return (model is None or self.model == model) and (endpoint is None or self.endpoint == endpoint)


@dataclass
class JudgmentSelection:
    """What a score may use: ``judgments`` (latest successful row per unit, one judge, current
    answers), that judge, and the counts a score reports."""

    judgments: list[Row]
    judge: JudgeId | None
    judges_present: dict[JudgeId, int] = field(default_factory=dict)
    n_failed: int = 0  # units of current answers whose every attempt by this judge failed
    n_stale: int = 0  # units judged only on answers that are not the current generations
    errors: list[str] = field(default_factory=list)  # a sample of the failures' messages


def _pick_judge(successes: Counter, model: str | None, endpoint: str | None, source: str) -> JudgeId | None:
    candidates = [j for j in successes if j.matches(model, endpoint)]
    if len(candidates) > 1:
        present = "; ".join(f"{j.label()}: {successes[j]} judgments" for j in sorted(candidates))
        raise HarnessError(f"{source} holds judgments by {len(candidates)} judges ({present}); scores never mix "
                           "judges: pick one with --judge-model (and --judge-base-url)")
    return candidates[0] if candidates else None


def select_judgments(rows: Iterable[Row], *, unit: Callable[[Row], tuple], failed: Callable[[Row], bool],
                     current: Callable[[Row], bool] | None = None, judge_model: str | None = None,
                     judge_endpoint: str | None = None, source: str = "annotations") -> JudgmentSelection:
    """Select the usable judgments of one judge from a judgment log (see the module docstring)."""
    rows = list(rows)
    stale_units: set[tuple] = set()
    live: list[Row] = []
    for r in rows:
        if current is not None and not current(r):
            stale_units.add(unit(r))
        else:
            live.append(r)
    # a unit settled without a call (AlpacaEval's identical outputs) says nothing about who judges
    successes = Counter(JudgeId.of(r) for r in live if not failed(r) and r.get("judge_call", True))
    judge = _pick_judge(successes, judge_model, judge_endpoint, source)
    chosen = judge_model is not None or judge_endpoint is not None
    if judge is None and chosen:  # nothing succeeded for the chosen judge: its failures, if any, count
        mine = [r for r in live if JudgeId.of(r).matches(judge_model, judge_endpoint)]
        if not mine and rows:
            present = ", ".join(f"{j.label()} ({n})" for j, n in sorted(successes.items())) or "none succeeded"
            raise HarnessError(f"{source}: no judgments by {judge_model or 'any model'}"
                               f"{' @ ' + judge_endpoint if judge_endpoint else ''}; judges present: {present}")
        judge = JudgeId.of(mine[0]) if mine else JudgeId(judge_model or "unknown", judge_endpoint)
    mine = [r for r in live if judge is None or JudgeId.of(r) == judge]
    latest: dict[tuple, Row] = {}
    attempted: dict[tuple, Row] = {}
    for r in mine:
        attempted[unit(r)] = r
        if not failed(r):
            latest[unit(r)] = r
    failed_units = [u for u in attempted if u not in latest]
    errors = [str(attempted[u].get("error") or "judge call failed") for u in failed_units[:3]]
    return JudgmentSelection(
        judgments=list(latest.values()), judge=judge, judges_present=dict(successes),
        n_failed=len(failed_units), n_stale=len(stale_units - set(latest) - set(attempted)), errors=errors)


class AllJudgmentsFailed(IncompleteError):
    """No judgment of the current answers succeeded: nothing to score, but a rerun retries them."""

    def __init__(self, n_failed: int, errors: list[str], source: str) -> None:
        first = errors[0] if errors else "judge call failed"
        super().__init__(f"{n_failed} judge call{'s' if n_failed != 1 else ''} failed ({source}): {first}; "
                         "rerun to retry only those")
        self.n_failed = n_failed
        self.errors = errors


def failed_calls_error(n_failed: int, errors: list[str], source: str) -> AllJudgmentsFailed:
    """'N judge calls failed: <first error>' for a run where no judgment succeeded."""
    return AllJudgmentsFailed(n_failed, errors, source)
