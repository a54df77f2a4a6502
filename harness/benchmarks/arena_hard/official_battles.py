"""show_result.py v0.1's battles file (``arena_hard_battles.jsonl``) back into judged games.

show_result.py writes, per judgment record, game 0's battle rows then game 1's: one row per
verdict (baseline as ``model_a``), three for a strong one, none for a game without a verdict.
So each (model, question) is a contiguous run of rows that splits into two games of 0, 1 or 3
identical rows. Where the split is not unique (1, 3 or 4 identical rows: e.g. A>B then B>>A, or
A>>B then B>A) both readings give the same battles, hence the same score; game 0 takes the first
valid split and the rows say so (``game_split: ambiguous``). The file names no judge: it is
show_result.py's default, gpt-4-1106-preview. Its verdicts are taken to be of the model's saved
answers, which must be imported with it (the file holds no judge prompt to check).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from harness.benchmarks.arena_hard import protocol
from harness.errors import HarnessError
from harness.importing.files import Located
from harness.importing.records import ReadOptions

LABELS = ("A>>B", "A>B", "A=B", "B>A", "B>>A")
WINNERS = ("model_a", "model_b", "tie")


def _label(winner: str, weight: int, game: int) -> str | None:
    return next((lab for lab in LABELS if protocol.game_battles(lab, game) == (winner, weight)), None)


def split_games(winners: list[str]) -> tuple[list[str | None], bool] | None:
    """(label of game 0, label of game 1; None = no verdict) and whether another split exists."""
    found = []
    for c0 in (1, 3, 0):
        parts = (winners[:c0], winners[c0:])
        labels = []
        for game, rows in enumerate(parts):
            if not rows:
                labels.append(None)
            elif len(rows) in (1, 3) and len(set(rows)) == 1 and _label(rows[0], len(rows), game):
                labels.append(_label(rows[0], len(rows), game))
            else:
                break
        else:
            found.append(labels)
    return (found[0], len(found) > 1) if found else None


def read_battles(f: Path, recs: list[Located], models: dict[str, Any], options: ReadOptions) -> None:
    """Add the games of a battles file to ``models`` (name -> official._Model)."""
    from harness.benchmarks.arena_hard.benchmark import answer_sha
    from harness.benchmarks.arena_hard.official import model_entry
    from harness.store.judgments import OPENAI_ENDPOINT

    for loc in recs:
        for field in ("question_id", "model_a", "model_b", "winner"):
            loc.ident(field, "a show_result.py battles file")
        if loc.rec["winner"] not in WINNERS:
            raise loc.error("winner", f"must be one of {', '.join(WINNERS)}, got {loc.rec['winner']!r}")
    seen: dict[tuple[str, str], str] = {}
    ambiguous: dict[str, int] = {}
    for (found, qid), group in itertools.groupby(recs, key=lambda r: (str(r.rec["model_b"]), str(r.rec["question_id"]))):
        rows = list(group)
        first = rows[0]
        if (found, qid) in seen:
            raise first.error("question_id", f"{qid} of {found!r} appears again after other rows (first at "
                              f"{seen[(found, qid)]}): not show_result.py's per-record order")
        seen[(found, qid)] = first.where
        baseline = str(first.rec["model_a"])
        if any(str(r.rec["model_a"]) != baseline for r in rows):
            raise first.error("model_a", "changes within one question's battles")
        split = split_games([str(r.rec["winner"]) for r in rows])
        if split is None:
            raise first.error("winner", f"the {len(rows)} rows of question {qid} do not split into two games of "
                              "0, 1 or 3 identical verdicts (show_result.py v0.1)")
        m = model_entry(models, found, str(f), options)
        if qid in m.judged_by:
            raise first.error("question_id", f"{qid} of {m.builder.model!r} is also judged at {m.judged_by[qid]}")
        if qid not in m.saved:
            raise first.error("model_b", f"battles of {m.builder.model!r} need its answers (model_answer/"
                              f"{found}.jsonl among the imported files): no answer to question {qid}")
        m.judged_by[qid] = first.origin
        labels, other = split
        ambiguous[m.builder.model] = ambiguous.get(m.builder.model, 0) + int(other)
        m.builder.source(f)
        m.builder.judge = {"model": protocol.JUDGE_MODEL, "endpoint": OPENAI_ENDPOINT, "baseline": baseline,
                           "source_files": [str(f)],
                           "note": "a battles file names no judge: show_result.py v0.1's default judge"}
        for gi, label in enumerate(labels):
            m.builder.checks.skip("the record carries no judge prompt")
            m.builder.annotations.append({
                "item_id": qid, "game": gi, "model": m.builder.model, "judge_model": protocol.JUDGE_MODEL,
                "judge_endpoint": OPENAI_ENDPOINT, "baseline_model": baseline,
                "answer_sha256": answer_sha(m.saved[qid][0]), "baseline_sha256": None, "user_prompt": None,
                "judgment": None, "score": label, "attempts": None, "error": None, "cached": False,
                "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": None,
                "game_split": "ambiguous" if other else "unique", "source_file": str(f),
                "source_index": 2 * first.index + gi, "source": first.origin})
    for model, n in ambiguous.items():
        if n:
            models[model].builder.notes.append(
                f"{n} question(s) of the battles file split between the two games in more than one way (same "
                "battles, same score either way): game 0 took the first split; rows marked game_split=ambiguous")
    if not seen:
        raise HarnessError(f"{f}: no battles")
