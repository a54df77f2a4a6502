"""FastChat llm_judge's files in and out (``import --format fastchat`` / ``export``).

Import: ``model_answer/<model>.jsonl`` (``choices[0].turns``) become two-turn generations (item id
= question_id), ``model_judgment/<judge>_single.jsonl`` rows become graded turns in the field
layout :meth:`MTBench.judge` writes (judge, prompt name, answer and reference digests, prompt,
judgment, score; -1 kept as FastChat wrote it).

A verdict belongs to the answers in its judge prompt (``user_prompt``). FastChat appends to its
judgment file, so a model may be graded several times, on other answers than the saved ones: the
answers each row graded are read from its prompt; the last run's answers are sample 0 (the saved
answers where they match), answers only earlier runs graded are samples 1, 2, ...; each row is
stored for the sample it graded with ``repeat`` = its run (the k-th row of that question and turn).
MT-Bench's score averages every stored row, as show_result.py averages every row of the file.
Each prompt is compared with the one :mod:`.protocol` builds for the saved answers (questions
and references from the folder, ``--data-dir`` or FastChat's packaged data); differences are
reported per record.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from harness.benchmarks.mt_bench import protocol
from harness.errors import HarnessError
from harness.importing.files import Located, classified_jsonl, split_formatted, stem
from harness.importing.records import ImportedRun, ReadOptions, RunBuilder

FORMAT = "fastchat"
TOOL = "FastChat llm_judge (lm-sys/FastChat)"
LAYOUT = """fastchat (benchmark mt_bench): PATH is data/mt_bench/, its model_answer/ folder, or files:
    model_answer/<model>.jsonl   {question_id, model_id, choices: [{turns: [turn 1, turn 2]}]}
    model_judgment/<judge>_single.jsonl(.gz)
        {question_id, model, judge: [<judge>, <prompt: single-v1 ...>], user_prompt, judgment, score, turn}
    question.jsonl, reference_answer/<judge>.jsonl   (optional: prompt checks; else --data-dir / packaged)
    A model graded twice (FastChat appends) keeps every row; the answers a row graded are read from
    its user_prompt (a saved answer that is not the graded one is reported)."""

ANSWER, JUDGMENT, QUESTIONS, REFERENCES = "answers", "judgments", "questions", "references"


def _classify(f: Path, first: Located | None) -> str | None:
    rec = first.rec if first else {}
    if "reference_answer" in f.parts[:-1] and "choices" in rec:
        return REFERENCES
    if "user_prompt" in rec and "judge" in rec:
        return JUDGMENT
    if "choices" in rec:
        return ANSWER
    if "turns" in rec and "category" in rec:
        return QUESTIONS
    return None


def _files(paths: list[Path]) -> list[tuple[str, Path, list[Located]]]:
    out = classified_jsonl(paths, _classify, max_depth=2,
                           what="a FastChat llm_judge file (no 'choices' or 'user_prompt'/'judge' field)")
    if not any(k in (ANSWER, JUDGMENT) for k, _, _ in out):
        raise HarnessError(f"no FastChat answers or judgments in {', '.join(map(str, paths))} (expected "
                           "model_answer/<model>.jsonl or model_judgment/<judge>_single.jsonl)")
    return out


def _turns(loc: Located) -> list[str]:
    try:
        turns = loc.rec["choices"][0]["turns"]
    except (KeyError, IndexError, TypeError):
        raise loc.error("choices", "must hold [{turns: [...]}] (a FastChat answer)") from None
    if not isinstance(turns, list) or not all(isinstance(t, str) for t in turns):
        raise loc.error("choices", "[0].turns must be a list of strings")
    return turns


class _Context:
    """Questions and reference answers for the prompt checks (None where unavailable)."""

    def __init__(self, files: list[tuple[str, Path, list[Located]]], options: ReadOptions) -> None:
        from harness.benchmarks.mt_bench import data

        self.refs: dict[str, dict[str, list[str]]] = {}
        rows = [r.rec for kind, _, recs in files if kind == QUESTIONS for r in recs]
        self.data_dir = options.data_dir if options.data_dir is not None else data.packaged_dir()
        if not rows and self.data_dir is not None:  # data that is not there only limits the prompt checks
            with contextlib.suppress(HarnessError):
                rows = data.load_questions(self.data_dir)[0]
        self.questions = {str(q["question_id"]): q for q in rows}
        self.order = {qid: i for i, qid in enumerate(self.questions)}
        for kind, f, recs in files:
            if kind == REFERENCES:
                self.refs[stem(f)] = {r.ident("question_id"): _turns(r) for r in recs}

    def references(self, judge: str) -> dict[str, list[str]] | None:
        if judge not in self.refs and self.data_dir is not None:
            from harness.benchmarks.mt_bench import data

            try:
                self.refs[judge] = data.load_references(Path(self.data_dir), judge)[0]
            except HarnessError:
                self.refs[judge] = {}
        return self.refs.get(judge) or None


def _known(ctx: _Context, qid: str, judge: str, turn: int) -> dict[str, str]:
    """The prompt fields the data gives (questions, references): they anchor the split of a prompt."""
    q = ctx.questions.get(qid)
    if q is None:
        return {}
    turns = list(q["turns"])
    known = {"question": turns[0]} if turn == 1 else {"question_1": turns[0], "question_2": turns[1]}
    refs = (ctx.references(judge) or {}).get(qid) if protocol.needs_reference(q["category"]) else None
    if refs:
        known.update({"ref_answer_1": refs[0]} if turn == 1 else {"ref_answer_1": refs[0], "ref_answer_2": refs[1]})
    return known


def _parse(loc: Located, ctx: _Context) -> tuple[protocol.JudgePrompt, int, dict[str, str] | None]:
    judge = loc.get("judge", (list,), what="a FastChat judgment")
    if len(judge) != 2 or not all(isinstance(x, str) for x in judge):
        raise loc.error("judge", f"must be [judge model, prompt name], got {json.dumps(judge)[:60]}")
    if judge[1] not in protocol.PROMPTS:
        raise loc.error("judge", f"names prompt {judge[1]!r}: MT-Bench here is single-answer grading "
                        f"({', '.join(protocol.PROMPTS)}), not pairwise")
    turn = loc.get("turn", (int,), what="a FastChat judgment")
    if turn not in (1, 2):
        raise loc.error("turn", f"must be 1 or 2, got {turn}")
    score = loc.get("score", (int, float, type(None)), what="a FastChat judgment")
    del score
    prompt = protocol.PROMPTS[judge[1]]
    fields = split_formatted(prompt.prompt_template, loc.text("user_prompt"),
                             _known(ctx, loc.ident("question_id"), judge[0], turn))
    return prompt, turn, fields


def _from_prompt(fields: dict[str, str] | None, turn: int) -> tuple[list[str], list[str], list[str] | None] | None:
    """(questions, graded answers, references) read from a judge prompt's fields."""
    if fields is None:
        return None
    if turn == 1:
        refs = [fields["ref_answer_1"]] if "ref_answer_1" in fields else None
        return [fields["question"]], [fields["answer"]], refs
    refs = [fields["ref_answer_1"], fields["ref_answer_2"]] if "ref_answer_1" in fields else None
    return [fields["question_1"], fields["question_2"]], [fields["answer_1"], fields["answer_2"]], refs


def _compatible(sample: list[str | None], answers: list[str]) -> bool:
    return all(sample[t] is None or sample[t] == a for t, a in enumerate(answers))


def _assign(samples: list[list[str | None]], answers: list[str]) -> int:
    """The sample whose answers these are (filling unknown turns), a new one if none fits."""
    for s, sample in enumerate(samples):
        if _compatible(sample, answers):
            for t, a in enumerate(answers):
                sample[t] = a
            return s
    samples.append([*answers, *[None] * (2 - len(answers))])
    return len(samples) - 1


# --------------------------------------------------------------------------- reading
class _Row:
    def __init__(self, loc: Located, ctx: _Context, saved: list[str] | None) -> None:
        self.loc = loc
        self.prompt, self.turn, fields = _parse(loc, ctx)
        self.qid = loc.ident("question_id")
        self.judge = loc.rec["judge"][0]
        read = _from_prompt(fields, self.turn)
        if read is None and saved is None:
            raise loc.error("user_prompt", f"does not follow FastChat's {self.prompt.name} template, and no model_answer "
                            "file gives the graded answers")
        self.from_prompt = read
        self.graded = read[1] if read else list(saved[: self.turn])  # type: ignore[index]
        self.refs = read[2] if read else None
        self.k = 0
        self.sample = 0


def _check(b: RunBuilder, row: _Row, saved: list[str] | None, ctx: _Context) -> None:
    """Compare the stored prompt with the one this harness sends for the saved answers."""
    loc, t = row.loc, row.turn
    q = ctx.questions.get(row.qid)
    refs_data = None
    if q and protocol.needs_reference(q["category"]):
        refs_data = (ctx.references(row.judge) or {}).get(row.qid)
    questions = list(q["turns"]) if q else (row.from_prompt[0] if row.from_prompt else None)
    refs = refs_data if refs_data is not None else row.refs
    if questions is None:
        b.checks.differs(loc.origin, row.qid, f"turn {t}", f"user_prompt does not follow {row.prompt.name}; the "
                         "verdict is taken to be of the saved answers")
        return
    answers = saved[:t] if saved else row.graded
    expected_prompt = protocol.prompt_for(q["category"], t - 1).name if q else row.prompt.name
    try:
        ours = protocol.user_prompt(row.prompt, questions, list(answers), refs, t - 1)
    except (KeyError, IndexError):
        ours = None
    if ours == loc.rec["user_prompt"] and expected_prompt == row.prompt.name:
        if saved is None:
            b.checks.skip("no model_answer file: the graded answers are read from the prompt")
        elif q is None or (protocol.needs_reference(q["category"]) and refs_data is None):
            b.checks.skip("answers checked; questions/references only read from the prompt (none in the folder, "
                          "--data-dir or FastChat's packaged data)")
        else:
            b.checks.match()
        return
    what = []
    if saved is not None and list(saved[:t]) != row.graded:
        what.append(f"the graded answer(s) differ from the saved ones; stored as sample {row.sample} (the verdict's)")
    if expected_prompt != row.prompt.name:
        what.append(f"graded with {row.prompt.name}; FastChat uses {expected_prompt} for category {q['category']}")
    if q and row.from_prompt and row.from_prompt[0] != list(q["turns"][:t]):
        what.append("the question differs from MT-Bench's")
    if refs_data is not None and row.refs is not None and row.refs != list(refs_data[:t]):
        what.append(f"the reference answer differs from {row.judge}'s")
    b.checks.differs(loc.origin, row.qid, f"turn {t}", "; ".join(what) or "the prompt differs")


def _read_model(model: str, answers: list[Located], judgments: list[Located], ctx: _Context) -> ImportedRun:
    from harness.benchmarks.mt_bench.benchmark import _sha
    from harness.store.judgments import OPENAI_ENDPOINT

    b = RunBuilder(FORMAT, TOOL, model, "mt_bench")
    saved: dict[str, tuple[list[str], str]] = {}
    stamps: dict[str, float | None] = {}
    for loc in answers:
        qid, turns = loc.ident("question_id", "a FastChat answer"), _turns(loc)
        if qid in saved:
            if saved[qid][0] != turns:
                raise loc.error("choices", f"of model {model!r}, question {qid} differs from {saved[qid][1]}: the "
                                "model is given twice with different content")
            continue
        saved[qid] = (turns, loc.origin)
        stamps[qid] = loc.rec.get("tstamp") if isinstance(loc.rec.get("tstamp"), (int, float)) else None
        b.model_id = b.model_id or str(loc.rec.get("model_id") or "")
        b.source(loc.path)
    rows = [_Row(loc, ctx, saved.get(loc.ident("question_id"), (None,))[0]) for loc in judgments]
    runs: dict[tuple[str, int], int] = defaultdict(int)
    for r in rows:
        r.k = runs[(r.qid, r.turn)]
        runs[(r.qid, r.turn)] += 1
    samples: dict[str, list[list[str | None]]] = defaultdict(list)
    for r in sorted(rows, key=lambda r: -r.k):  # the last run first: its answers are sample 0
        r.sample = _assign(samples[r.qid], r.graded)
    for qid, (turns, _) in saved.items():
        _assign(samples[qid], turns)
    origins = {qid: o for qid, (_, o) in saved.items()}
    origins.update({r.qid: r.loc.origin for r in rows if r.qid not in origins})
    for qid, qsamples in samples.items():
        for s, sample in enumerate(qsamples):
            for t, text in enumerate(sample):
                if text is not None:
                    b.add_output(qid, text, origins[qid], turn=t, sample=s, item_index=ctx.order.get(qid),
                                 created=stamps.get(qid))
    for r in rows:
        _check(b, r, saved.get(r.qid, (None,))[0], ctx)
        q = ctx.questions.get(r.qid)
        math_prompt = "ref_answer_1" in r.prompt.prompt_template
        b.source(r.loc.path)
        b.annotations.append({
            "item_id": r.qid, "turn": r.turn, "model": model, "category": q["category"] if q else "",
            "judge_model": r.judge, "judge_endpoint": r.loc.rec.get("judge_endpoint") or OPENAI_ENDPOINT,
            "judge_prompt": r.prompt.name, "reference_model": r.judge if math_prompt else None,
            "answers_sha256": _sha(r.graded), "reference_sha256": _sha(r.refs) if math_prompt and r.refs else None,
            "user_prompt": r.loc.rec["user_prompt"], "judgment": r.loc.rec.get("judgment"), "score": r.loc.rec["score"],
            "error": None, "cached": False, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": None,
            "served_model": None, "sample_index": r.sample, "repeat": r.k, "tstamp": r.loc.rec.get("tstamp"),
            "source": r.loc.origin})
    if rows:
        judges = sorted({r.judge for r in rows})
        b.judge = {"model": ", ".join(judges), "endpoint": OPENAI_ENDPOINT, "prompts": sorted({r.prompt.name for r in rows}),
                   "source_files": sorted({str(r.loc.path) for r in rows})}
        if max(r.k for r in rows):
            n = sum(1 for r in rows if r.k)
            b.notes.append(f"{n} row(s) grade a (question, turn) again (FastChat appended a later run); every row "
                           "is kept and counts in the mean, as FastChat's show_result averages them")
    return b.build()


def read(paths: list[Path], options: ReadOptions) -> list[ImportedRun]:
    files = _files(paths)
    ctx = _Context(files, options)
    answers: dict[str, list[Located]] = defaultdict(list)
    judgments: dict[str, list[Located]] = defaultdict(list)
    for kind, f, recs in files:
        if kind == ANSWER:
            answers[options.name(stem(f), str(f))].extend(options.cut(recs))
    for kind, f, recs in files:
        if kind == JUDGMENT:
            for loc in options.cut(recs):
                judgments[options.name(loc.text("model", "a FastChat judgment"), str(f))].append(loc)
    return [_read_model(m, answers.get(m, []), judgments.get(m, []), ctx) for m in dict.fromkeys([*answers, *judgments])]


# --------------------------------------------------------------------------- export
def export(run_dir: Path, benchmark: str, out: Path, options: Any) -> list[Path]:
    """``out/model_answer/<model>.jsonl`` and the model's rows of ``out/model_judgment/<judge>_single.jsonl``."""
    from harness.benchmarks.base import ScoreOptions
    from harness.benchmarks.mt_bench.benchmark import MTBench
    from harness.store import current_generations
    from harness.store.jsonl import read_jsonl, write_text_atomic

    records = [r for r in current_generations(run_dir) if r.sample_index == 0]
    if not records:
        raise HarnessError(f"no generations to export in {run_dir}")
    outputs = {(r.item_id, r.turn): r for r in records}
    model = records[0].model or run_dir.parent.name
    _, sel = MTBench().judgments(run_dir, ScoreOptions(judge_model=options.judge_model,
                                                       judge_endpoint=options.judge_endpoint))
    qids = list(dict.fromkeys(q for q, _ in outputs))
    lines = [{"question_id": int(q) if q.isdigit() else q, "answer_id": outputs[(q, 0)].key[:22],
              "model_id": outputs[(q, 0)].model_id or model,
              "choices": [{"index": 0, "turns": [outputs[(q, t)].output for t in (0, 1) if (q, t) in outputs]}],
              "tstamp": outputs[(q, 0)].created or 0.0}
             for q in qids if (q, 0) in outputs]
    written = [Path(out) / "model_answer" / f"{model}.jsonl"]
    write_text_atomic(written[0], "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines))
    if sel.judgments:
        judge = sel.judgments[0]["judge_model"]
        path = Path(out) / "model_judgment" / f"{judge}_single.jsonl"
        kept = [r for r in read_jsonl(path) if r.get("model") != model]
        rows = [{"question_id": int(j["item_id"]) if str(j["item_id"]).isdigit() else j["item_id"], "model": model,
                 "judge": [judge, j.get("judge_prompt")], "user_prompt": j.get("user_prompt"),
                 "judgment": j.get("judgment"), "score": j.get("score"), "turn": int(j["turn"]),
                 "tstamp": j.get("tstamp") or 0.0, "judge_endpoint": j.get("judge_endpoint")}
                for j in sorted(sel.judgments, key=lambda j: int(j.get("repeat") or 0))]
        write_text_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [*kept, *rows]))
        written.append(path)
    return written
