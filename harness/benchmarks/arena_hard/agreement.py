"""Arena-Hard v0.1 for ``judge-agreement``: published games re-judged with the same protocol.

Units are games (two per question and model): arena-hard-auto's judgment files
(``model_judgment/<judge>/<model>.jsonl``, ``games[].user_prompt`` is the exact prompt the
official tool sent) or a results directory's ``annotations.jsonl`` (the judgments its score used).
The published verdict is this benchmark's ``protocol.get_score`` label of the stored judgment text
(the official five labels; a game without one is left out). The new judge gets the same system
prompt and user prompt through the benchmark's two-attempt game judging (``_judge_games``: a second
call only when the first answer has no label).

Labels are positional (``A`` is the baseline in game 0, the model in game 1), which is what both
judges saw. Collapsed: the winner only (``A>>B`` and ``A>B`` are ``A``, ``A=B`` a tie). Score: the
judged model's outcome in the game, 100 (win) / 50 (tie) / 0 (loss), strength not weighted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.agreement.base import NATIVE_FILE, AgreementProtocol, NewVerdict, RawOutput, Unit, input_sha
from harness.benchmarks.arena_hard import protocol
from harness.benchmarks.base import JudgeOptions, scored_judge
from harness.judges.base import JudgeClient, JudgeRequest, judge_chunk
from harness.store.jsonl import read_records

_WINNER = {"A>>B": "A", "A>B": "A", "A=B": "tie", "B>A": "B", "B>>A": "B"}
_MODEL_SCORE = {"model_b": 100.0, "tie": 50.0, "model_a": 0.0}  # battles are baseline (model_a) vs model


def _games(path: Path) -> list[dict[str, Any]]:
    """Games as (item_id, game, model, user_prompt, judgment, judge) dicts, from either file kind."""
    if path.name == NATIVE_FILE:
        from harness.benchmarks.arena_hard.benchmark import ArenaHard

        _, sel = ArenaHard().judgments(path.parent, scored_judge(path.parent))
        return [{"item_id": str(r["item_id"]), "game": int(r["game"]), "model": str(r.get("model") or ""),
                 "user_prompt": r.get("user_prompt"), "judgment": r.get("judgment"),
                 "judge": r.get("judge_model")} for r in sel.judgments]
    games = []
    for rec in read_records(path, what="Arena-Hard judgments"):
        for gi, game in enumerate(rec.get("games") or []):
            if isinstance(game, dict):
                games.append({"item_id": str(rec.get("question_id")), "game": gi, "model": str(rec.get("model") or ""),
                              "user_prompt": game.get("user_prompt"), "judgment": game.get("judgment"),
                              "judge": rec.get("judge")})
    return games


class ArenaHardAgreement(AgreementProtocol):
    benchmark = "arena_hard"
    kind = "pairwise"
    collapsed = "the winner (A, B or a tie; 'slightly' and 'significantly' better merged)"
    score_means = "the judged model's outcome per game: 100 win, 50 tie, 0 loss (strength not weighted)"
    patterns = ("**/model_judgment/*/*.jsonl", "**/model_judgment/*/*.jsonl.gz", f"**/arena_hard/{NATIVE_FILE}")

    def load(self, path: Path) -> list[Unit]:
        units = []
        for g in _games(path):
            prompt, judgment = g["user_prompt"], g["judgment"]
            if not isinstance(prompt, str) or not isinstance(judgment, str):
                continue
            label, _ = protocol.get_score(judgment)
            if label not in _WINNER:
                continue  # no verdict: the official scoring drops the game too
            model = g["model"] or path.stem
            # the stored text is the attempts joined, each after a "\n": a replay answers it without the first
            raw = RawOutput(content=judgment[1:] if judgment.startswith("\n") else judgment)
            units.append(Unit(
                key=f"{model}|{g['item_id']}|g{g['game']}", model=model, item_id=g["item_id"],
                input_sha=input_sha(protocol.SYSTEM_PROMPT, prompt), published=label, raw=raw, source=str(path),
                judge=str(g["judge"] or protocol.JUDGE_MODEL), fields={"user_prompt": prompt, "game": g["game"]}))
        return units

    @staticmethod
    def _messages(unit: Unit) -> list[dict[str, str]]:
        return [{"role": "system", "content": protocol.SYSTEM_PROMPT},
                {"role": "user", "content": unit.fields["user_prompt"]}]

    def requests(self, units: Sequence[Unit], options: JudgeOptions) -> list[JudgeRequest]:
        model = options.judge_model or protocol.JUDGE_MODEL
        return [protocol.judge_request(self._messages(u), model, int(options.max_tokens or protocol.MAX_TOKENS))
                for u in units]

    def judge(self, client: JudgeClient, units: Sequence[Unit], options: JudgeOptions) -> list[NewVerdict]:
        from harness.benchmarks.arena_hard.benchmark import _judge_games

        model = options.judge_model or protocol.JUDGE_MODEL
        max_tokens = int(options.max_tokens or protocol.MAX_TOKENS)
        pending = [({"item_id": u.key}, self._messages(u)) for u in units]
        rows: list[dict[str, Any]] = []
        step = judge_chunk(client, self.chunk)
        for start in range(0, len(pending), step):
            rows += _judge_games(client, pending[start:start + step], model, max_tokens)
        return [NewVerdict(value=r["score"], error=r["error"] if r["score"] is None else None,
                           cached=bool(r.get("cached"))) for r in rows]

    def label(self, verdict: Any) -> str | None:
        return verdict if verdict in _WINNER else None

    def collapse(self, label: str) -> str | None:
        return _WINNER.get(label, label)

    def score(self, unit: Unit, verdict: Any) -> float:
        res = protocol.game_battles(verdict, int(unit.fields["game"]))
        return math.nan if res is None else _MODEL_SCORE[res[0]]


PROTOCOL = ArenaHardAgreement()
