"""GSM8K 5-shot the lm-evaluation-harness way (the SimPO paper's appendix variant).

Matched against EleutherAI/lm-evaluation-harness ``lm_eval/tasks/gsm8k/gsm8k.yaml`` (task
version 3.0) and ``lm_eval/api/samplers.py``:

* prompt ``"Question: {question}\\nAnswer:"``; each of the 5 shots is followed by ``" "`` (target
  delimiter), its full GSM8K answer (rationale + ``#### N``) and ``"\\n\\n"`` (fewshot delimiter);
* shots drawn from the train split by ``ContextSampler``: one ``random.Random(1234)`` (lm-eval's
  default ``fewshot_random_seed``) shared by all test docs in order, ``rnd.sample(train, 5)``
  per doc -- so doc ``i`` gets the same shots whatever ``--limit`` is;
* generation stops at ``"Question:"``, ``"</s>"`` or ``"<|im_end|>"``, greedy, lm-eval's default
  ``max_gen_toks`` 256 (see ``recommended_max_new_tokens``);
* **primary metric: strict-match** -- regex ``#### (\\-?[0-9\\.\\,]+)``, first match, else
  ``"[invalid]"``; then ``exact_match`` with ``ignore_case`` and ``regexes_to_ignore``
  ``[",", "\\$", "(?s).*#### ", "\\.$"]`` against the full reference answer. ``flexible-extract``
  (last match of ``(-?[$0-9.,]{2,})|(-?[0-9]+)``) is reported beside it.

Stop strings are applied when scoring (the text before the first stop string), which for
greedy decoding gives the same text as stopping during generation. The prompt is one user turn
rendered with the model's chat template, as lm-eval's ``--apply_chat_template`` does (without
``--fewshot_as_multiturn``). Scores go to ``metrics.gsm`` of this benchmark's own run directory
(``results/<model>/gsm8k_lmeval``) with ``details.protocol`` naming the variant, so they never mix
with the ZeroEval ``gsm8k`` numbers.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from harness.benchmarks.base import Benchmark, BenchmarkItem, PairedValues, ScoreOptions, completeness
from harness.benchmarks.gsm8k_lmeval.spec import SPEC
from harness.benchmarks.zeroeval import data
from harness.benchmarks.zeroeval.benchmark import PARSED_FILE, load_run
from harness.errors import HarnessError
from harness.manifest import base_manifest
from harness.store.jsonl import write_jsonl_atomic

NUM_FEWSHOT = 5
FEWSHOT_SEED = 1234
TARGET_DELIMITER = " "
FEWSHOT_DELIMITER = "\n\n"
UNTIL = ("Question:", "</s>", "<|im_end|>")
STRICT_REGEX = re.compile(r"#### (\-?[0-9\.\,]+)")
FLEXIBLE_REGEX = re.compile(r"(-?[$0-9.,]{2,})|(-?[0-9]+)")
REGEXES_TO_IGNORE = (",", "\\$", "(?s).*#### ", "\\.$")
FALLBACK = "[invalid]"
PROTOCOL = "lm-eval gsm8k v3.0, 5-shot, strict-match"

if TYPE_CHECKING:
    from harness.benchmarks.spec import BenchmarkSpec


def doc_to_text(question: str) -> str:
    return f"Question: {question}\nAnswer:"


def fewshot_prompt(question: str, shots: list[dict[str, Any]]) -> str:
    context = "".join(doc_to_text(s["question"]) + TARGET_DELIMITER + s["raw_answer"] + FEWSHOT_DELIMITER
                      for s in shots)
    return context + doc_to_text(question)


def sample_shots(n_docs: int, train: list[dict[str, Any]], k: int = NUM_FEWSHOT,
                 seed: int = FEWSHOT_SEED) -> list[list[int]]:
    """Train indices of the shots of each test doc, in doc order (one RNG for all docs).

    ``random.sample`` picks positions from ``len(population)`` alone, so sampling indices equals
    lm-eval's ``rnd.sample(train_dataset, k)``.
    """
    if len(train) < k:
        raise HarnessError(f"GSM8K train split has {len(train)} items; {k}-shot needs at least {k}")
    rnd = random.Random(seed)
    return [rnd.sample(range(len(train)), k) for _ in range(n_docs)]


def truncate_at_stop(text: str, until: tuple[str, ...] = UNTIL) -> str:
    """lm-eval's post-processing: the text before the first occurrence of any stop string."""
    for term in until:
        if term:
            text = text.split(term)[0]
    return text


def regex_filter(response: str, regex: re.Pattern[str], group_select: int = 0) -> str:
    """lm-eval's ``RegexFilter`` followed by ``take_first`` for one response."""
    matches = regex.findall(response)
    if not matches:
        return FALLBACK
    match = matches[group_select]
    if isinstance(match, tuple):
        nonempty = [m for m in match if m]
        match = nonempty[0] if nonempty else FALLBACK
    return match.strip()


def normalize(text: str) -> str:
    """``exact_match``'s ``regexes_to_ignore`` (in order) then ``ignore_case``."""
    for pattern in REGEXES_TO_IGNORE:
        text = re.sub(pattern, "", text)
    return text.lower()


def exact_match(prediction: str, reference: str) -> bool:
    return normalize(prediction) == normalize(reference)


def reference_answer(raw_answer: str) -> str:
    """The reference lm-eval compares with: the full answer (a bare number when only that is known)."""
    return raw_answer if "####" in raw_answer else "#### " + raw_answer.replace("#", "").strip()


class GSM8KLmEval(Benchmark):
    """lm-eval's GSM8K; its spec caps generation at lm-eval's default max_gen_toks (256)."""

    spec: ClassVar[BenchmarkSpec] = SPEC

    def load_items(self, data_dir: Path | None = None, limit: int | None = None) -> list[BenchmarkItem]:
        if limit is not None and limit < 1:
            raise HarnessError("--limit must be >= 1")
        data_dir = Path(data_dir) if data_dir else self.data_dir
        test, source = data.load_gsm8k(data_dir, "test")
        train, train_source = data.load_gsm8k(data_dir, "train")
        shots = sample_shots(len(test), train)
        n = len(test) if limit is None else min(limit, len(test))
        return [
            BenchmarkItem(
                item_id=row["id"],
                turns=(fewshot_prompt(row["question"], [train[j] for j in shots[i]]),),
                reference=reference_answer(row["raw_answer"]),
                metadata={"source": source, "fewshot_source": train_source, "fewshot_ids": [train[j]["id"] for j in shots[i]]},
            )
            for i, row in enumerate(test[:n])
        ]

    def _gold(self, item: BenchmarkItem) -> dict[str, Any]:
        return {"id": item.item_id, "gold": item.reference}

    def paired_values(self, run_dir: Path, options: ScoreOptions) -> list[PairedValues]:
        """Per-item strict-match correctness (the scored metric) from the parsed.jsonl the score wrote."""
        from harness.benchmarks.zeroeval.paired import item_correctness, parsed_rows

        values = item_correctness(parsed_rows(run_dir), str(Path(run_dir) / PARSED_FILE), field="strict_match")
        return [PairedValues(metric=SPEC.metrics[0].key, kind=SPEC.paired_test or "mcnemar", values=values)]

    def score(self, run_dir: Path, options: ScoreOptions) -> dict[str, Any]:
        run = load_run(self, Path(run_dir), options.data_dir)
        rows: list[dict[str, Any]] = []
        n_strict = n_flex = n_invalid = n_missing = 0
        lengths: list[int] = []
        for g in run.gold:
            rec = run.outputs.get(g["id"])
            if rec is None:
                n_missing += 1
                rows.append({"id": g["id"], "missing": True, "strict_match": False, "flexible_match": False})
                continue
            response = truncate_at_stop(rec.output)
            strict = regex_filter(response, STRICT_REGEX)
            flexible = regex_filter(response, FLEXIBLE_REGEX, group_select=-1)
            s_ok, f_ok = exact_match(strict, g["gold"]), exact_match(flexible, g["gold"])
            n_strict += s_ok
            n_flex += f_ok
            n_invalid += strict == FALLBACK
            lengths.append(len(response))
            rows.append({"id": g["id"], "strict": strict, "flexible": flexible, "gold": normalize(g["gold"]),
                         "strict_match": s_ok, "flexible_match": f_ok})
        write_jsonl_atomic(run.path / PARSED_FILE, rows)
        n_total = len(run.gold)
        details = {
            "protocol": PROTOCOL, "accuracy": 100.0 * n_strict / n_total, "flexible_extract": 100.0 * n_flex / n_total,
            "n_correct": n_strict, "n_parsed": n_total - n_missing - n_invalid, "n_parse_failures": n_invalid,
            "n_missing": n_missing, "n_total": n_total, "limit": run.limit, "gold_source": run.gold_source,
            "mean_response_chars": (sum(lengths) / len(lengths)) if lengths else None,
            "num_fewshot": NUM_FEWSHOT, "fewshot_seed": FEWSHOT_SEED, "until": list(UNTIL),
            "n_outside_items": run.n_outside,
        }
        return {
            "benchmark": self.name,
            "model": run.model,
            "metrics": {"gsm": details["accuracy"], "gsm_flexible_extract": details["flexible_extract"]},
            "details": details,
            **completeness(n_expected=n_total, n_scored=n_total - n_missing, what="items", n_ungenerated=n_missing),
            "n": n_total,
            "manifest": base_manifest(benchmark=self.name, protocol=PROTOCOL, limit=run.limit,
                                      gold_source=run.gold_source, generation_run_config=run.run_config),
        }
