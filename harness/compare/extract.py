"""Per-item values for :func:`harness.compare.compare_items`, from the rows a run directory holds.

Each function takes plain rows (dicts, as read from the run's JSONL files or from the official
tools' files) and returns ``{item key: value}``; an item without a usable value is left out, and
``compare_items`` then counts it as present for the other model only.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from harness.errors import HarnessError


def alpaca_eval_values(rows: Iterable[Mapping[str, Any]], source: str = "annotations") -> dict[str, float]:
    """AlpacaEval annotation rows (``instruction``, ``preference``) -> {instruction: 100 * (preference - 1)}.

    The mean of the values is the win rate (alpaca-eval 0.6.2's ``get_winrate``). A preference is
    read as alpaca-eval reads it (numbers or numeric strings); null / NaN means "not annotated" and
    the instruction is left out; the legacy draw value 0 counts as a draw (50). A later row for the
    same instruction replaces an earlier one (a retried failure replaces its NaN row)."""
    from harness.benchmarks.alpaca_eval.scoring import preference_value

    latest: dict[str, float] = {}
    for i, r in enumerate(rows):
        instruction = r.get("instruction")
        if not isinstance(instruction, str):
            raise HarnessError(f"{source}: row {i}: field 'instruction' must be a string, got {instruction!r}"[:200])
        pref = preference_value(r.get("preference"), f"{source}: row {i}")
        latest[instruction] = math.nan if math.isnan(pref) else (50.0 if pref == 0 else 100.0 * (pref - 1.0))
    return {k: v for k, v in latest.items() if not math.isnan(v)}


def arena_hard_battles(games: Iterable[Mapping[str, Any]], baseline: str | None = None,
                       source: str = "judgments") -> dict[str, list[dict[str, Any]]]:
    """Judged Arena-Hard games (``item_id``, ``game``, ``score`` label, ``model``) -> {question: battle rows}.

    Battle rows are ``protocol.battles_from_games``'s (baseline as model_a, strong verdicts three
    times). A question whose games all lack a valid verdict keeps an empty list: it was judged, it
    just contributes no battle (as in the official score). Pass the games that count (for a run,
    ``latest_games`` of its annotations)."""
    from harness.benchmarks.arena_hard import protocol

    base = baseline or protocol.BASELINE_MODEL
    games = list(games)
    models = {g.get("model") for g in games}
    if len(models) > 1:
        raise HarnessError(f"{source}: games of several models {sorted(map(str, models))}; compare one model per side")
    out: dict[str, list[dict[str, Any]]] = {}
    for i, g in enumerate(games):
        if "item_id" not in g or g.get("game") not in (0, 1, "0", "1"):
            raise HarnessError(f"{source}: game {i} needs item_id and game 0 or 1, got {dict(g)!r}"[:200])
        qid = str(g["item_id"])
        out.setdefault(qid, []).extend(
            protocol.battles_from_games([{**g, "item_id": qid, "game": int(g["game"])}], base))
    return out


def mt_bench_scores(judgments: Iterable[Mapping[str, Any]], source: str = "judgments") -> dict[tuple[str, int], float]:
    """MT-Bench single-grade judgments (``item_id`` or ``question_id``, ``turn``, ``score``) ->
    {(question, turn): score}.

    Score -1 (unparsed) and null are left out, as FastChat's show_result drops them; several valid
    grades of one (question, turn), e.g. a model judged twice, are averaged."""
    grades: dict[tuple[str, int], list[float]] = defaultdict(list)
    for i, j in enumerate(judgments):
        qid = j.get("item_id", j.get("question_id"))
        turn, score = j.get("turn"), j.get("score")
        if qid is None or isinstance(turn, bool) or not isinstance(turn, int):
            raise HarnessError(f"{source}: judgment {i} needs a question id and an integer turn"[:200])
        if score is None or score == -1:
            continue
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
            raise HarnessError(f"{source}: question {qid} turn {turn}: score must be a number (-1 when unparsed), "
                               f"got {score!r}"[:200])
        grades[(str(qid), turn)].append(float(score))
    return {k: sum(v) / len(v) for k, v in grades.items()}


def zeroeval_correct(rows: Iterable[Mapping[str, Any]], source: str = "parsed rows") -> dict[str, bool]:
    """ZeroEval parsed rows (``id``, ``matched``) -> {id: correct}.

    An unparsed answer is wrong (``matched`` false), as in the score; a row marked ``missing`` (no
    generation for that item) is left out, so the item counts as present for the other model only.
    A later row for the same id replaces an earlier one."""
    out: dict[str, bool] = {}
    for i, r in enumerate(rows):
        if "id" not in r:
            raise HarnessError(f"{source}: row {i} has no 'id'")
        if r.get("missing"):
            out.pop(str(r["id"]), None)
            continue
        matched = r.get("matched")
        if not isinstance(matched, bool):
            raise HarnessError(f"{source}: row {i} (id {r['id']!r}): 'matched' must be true or false, got {matched!r}")
        out[str(r["id"])] = matched
    return out
