"""Arena-Hard v0.1: pairwise judging against gpt-4-0314, Bradley-Terry score with bootstrap CI."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from harness.benchmarks.arena_hard import data, protocol
from harness.benchmarks.arena_hard.spec import SPEC
from harness.benchmarks.arena_hard.style import markdown_counts, style_controlled_score
from harness.benchmarks.arena_hard.tokens import count_tokens
from harness.benchmarks.base import (
    Benchmark,
    BenchmarkItem,
    JudgeOptions,
    PairedValues,
    ScoreOptions,
    completeness,
    judge_details,
)
from harness.errors import HarnessError
from harness.judges.base import judge_chunk
from harness.manifest import base_manifest, sha256_text
from harness.stats import Battles, arena_scores
from harness.store import (
    GenerationRecord,
    JudgeId,
    JudgmentSelection,
    current_generations,
    first_answers,
    read_generation_manifest,
    select_judgments,
)
from harness.store.jsonl import append_jsonl, read_jsonl, read_records
from harness.store.judgments import failed_calls_error
from harness.store.layout import ANNOTATIONS

if TYPE_CHECKING:
    from harness.benchmarks.spec import BenchmarkSpec
    from harness.judges.base import JudgeClient, JudgeResponse

CHUNK = 64  # judged games are appended (fsynced) at least every CHUNK games
NUM_ROUNDS = 100
SEED = 42


def answer_sha(text: str) -> str:
    """The short digest judgments record of the answer they judged."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def read_generations(run_dir: Path) -> list[GenerationRecord]:
    """First-turn, first-sample generations of the run, in item order."""
    return list(first_answers(current_generations(run_dir)).values())


class ArenaHard(Benchmark):
    spec: ClassVar[BenchmarkSpec] = SPEC

    def __init__(self, data_dir: Path | None = None, baseline: str = protocol.BASELINE_MODEL,
                 style_control: tuple[str, ...] = (), num_rounds: int = NUM_ROUNDS, seed: int = SEED) -> None:
        super().__init__(data_dir)
        self.baseline = baseline
        self.num_rounds, self.seed = num_rounds, seed
        self.style_control = tuple(style_control)  # e.g. ("length", "markdown"); () = v0.1 scoring

    # ----------------------------------------------------------------- items
    def load_items(self, data_dir: Path | None = None, limit: int | None = None) -> list[BenchmarkItem]:
        data_dir = Path(data_dir) if data_dir else self.data_dir
        questions, qsource = data.load_questions(data_dir)
        answers, asource = data.load_baseline(data_dir, self.baseline)
        items = []
        for q in questions:
            qid = data.question_id(q)
            if qid not in answers:
                raise HarnessError(f"{asource}: no {self.baseline} answer for question {qid}")
            items.append(BenchmarkItem(
                item_id=qid, turns=(data.question_text(q),), category=q.get("category", ""), reference=answers[qid],
                metadata={"cluster": q.get("cluster", ""), "baseline_model": self.baseline,
                          "source": qsource, "baseline_source": asource},
            ))
        return items[:limit] if limit is not None else items

    # ----------------------------------------------------------------- judge
    def judge(self, run_dir: Path, client: JudgeClient, items: list[BenchmarkItem], options: JudgeOptions) -> None:
        """Judge both games of every generated answer; resumable per (question, game).

        A game already judged by the same judge (model and endpoint), baseline and answer text is
        skipped; a game whose call failed is recorded with ``error`` and tried again on the next run.
        """
        run_dir = Path(run_dir)
        judge = JudgeId(options.judge_model or SPEC.judge.default_model, client.endpoint)
        max_tokens = int(options.max_tokens or protocol.MAX_TOKENS)
        by_id = {it.item_id: it for it in items}
        gens = [g for g in read_generations(run_dir) if g.item_id in by_id]
        if not gens:
            raise HarnessError(f"no Arena-Hard generations in {run_dir}; run 'simpo-harness generate' first")
        missing_ref = [it.item_id for it in items if it.reference is None]
        if missing_ref:
            raise HarnessError(f"no baseline answer for {len(missing_ref)} question(s), e.g. {missing_ref[0]}")
        ann_path = run_dir / ANNOTATIONS
        done = {_unit_key(r) for r in read_jsonl(ann_path) if r.get("error") is None}
        pending: list[tuple[dict[str, Any], list[dict[str, str]]]] = []
        for g in gens:
            it = by_id[g.item_id]
            for game in (0, 1):
                row = {
                    "item_id": it.item_id, "game": game, "model": g.model or run_dir.parent.name,
                    "judge_model": judge.model, "judge_endpoint": judge.endpoint,
                    "baseline_model": it.metadata.get("baseline_model", self.baseline),
                    "answer_sha256": answer_sha(g.output), "baseline_sha256": answer_sha(it.reference),
                }
                if _unit_key(row) not in done:
                    pending.append((row, protocol.game_messages(it.turns[0], g.output, it.reference, game)))
        step = judge_chunk(client, CHUNK)  # a Batch API client takes them all (second attempts: a second batch)
        for start in range(0, len(pending), step):
            append_jsonl(ann_path, _judge_games(client, pending[start : start + step], judge.model, max_tokens))

    # ----------------------------------------------------------------- score
    def score(self, run_dir: Path, options: ScoreOptions) -> dict[str, Any]:
        """v0.1 score from the files of ``run_dir``; battle rows are in benchmark question order,
        game 0 then game 1 (the bootstrap resamples rows, so their order fixes the CI); imported
        games keep their official file's order, as show_result.py reads it (:func:`battle_order`).

        With ``style_control`` (constructor) a length/markdown controlled score is added in
        ``details["style_control"]``; it needs the baseline answers (``data_dir``).
        """
        run_dir = Path(run_dir)
        gens, sel, games = self.scored_games(run_dir, options)
        model, baseline = one_model(games, run_dir)
        payload = score_games(games, model, baseline, num_rounds=self.num_rounds, seed=self.seed)
        return self.complete_payload(payload, run_dir, gens, sel, games, baseline, options)

    def scored_games(self, run_dir: Path, options: ScoreOptions
                     ) -> tuple[list[GenerationRecord], JudgmentSelection, list[dict[str, Any]]]:
        """The current generations, the judgment selection and its games in battle order."""
        gens, sel = self.judgments(run_dir, options)
        games = sel.judgments
        if not games:
            if sel.n_failed:
                raise failed_calls_error(sel.n_failed, sel.errors, str(run_dir / ANNOTATIONS))
            stale = f" ({sel.n_stale} judged games of answers no longer generated)" if sel.n_stale else ""
            raise HarnessError(f"no Arena-Hard judgments of the current generations in {run_dir}{stale}; "
                               "run 'simpo-harness judge' first")
        games.sort(key=battle_order({g.item_id: i for i, g in enumerate(gens)}))
        return gens, sel, games

    def complete_payload(self, payload: dict[str, Any], run_dir: Path, gens: list[GenerationRecord],
                         sel: JudgmentSelection, games: list[dict[str, Any]], baseline: str,
                         options: ScoreOptions) -> dict[str, Any]:
        """Lengths, completeness, judge, style control and manifest of a scored run."""
        answers = {g.item_id: answer_sha(g.output) for g in gens}
        counts = _add_lengths(payload, gens)
        n_selected = int(read_generation_manifest(run_dir).get("n_items") or len(gens))
        payload.update(completeness(n_expected=2 * n_selected, n_scored=len(games), what="games",
                                    n_failed=sel.n_failed, n_stale=sel.n_stale,
                                    n_ungenerated=2 * max(n_selected - len(gens), 0)))
        payload["details"].update(n_answers=len(gens), n_stale_judgments=sel.n_stale,
                                  n_unjudged_answers=len(set(answers) - {str(g["item_id"]) for g in games}),
                                  **judge_details(sel.judge))
        if self.style_control:
            payload["details"]["style_control"] = _style_control(
                gens, counts, games, baseline, options.data_dir or self.data_dir,
                features=self.style_control, rounds=self.num_rounds, seed=self.seed)
        payload["manifest"] = self._manifest(games, baseline)
        return payload

    def joint_runs(self, results_dir: Path) -> list[Path]:
        """The run directories ``score --joint`` scores together (those with judgments)."""
        from harness.benchmarks.arena_hard.joint import joint_runs

        return joint_runs(results_dir)

    def score_joint(self, run_dirs: list[Path], options: ScoreOptions) -> dict[Path, dict[str, Any]]:
        """Every run bootstrapped together, as show_result.py v0.1 (see :mod:`.joint`)."""
        from harness.benchmarks.arena_hard.joint import score_joint

        return score_joint(self, run_dirs, options)

    def judgments(self, run_dir: Path, options: ScoreOptions) -> tuple[list[GenerationRecord], JudgmentSelection]:
        """The current generations and the judgments a score of them uses (one judge, current answers)."""
        gens = read_generations(Path(run_dir))
        answers = {g.item_id: answer_sha(g.output) for g in gens}
        sel = select_judgments(
            read_jsonl(Path(run_dir) / ANNOTATIONS), unit=lambda r: (str(r["item_id"]), int(r["game"])),
            failed=lambda r: r.get("error") is not None,
            current=lambda r: str(r["item_id"]) in answers and r.get("answer_sha256") in (None, answers[str(r["item_id"])]),
            judge_model=options.judge_model, judge_endpoint=options.judge_endpoint,
            source=str(Path(run_dir) / ANNOTATIONS))
        return gens, sel

    def paired_values(self, run_dir: Path, options: ScoreOptions) -> list[PairedValues]:
        """Per question, the battle rows of the judgments the score used (:mod:`.paired`)."""
        from harness.benchmarks.arena_hard.paired import run_paired_values

        return run_paired_values(self, Path(run_dir), options)

    def _manifest(self, games: list[dict[str, Any]], baseline: str) -> dict[str, Any]:
        return base_manifest(
            benchmark=self.name, judges=sorted({JudgeId.of(g).label() for g in games}), baseline=baseline,
            system_prompt_sha256=sha256_text(protocol.SYSTEM_PROMPT),
            prompt_template_sha256=sha256_text(protocol.PROMPT_TEMPLATE), regex=protocol.REGEX_PATTERN,
            strong_weight=protocol.STRONG_WEIGHT, bootstrap_rounds=self.num_rounds, bootstrap_seed=self.seed,
        )


def _style_control(gens: list[GenerationRecord], counts: list[int], games: list[dict[str, Any]], baseline: str,
                   data_dir: Path | None, *, features: tuple[str, ...], rounds: int, seed: int) -> dict[str, Any]:
    """Arena-Hard's style-controlled score (length and markdown features vs the baseline's answers)."""
    model_meta = {g.item_id: {"tokens": n, "md": markdown_counts(g.output)} for g, n in zip(gens, counts, strict=True)}
    answers, _ = data.load_baseline(Path(data_dir) if data_dir else None, baseline)
    base_ids = sorted({str(g["item_id"]) for g in games} & set(answers))
    base_counts, _ = count_tokens([answers[i] for i in base_ids])
    if base_counts is None:
        raise HarnessError("style control needs cl100k token counts of the baseline (pip install 'simpo-harness[arena]')")
    base_meta = {i: {"tokens": n, "md": markdown_counts(answers[i])} for i, n in zip(base_ids, base_counts, strict=True)}
    rows = [r for r in protocol.battles_from_games(games, baseline) if r["question_id"] in model_meta]
    return style_controlled_score(rows, model_meta, base_meta, features, rounds, seed)


def _add_lengths(payload: dict[str, Any], gens: list[GenerationRecord]) -> list[int]:
    """Mean answer length in cl100k tokens, as show_result.py (fallback: the generator's counts)."""
    counts, how = count_tokens([g.output for g in gens])
    if counts is None:
        counts = [int(g.num_output_tokens or 0) for g in gens]
        how = f"FALLBACK: generator token counts (model tokenizer), not cl100k ({how})"
    mean_tokens = sum(counts) / len(counts) if counts else float("nan")
    payload["metrics"]["ah_length"] = mean_tokens
    payload["details"].update(avg_tokens_official=int(mean_tokens) if counts else None, token_count_source=how)
    return counts


def battle_order(item_order: dict[str, int]) -> Any:
    """Sort key of judged games: imported games in their official file's order (``source_file``,
    ``source_index``: show_result.py turns a judgment file into battles record by record), then
    the others in benchmark question order, game 0 before game 1."""
    def key(r: dict[str, Any]) -> tuple:
        src = (0, str(r.get("source_file")), int(r["source_index"])) if r.get("source_index") is not None else (1, "", 0)
        return (*src, item_order.get(str(r["item_id"]), len(item_order)), str(r["item_id"]), int(r["game"]))
    return key


def one_model(games: list[dict[str, Any]], run_dir: Path) -> tuple[str, str]:
    """The one model and baseline of a run's games."""
    models = sorted({g["model"] for g in games})
    baselines = sorted({g.get("baseline_model", protocol.BASELINE_MODEL) for g in games})
    if len(models) != 1 or len(baselines) != 1:
        raise HarnessError(f"{run_dir}: judgments mix models {models} / baselines {baselines}")
    return models[0], baselines[0]


def _unit_key(r: dict[str, Any]) -> tuple:
    return (str(r["item_id"]), int(r["game"]), JudgeId.of(r), r.get("baseline_model"),
            r.get("answer_sha256"), r.get("baseline_sha256"))


def _judge_games(client: JudgeClient, units: list[tuple[dict[str, Any], list[dict[str, str]]]],
                 judge_model: str, max_tokens: int) -> list[dict[str, Any]]:
    """Official two-attempt loop, batched: a second call only for games with no label at all."""
    convs = [list(msgs) for _, msgs in units]
    texts = [""] * len(units)
    state: list[dict[str, Any]] = [{"score": None, "attempts": 0, "error": None, "prompt_tokens": 0,
                                    "completion_tokens": 0, "cost_usd": 0.0, "cached": True} for _ in units]
    todo = list(range(len(units)))
    for attempt in range(protocol.MAX_ATTEMPTS):
        if not todo:
            break
        reqs = [protocol.judge_request(convs[i], judge_model, max_tokens) for i in todo]
        responses: list[JudgeResponse] = client.complete_many(reqs)
        again = []
        for i, resp in zip(todo, responses, strict=True):
            st = state[i]
            st["attempts"] = attempt + 1
            st["prompt_tokens"] += resp.prompt_tokens
            st["completion_tokens"] += resp.completion_tokens
            st["cached"] = st["cached"] and resp.cached
            cost = resp.extra.get("cost_usd")
            st["cost_usd"] = None if cost is None or st["cost_usd"] is None else st["cost_usd"] + cost
            if resp.content is None:
                st["error"] = resp.error or "judge call failed"
                continue
            texts[i] += "\n" + resp.content
            st["score"], try_again = protocol.get_score(texts[i])
            convs[i].append({"role": "assistant", "content": resp.content})
            if try_again and attempt + 1 < protocol.MAX_ATTEMPTS:
                convs[i].append({"role": "user", "content": protocol.CONTINUE_PROMPT})
                again.append(i)
        todo = again
    rows = []
    for (row, msgs), text, st in zip(units, texts, state, strict=True):
        rows.append({**row, "user_prompt": msgs[1]["content"], "judgment": text, **st})
    return rows


PER_MODEL_CI = ("2.5/97.5 percentiles of bootstrap Elo as win rate vs the baseline (show_result.py v0.1); rounds "
                "resample this model's battles only, the official leaderboard resampled all models' battles jointly "
                "(`score --joint` does that for every model of a results directory; the point score does not depend "
                "on other models)")


def battles_of(rows: list[dict[str, Any]]) -> Battles:
    y = [{"model_a": 1.0, "model_b": 0.0, "tie": 0.5}[r["winner"]] for r in rows]
    return Battles.from_rows([r["model_a"] for r in rows], [r["model_b"] for r in rows], y)


def score_games(games: list[dict[str, Any]], model: str, baseline: str = protocol.BASELINE_MODEL,
                num_rounds: int = NUM_ROUNDS, seed: int = SEED, joint: tuple[Any, str] | None = None) -> dict[str, Any]:
    """scores.json payload (without lengths) from judged games (item_id, game, score, model).

    ``joint``: (this model's :class:`~harness.stats.bradley_terry.ModelScore` from a bootstrap of
    several models together, its CI note) instead of this model's own bootstrap."""
    rows = protocol.battles_from_games(games, baseline)
    labels = Counter(str(g.get("score")) for g in games)
    if not rows:
        raise HarnessError("no judged game has a valid verdict; nothing to score")
    battles = battles_of(rows)
    if model not in battles.models:
        raise HarnessError(f"model {model!r} is in no battle")
    s = joint[0] if joint else arena_scores(battles, baseline, num_rounds=num_rounds, seed=seed)[model]
    off = s.official()
    return {
        "benchmark": "arena_hard", "model": model,
        "metrics": {"ah": off["score"]},
        "ci": {"ah": [off["lower"], off["upper"]]},
        "details": {
            "score_exact": s.score, "ci_exact": [s.lower, s.upper], "elo": s.elo, "elo_ci": [s.elo_lower, s.elo_upper],
            "baseline": baseline, "n_battles": len(rows), "n_games": len(games),
            "n_games_without_verdict": sum(1 for g in games if protocol.game_battles(g.get("score"), 0) is None),
            "verdicts": dict(sorted(labels.items())), "bootstrap_rounds": num_rounds, "bootstrap_seed": seed,
            "ci_note": joint[1] if joint else PER_MODEL_CI,
        },
        "n": len({g["item_id"] for g in games}),
    }


def score_official_judgments(path: Path, baseline: str = protocol.BASELINE_MODEL, num_rounds: int = NUM_ROUNDS,
                             seed: int = SEED) -> dict[str, Any]:
    """Score an arena-hard-auto judgment file (``question_id``, ``model``, ``games``) in file order."""
    games = []
    for rec in read_records(Path(path), what="arena-hard judgments"):
        for gi, game in enumerate(rec.get("games", [])):
            games.append({"item_id": rec["question_id"], "game": gi, "model": rec["model"],
                          "score": (game or {}).get("score")})
    if not games:
        raise HarnessError(f"{path}: no judgments")
    return score_games(games, games[0]["model"], baseline, num_rounds, seed)
