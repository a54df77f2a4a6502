"""arena-hard-auto v0.1's files in and out (``import --format arena_hard`` / ``export``).

Import: ``model_answer/<model>.jsonl`` answers become generations (item id = question_id);
``model_judgment/<judge>/<model>.jsonl`` records become two judged games each, in the field
layout :meth:`ArenaHard.judge` writes (judge, baseline, answer and baseline digests, prompt,
judgment, verdict label), keeping the file's order (``source_file``/``source_index``) because
show_result.py's bootstrap draws rows in that order. A verdict belongs to the answer in its judge
prompt (``games[].user_prompt``): each prompt is compared with the one :mod:`.protocol` builds for
the saved answer (question and baseline from ``question.jsonl`` / ``model_answer/gpt-4-0314.jsonl``
in the folder or ``--data-dir``, else read from the prompt); where the saved answer is not the
judged one, the judged answer is imported (the saved one kept as ``saved_output``) and the record
is reported. show_result.py's battles file (``arena_hard_battles*.jsonl``) imports as games too
(:mod:`.official_battles`).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from harness.benchmarks.arena_hard import protocol
from harness.errors import HarnessError
from harness.importing.files import Located, classified_jsonl, split_formatted, stem
from harness.importing.records import ImportedRun, ReadOptions, RunBuilder

FORMAT = "arena_hard"
TOOL = "arena-hard-auto v0.1 (lmarena/arena-hard-auto)"
LAYOUT = f"""arena_hard (benchmark arena_hard): PATH is data/arena-hard-v0.1/, its model_answer/ or
  model_judgment/<judge>/ folders, or their files:
    model_answer/<model>.jsonl        {{question_id, model_id, choices: [{{turns: [{{content, token_len}}]}}]}}
    model_judgment/<judge>/<model>.jsonl
        {{question_id, model, judge, games: [{{user_prompt, judgment, score}} x 2]}} (game 1 swaps A and B)
    arena_hard_battles.jsonl          show_result.py's {{question_id, model_a, model_b, winner}} rows
    question.jsonl, model_answer/{protocol.BASELINE_MODEL}.jsonl   (optional: prompt checks; not imported)
    The file order of judgments is kept: show_result.py's bootstrap, hence the CI, depends on it."""

ANSWER, JUDGMENT, BATTLES, QUESTIONS = "answers", "judgments", "battles", "questions"


def classify(loc: Located) -> str | None:
    rec = loc.rec
    if "games" in rec:
        return JUDGMENT
    if "choices" in rec or "messages" in rec:
        return ANSWER
    if {"model_a", "model_b", "winner"} <= set(rec):
        return BATTLES
    if "prompt" in rec or "turns" in rec:
        return QUESTIONS
    return None


def _files(paths: list[Path]) -> list[tuple[str, Path, list[Located]]]:
    """(kind, path, records) of every arena-hard file given or found in the folders given."""
    out = classified_jsonl(paths, lambda _, first: classify(first) if first else None, max_depth=3,
                           what="an arena-hard file (no 'games', 'choices' or 'model_a'/'winner' field)")
    if not out:
        raise HarnessError(f"no arena-hard files in {', '.join(map(str, paths))} (expected model_answer/<model>.jsonl "
                           "or model_judgment/<judge>/<model>.jsonl)")
    return out


# --------------------------------------------------------------------------- context for checks
def _context(files: list[tuple[str, Path, list[Located]]], options: ReadOptions
             ) -> tuple[dict[str, int], dict[str, str], dict[str, str], str]:
    """(question position, question text, baseline answer, what they were read from)."""
    from harness.benchmarks.arena_hard import data

    questions = [r.rec for kind, _, recs in files if kind == QUESTIONS for r in recs]
    baseline: dict[str, str] = {}
    for kind, f, recs in files:
        if kind == ANSWER and stem(f) == protocol.BASELINE_MODEL:
            baseline = {str(r.rec.get("question_id")): _answer_text(r) for r in recs}
    where = "the imported folder"
    if options.data_dir is not None:  # data that is not there only limits the prompt checks
        if not questions:
            with contextlib.suppress(HarnessError):
                questions = data.load_questions(options.data_dir)[0]
                where = str(options.data_dir)
        if not baseline:
            with contextlib.suppress(HarnessError):
                baseline = data.load_baseline(options.data_dir, protocol.BASELINE_MODEL)[0]
    order = {data.question_id(q): i for i, q in enumerate(questions)}
    texts = {data.question_id(q): data.question_text(q) for q in questions}
    return order, texts, baseline, where if questions else ""


def _answer_text(loc: Located) -> str:
    from harness.benchmarks.arena_hard import data

    try:
        text = data.answer_text(loc.rec)
    except (KeyError, IndexError, TypeError):
        raise loc.error("choices", "must hold [{turns: [{content: ...}]}] (an arena-hard answer)") from None
    if not isinstance(text, str):
        raise loc.error("choices", "must hold the answer text in choices[0].turns[0].content")
    return text


def _token_len(loc: Located) -> int:
    try:
        n = loc.rec["choices"][0]["turns"][0].get("token_len", 0)
    except (KeyError, IndexError, TypeError, AttributeError):
        return 0
    return int(n) if isinstance(n, int) and not isinstance(n, bool) else 0


# --------------------------------------------------------------------------- reading
class _Model:
    """One model's builder and its saved answers (question id -> (text, origin))."""

    def __init__(self, name: str) -> None:
        self.builder = RunBuilder(FORMAT, TOOL, name, "arena_hard")
        self.saved: dict[str, tuple[str, str]] = {}
        self.judged_by: dict[str, str] = {}  # question id -> where it was judged


def model_entry(models: dict[str, _Model], found: str, origin: str, options: ReadOptions) -> _Model:
    name = options.name(found, origin)
    if name not in models:
        models[name] = _Model(name)
    return models[name]


def _read_answers(f: Path, recs: list[Located], models: dict[str, _Model], order: dict[str, int],
                  options: ReadOptions) -> None:
    from harness.benchmarks.arena_hard.tokens import count_tokens

    m = model_entry(models, stem(f), str(f), options)
    m.builder.source(f)
    recs = options.cut(recs)
    lengths = [_token_len(loc) for loc in recs]
    if not all(lengths):  # gen_answer.py's token_len: cl100k tokens of the answer
        counts, _ = count_tokens([_answer_text(loc) for loc in recs])
        lengths = [n or (counts[i] if counts else 0) for i, n in enumerate(lengths)]
    for loc, n_tokens in zip(recs, lengths, strict=True):
        qid = loc.ident("question_id", "an arena-hard answer")
        text = _answer_text(loc)
        if qid in m.saved:
            if m.saved[qid][0] != text:
                raise loc.error("choices", f"of model {m.builder.model!r}, question {qid} differs from "
                                f"{m.saved[qid][1]}: the model is given twice with different content")
            continue
        m.saved[qid] = (text, loc.origin)
        m.builder.model_id = m.builder.model_id or str(loc.rec.get("model_id") or "")
        m.builder.add_output(qid, text, loc.origin, item_index=order.get(qid), num_output_tokens=n_tokens,
                             created=loc.rec.get("tstamp") if isinstance(loc.rec.get("tstamp"), (int, float)) else None)


def _game(loc: Located, gi: int, game: Any) -> dict[str, Any]:
    if not isinstance(game, dict):
        raise loc.error("games", f"[{gi}] must be an object with user_prompt, judgment and score")
    for key in ("user_prompt", "judgment", "score"):
        if game.get(key) is not None and not isinstance(game.get(key), str):
            raise loc.error("games", f"[{gi}].{key} must be a string or null")
    return game


def _judged_answers(prompt: str | None, gi: int, question: str | None, baseline: str | None
                    ) -> tuple[str, str, str] | None:
    """(question, judged model answer, baseline answer) read from a game's judge prompt (the
    question and baseline answer from the data, when known, anchor the split)."""
    known = {k: v for k, v in (("question_1", question), ("answer_1" if gi == 0 else "answer_2", baseline))
             if v is not None}
    fields = split_formatted(protocol.PROMPT_TEMPLATE, prompt, known) if isinstance(prompt, str) else None
    if fields is None:
        return None
    a, b = fields["answer_1"], fields["answer_2"]
    return (fields["question_1"], b, a) if gi == 0 else (fields["question_1"], a, b)


def _read_judgments(f: Path, recs: list[Located], models: dict[str, _Model], ctx: tuple, options: ReadOptions) -> None:
    from harness.benchmarks.arena_hard.benchmark import answer_sha
    from harness.store.judgments import OPENAI_ENDPOINT

    order, questions, baseline, ctx_where = ctx
    for loc in options.cut(recs):
        qid = loc.ident("question_id", "an arena-hard judgment")
        m = model_entry(models, loc.text("model", "an arena-hard judgment"), str(f), options)
        judge = str(loc.get("judge", (str,), default=f.parent.name))
        games = loc.get("games", (list,), what="an arena-hard judgment")
        if qid in m.judged_by:
            raise loc.error("question_id", f"{qid} of {m.builder.model!r} is judged twice (also {m.judged_by[qid]})")
        m.judged_by[qid] = loc.origin
        m.builder.source(f)
        if m.builder.judge is None:
            m.builder.judge = {"model": judge, "endpoint": loc.rec.get("judge_endpoint") or OPENAI_ENDPOINT,
                               "baseline": protocol.BASELINE_MODEL, "source_files": [str(f)],
                               "prompt": "arena-hard-auto v0.1 judge_config (system prompt + template, protocol.py)"}
        answer = None
        for gi, raw in enumerate(games[:2]):
            game = _game(loc, gi, raw)
            judged = _judged_answers(game.get("user_prompt"), gi, questions.get(qid), baseline.get(qid))
            saved = m.saved.get(qid)
            mine = judged[1] if judged else (saved[0] if saved else None)
            if mine is None:
                raise loc.error("games", f"[{gi}].user_prompt does not hold the judged answer in the v0.1 template and "
                                f"no model_answer file gives {m.builder.model!r}'s answer to {qid}")
            _check(m.builder, loc, qid, gi, game.get("user_prompt"), judged, saved, questions.get(qid),
                   baseline.get(qid), ctx_where)
            if answer is None:
                answer = mine
                if saved is None or saved[0] != mine:  # the verdict's answer is the one imported
                    extra = {"saved_output": saved[0]} if saved else None
                    m.builder.add_output(qid, mine, loc.origin, item_index=order.get(qid), extra=extra, replace=True)
            m.builder.annotations.append({
                "item_id": qid, "game": gi, "model": m.builder.model, "judge_model": judge,
                "judge_endpoint": loc.rec.get("judge_endpoint") or OPENAI_ENDPOINT,
                "baseline_model": loc.rec.get("baseline_model") or protocol.BASELINE_MODEL,
                "answer_sha256": answer_sha(mine), "baseline_sha256": answer_sha(judged[2]) if judged else None,
                "user_prompt": game.get("user_prompt"), "judgment": game.get("judgment"), "score": game.get("score"),
                "attempts": None, "error": None, "cached": False, "prompt_tokens": 0, "completion_tokens": 0,
                "cost_usd": None, **({"game_split": game["game_split"]} if "game_split" in game else {}),
                "source_file": str(f), "source_index": 2 * loc.index + gi, "source": loc.origin})


def _check(b: RunBuilder, loc: Located, qid: str, gi: int, prompt: str | None, judged: tuple | None,
           saved: tuple[str, str] | None, question: str | None, baseline: str | None, ctx_where: str) -> None:
    """Compare the stored judge prompt with the one this harness sends for the saved answer."""
    if prompt is None:
        b.checks.skip("the record carries no judge prompt")
        return
    if judged is None:
        b.checks.differs(loc.origin, qid, f"game {gi}", "user_prompt does not follow the v0.1 judge template; "
                         "the verdict is taken to be of the saved answer")
        return
    q = question if question is not None else judged[0]
    base = baseline if baseline is not None else judged[2]
    answer = saved[0] if saved else judged[1]
    if protocol.game_messages(q, answer, base, gi)[1]["content"] == prompt:
        if saved is None:
            b.checks.skip("no model_answer file: the judged answer is read from the prompt")
        elif question is None or baseline is None:
            b.checks.skip("answer checked; question and baseline only read from the prompt (no question.jsonl / "
                          f"{protocol.BASELINE_MODEL} answers in the folder or --data-dir)")
        else:
            b.checks.match()
        return
    what = []
    if saved is not None and saved[0] != judged[1]:
        what.append(f"the judged answer differs from the saved one ({saved[1]}); the judged one is imported")
    if question is not None and question != judged[0]:
        what.append(f"the question differs from {ctx_where}'s")
    if baseline is not None and baseline != judged[2]:
        what.append(f"the baseline answer differs from {ctx_where}'s {protocol.BASELINE_MODEL}")
    b.checks.differs(loc.origin, qid, f"game {gi}", "; ".join(what) or "the prompt differs")


def read(paths: list[Path], options: ReadOptions) -> list[ImportedRun]:
    from harness.benchmarks.arena_hard.official_battles import read_battles

    files = _files(paths)
    ctx = _context(files, options)
    models: dict[str, _Model] = {}
    skipped = []
    for kind, f, recs in files:
        if kind == ANSWER and stem(f) == protocol.BASELINE_MODEL:
            skipped.append(f"{f}: the baseline's answers (used for prompt checks, not imported as a model)")
        elif kind == ANSWER:
            _read_answers(f, recs, models, ctx[0], options)
    for kind, f, recs in files:
        if kind == JUDGMENT:
            _read_judgments(f, recs, models, ctx, options)
        elif kind == BATTLES:
            read_battles(f, options.cut(recs), models, options)
    runs = []
    for m in models.values():
        m.builder.notes.extend(skipped)
        runs.append(m.builder.build())
    return runs


# --------------------------------------------------------------------------- export
def export(run_dir: Path, benchmark: str, out: Path, options: Any) -> list[Path]:
    """``out/model_answer/<model>.jsonl`` and ``out/model_judgment/<judge>/<model>.jsonl``."""
    from harness.benchmarks.arena_hard.benchmark import ArenaHard, battle_order
    from harness.benchmarks.arena_hard.tokens import count_tokens
    from harness.benchmarks.base import ScoreOptions
    from harness.store.jsonl import write_text_atomic

    gens, sel = ArenaHard().judgments(run_dir, ScoreOptions(judge_model=options.judge_model,
                                                            judge_endpoint=options.judge_endpoint))
    if not gens:
        raise HarnessError(f"no generations to export in {run_dir}")
    model = gens[0].model or run_dir.parent.name
    counts, _ = count_tokens([g.output for g in gens])
    answers = [{"question_id": g.item_id, "answer_id": g.key[:22], "model_id": g.model_id or model,
                "choices": [{"index": 0, "turns": [{"content": g.output,
                                                    "token_len": g.num_output_tokens or (counts[i] if counts else 0)}]}],
                "tstamp": g.created or 0.0} for i, g in enumerate(gens)]
    written = [Path(out) / "model_answer" / f"{model}.jsonl"]
    write_text_atomic(written[0], "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answers))
    if sel.judgments:
        judge = sel.judgments[0]["judge_model"]
        games = sorted(sel.judgments, key=battle_order({g.item_id: i for i, g in enumerate(gens)}))
        records: dict[str, dict[str, Any]] = {}
        for g in games:
            rec = records.setdefault(str(g["item_id"]), {
                "question_id": str(g["item_id"]), "model": model, "judge": judge, "games": [None, None],
                "judge_endpoint": g.get("judge_endpoint"), "baseline_model": g.get("baseline_model")})
            rec["games"][int(g["game"])] = {k: g[k] for k in ("user_prompt", "judgment", "score", "game_split") if k in g}
        for rec in records.values():
            rec["games"] = [x or {"user_prompt": None, "judgment": None, "score": None} for x in rec["games"]]
        written.append(Path(out) / "model_judgment" / judge / f"{model}.jsonl")
        write_text_atomic(written[1], "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records.values()))
    return written
