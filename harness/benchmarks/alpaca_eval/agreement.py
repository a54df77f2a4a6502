"""AlpacaEval 2 for ``judge-agreement``: published annotations re-judged with the same protocol.

Units are annotation rows (one per instruction and model): alpaca_eval's ``*.annotations.json(.gz)``
and ``results/<model>/weighted_alpaca_eval_gpt4_turbo/annotations.json(.gz)``, or a results
directory's ``annotations.jsonl`` (the judgments its score used). The published verdict is read
with this benchmark's parser: the preference from the stored ``raw_completion`` logprobs
(:func:`protocol.preference_for`, the alpaca_eval logprob parser and the position switch), else the
stored ``preference`` (files without raw completions). Rows of identical outputs (a draw without a
call) and rows without a preference are left out. The new judge gets the same prompt through the
benchmark's own judging (``judge_pending``: the request, the switch, the logprob parser).

Labels: ``model`` (preference > 1.5), ``reference`` (< 1.5), ``tie`` (1.5); AlpacaEval's verdict is
already a winner, so the collapsed comparison equals the exact one. Score: ``100 * (preference - 1)``,
the win-rate contribution of the unit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
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
from harness.benchmarks.alpaca_eval import protocol
from harness.benchmarks.base import BenchmarkItem, JudgeOptions, scored_judge
from harness.judges.base import JudgeClient, JudgeRequest
from harness.store.jsonl import read_jsonl, read_records


def _native_rows(path: Path) -> list[dict[str, Any]]:
    """The judgments a results directory's score used (its scored judge; latest successful row)."""
    from harness.store import select_judgments

    opts = scored_judge(path.parent)
    sel = select_judgments(read_jsonl(path), unit=lambda r: (r["instruction"],),
                           failed=lambda r: r.get("error") is not None,
                           judge_model=opts.judge_model, judge_endpoint=opts.judge_endpoint, source=str(path))
    return sel.judgments


def _published(row: dict[str, Any]) -> tuple[float, RawOutput | None]:
    raw = row.get("raw_completion")
    top = protocol.top_logprobs_from_raw(raw)
    if top:
        text = raw.get("text") or ((raw.get("message") or {}).get("content")) or ""
        return protocol.preference_for(row["instruction"], row["output_1"], row["output_2"], top), \
            RawOutput(content=str(text), top_logprobs=top)
    value = row.get("preference")
    try:
        return (math.nan if value is None else float(value)), None
    except (TypeError, ValueError):
        return math.nan, None


class AlpacaEvalAgreement(AgreementProtocol):
    benchmark = "alpaca_eval"
    kind = "pairwise"
    collapsed = "the winner; AlpacaEval's verdict is one already, so equal to exact"
    score_means = "100 * (preference - 1): the win rate of the judged model against the reference"
    patterns = ("**/*.annotations.json", "**/*.annotations.json.gz",
                f"**/{protocol.ANNOTATOR}/annotations.json", f"**/{protocol.ANNOTATOR}/annotations.json.gz",
                f"**/alpaca_eval/{NATIVE_FILE}")
    chunk = 256

    def load(self, path: Path) -> list[Unit]:
        native = path.name == NATIVE_FILE
        rows = _native_rows(path) if native else read_records(path, what="AlpacaEval annotations")
        units = []
        for row in rows:
            if not all(isinstance(row.get(k), str) for k in ("instruction", "output_1", "output_2")):
                continue
            if row["output_1"] == row["output_2"] or row.get("judge_call") is False:
                continue  # a draw without a judge call
            if row.get("annotator") not in (None, protocol.ANNOTATOR):
                continue
            pref, raw = _published(row)
            if math.isnan(pref):
                continue
            model = str(row.get("generator_2") or path.parent.name)
            sha = input_sha(row["instruction"], row["output_1"], row["output_2"])
            units.append(Unit(
                key=f"{model}|{sha[:12]}", model=model, item_id=str(row.get("item_id") or sha[:12]), input_sha=sha,
                published=pref, raw=raw, source=str(path),
                judge=str(row.get("judge_model") or protocol.DEFAULT_JUDGE_MODEL) if native else protocol.DEFAULT_JUDGE_MODEL,
                fields={"instruction": row["instruction"], "output_1": row["output_1"], "output_2": row["output_2"]}))
        return units

    def requests(self, units: Sequence[Unit], options: JudgeOptions) -> list[JudgeRequest]:
        model = options.judge_model or protocol.DEFAULT_JUDGE_MODEL
        return [protocol.judge_request(u.fields["instruction"], u.fields["output_1"], u.fields["output_2"], model)[0]
                for u in units]

    def judge(self, client: JudgeClient, units: Sequence[Unit], options: JudgeOptions) -> list[NewVerdict]:
        from harness.benchmarks.alpaca_eval.benchmark import judge_pending
        from harness.store import JudgeId

        judge = JudgeId(options.judge_model or protocol.DEFAULT_JUDGE_MODEL, client.endpoint)
        items = [BenchmarkItem(item_id=u.key, turns=(u.fields["instruction"],), reference=u.fields["output_1"])
                 for u in units]
        answers = {u.key: SimpleNamespace(output=u.fields["output_2"], model=u.model) for u in units}
        rows: dict[str, dict[str, Any]] = {}
        judge_pending(client, items, answers, judge, lambda row: rows.__setitem__(row["item_id"], row), self.chunk)
        return [NewVerdict(value=rows[u.key]["preference"], error=rows[u.key].get("error"),
                           cached=bool(rows[u.key].get("cached"))) for u in units]

    def label(self, verdict: Any) -> str | None:
        if is_missing(verdict):
            return None
        return "model" if verdict > 1.5 else "reference" if verdict < 1.5 else "tie"

    def score(self, unit: Unit, verdict: Any) -> float:
        return math.nan if is_missing(verdict) else 100.0 * (float(verdict) - 1.0)


PROTOCOL = AlpacaEvalAgreement()
