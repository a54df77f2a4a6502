"""MT-Bench for ``judge-agreement``: published single-answer gradings re-judged with the same prompts.

Units are graded turns: FastChat's ``model_judgment/<judge>_single.jsonl(.gz)`` (``user_prompt`` is
the exact prompt FastChat sent, ``judge`` = [judge model, prompt name] names the system prompt) or a
results directory's ``annotations.jsonl`` (the judgments its score used). The published verdict is
this benchmark's ``protocol.parse_rating`` of the stored judgment (a -1, no rating, is left out).
The new judge gets the same system and user prompt through the benchmark's request
(``protocol.judge_request``: temperature 0, max_tokens 2048 unless the preset says otherwise) and
its answer is parsed with the same ``parse_rating``.

Labels: the rating (1-10). Collapsed: ratings within one point of each other (not by labels, so no
collapsed kappa). Score: the rating.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.agreement.base import (
    NATIVE_FILE,
    AgreementProtocol,
    NewVerdict,
    RawOutput,
    Unit,
    input_sha,
    is_missing,
)
from harness.benchmarks.base import JudgeOptions, scored_judge
from harness.benchmarks.mt_bench import protocol
from harness.judges.base import JudgeClient, JudgeRequest, judge_chunk
from harness.store.jsonl import read_records

WITHIN = 1.0


def _rows(path: Path) -> list[dict[str, Any]]:
    """Gradings as (item_id, turn, model, prompt_name, user_prompt, judgment, judge) dicts."""
    if path.name == NATIVE_FILE:
        from harness.benchmarks.mt_bench.benchmark import MTBench

        _, sel = MTBench().judgments(path.parent, scored_judge(path.parent))
        return [{"item_id": str(r["item_id"]), "turn": int(r["turn"]), "model": str(r.get("model") or ""),
                 "prompt": r.get("judge_prompt"), "user_prompt": r.get("user_prompt"), "judgment": r.get("judgment"),
                 "judge": r.get("judge_model")} for r in sel.judgments]
    out = []
    for rec in read_records(path, what="FastChat judgments"):
        judge = rec.get("judge")
        if not (isinstance(judge, list) and len(judge) == 2):
            continue
        out.append({"item_id": str(rec.get("question_id")), "turn": int(rec.get("turn") or 1),
                    "model": str(rec.get("model") or ""), "prompt": judge[1], "user_prompt": rec.get("user_prompt"),
                    "judgment": rec.get("judgment"), "judge": judge[0]})
    return out


def _number(value: Any) -> float | None:
    return None if isinstance(value, bool) or not isinstance(value, (int, float)) or value == -1 else float(value)


class MTBenchAgreement(AgreementProtocol):
    benchmark = "mt_bench"
    kind = "rating"
    collapsed = f"ratings within {WITHIN:g} point of each other"
    score_means = "the rating (1-10)"
    patterns = ("**/model_judgment/*_single.jsonl", "**/model_judgment/*_single.jsonl.gz", f"**/mt_bench/{NATIVE_FILE}")

    def load(self, path: Path) -> list[Unit]:
        units = []
        for r in _rows(path):
            prompt = protocol.PROMPTS.get(str(r["prompt"]))
            if prompt is None or not isinstance(r["user_prompt"], str) or not isinstance(r["judgment"], str):
                continue
            rating = _number(protocol.parse_rating(r["judgment"]))
            if rating is None or not math.isfinite(rating):
                continue
            model = r["model"] or path.parent.name
            units.append(Unit(
                key=f"{model}|{r['item_id']}|t{r['turn']}", model=model, item_id=r["item_id"],
                input_sha=input_sha(prompt.system_prompt, r["user_prompt"]), published=rating,
                raw=RawOutput(content=r["judgment"]), source=str(path), judge=str(r["judge"] or protocol.JUDGE_MODEL),
                fields={"prompt": prompt.name, "user_prompt": r["user_prompt"], "turn": r["turn"]}))
        return units

    def requests(self, units: Sequence[Unit], options: JudgeOptions) -> list[JudgeRequest]:
        model = options.judge_model or protocol.JUDGE_MODEL
        max_tokens = int(options.max_tokens or protocol.MAX_TOKENS)
        return [protocol.judge_request(protocol.judge_messages(protocol.PROMPTS[u.fields["prompt"]],
                                                               u.fields["user_prompt"]), model, max_tokens)
                for u in units]

    def judge(self, client: JudgeClient, units: Sequence[Unit], options: JudgeOptions) -> list[NewVerdict]:
        reqs = self.requests(units, options)
        out: list[NewVerdict] = []
        step = judge_chunk(client, self.chunk)
        for start in range(0, len(reqs), step):
            for resp in client.complete_many(reqs[start:start + step]):
                if resp.content is None:
                    out.append(NewVerdict(value=None, error=resp.error or "judge call failed"))
                else:
                    out.append(NewVerdict(value=_number(protocol.parse_rating(resp.content)), cached=resp.cached))
        return out

    def label(self, verdict: Any) -> str | None:
        if is_missing(verdict):
            return None
        return f"{float(verdict):g}"

    def collapse(self, label: str) -> str | None:
        return None

    def agree_collapsed(self, a: str | None, b: str | None) -> bool:
        try:
            return a is not None and b is not None and abs(float(a) - float(b)) <= WITHIN
        except ValueError:  # "none": no rating
            return False

    def score(self, unit: Unit, verdict: Any) -> float:
        return math.nan if is_missing(verdict) else float(verdict)


PROTOCOL = MTBenchAgreement()
