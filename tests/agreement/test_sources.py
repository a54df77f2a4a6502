"""Reading published judgments: each benchmark's own parser gives the verdicts the files store;
collection deduplicates inputs; the sample is seeded."""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest

from harness.agreement.base import Unit, protocol_for
from harness.agreement.sample import collect, draw
from harness.errors import HarnessError
from harness.store.jsonl import read_records


def test_alpaca_eval_verdicts_are_the_stored_preferences(shared_dir):
    p = protocol_for("alpaca_eval")
    ann = shared_dir / "alpaca_eval_validation_data" / "annotations"
    for name in ("claude-2.1.annotations.json.gz", "FuseChat-Gemma-2-9B-Instruct.annotations.json.gz"):
        rows = {(r["instruction"], r["output_2"]): r["preference"] for r in read_records(ann / name)
                if r["output_1"] != r["output_2"]}  # identical outputs: a draw without a judge call
        units = p.load(ann / name)
        assert len(units) == len([v for v in rows.values() if v is not None and not math.isnan(v)]) > 790
        for u in units:
            assert u.published == pytest.approx(rows[(u.fields["instruction"], u.fields["output_2"])], abs=1e-9)
            assert u.judge == "gpt-4-1106-preview"
        has_raw = sum(u.raw is not None for u in units)
        assert has_raw == (len(units) if name.startswith("claude") else 0)  # FuseChat files store no raw completion
    assert p.load(ann / "gpt4_1106_preview.annotations.json.gz") == []  # identical outputs: no judge call


def test_arena_hard_labels_are_the_stored_scores(shared_dir):
    p = protocol_for("arena_hard")
    col = collect(p, [shared_dir / "official_files" / "arena_hard"])
    assert len(col.files) == 2 and len(col.units) == 2 * (193 + 12) - 19  # 19 games without a verdict
    stored = {}
    for path in col.files:
        for rec in read_records(path):
            for gi, game in enumerate(rec["games"]):
                stored[f"{rec['model']}|{rec['question_id']}|g{gi}"] = game["score"]
    assert all(u.published == stored[u.key] for u in col.units)
    assert Counter(p.collapse(u.published) for u in col.units).keys() == {"A", "B", "tie"}
    game1_b_wins = next(u for u in col.units if u.fields["game"] == 1 and u.published == "B>>A")
    assert p.score(game1_b_wins, "B>>A") == 0.0 and p.score(game1_b_wins, "A>B") == 100.0  # model is A in game 1


def test_mt_bench_ratings_are_the_stored_scores_and_repeated_inputs_count_once(shared_dir):
    p = protocol_for("mt_bench")
    col = collect(p, [shared_dir / "official_files" / "mt_bench"])
    rows = [r for path in col.files for r in read_records(path)]
    assert len(rows) == 1600
    usable = [r for r in rows if r["score"] != -1]
    assert len(col.units) + col.n_duplicates == len(usable) and col.n_duplicates > 0  # mistral-orpo judged twice
    stored = {(r["model"], str(r["question_id"]), r["turn"], r["user_prompt"]): r["score"] for r in usable}
    assert all(u.published == stored[(u.model, u.item_id, u.fields["turn"], u.fields["user_prompt"])]
               for u in col.units)
    assert {u.fields["prompt"] for u in col.units} == {"single-v1", "single-math-v1", "single-v1-multi-turn",
                                                       "single-math-v1-multi-turn"}


def _unit(key: str, sha: str) -> Unit:
    return Unit(key=key, model=key.split("|")[0], item_id=key, input_sha=sha, published=7, raw=None, source="x",
                judge="gpt-4")


def test_draw_is_seeded_and_in_key_order():
    units = [_unit(f"m{i % 3}|{i}", str(i)) for i in range(50)]
    a, b, c = draw(units, 10, 0), draw(list(reversed(units)), 10, 0), draw(units, 10, 1)
    assert [u.key for u in a] == [u.key for u in b] == sorted(u.key for u in a)
    assert [u.key for u in a] != [u.key for u in c]
    assert len(draw(units, 500, 0)) == 50
    with pytest.raises(HarnessError, match="positive"):
        draw(units, 0, 0)


def test_collect_drops_repeated_inputs_and_keeps_keys_unique(tmp_path):
    p = protocol_for("mt_bench")
    base = {"question_id": 81, "model": "m", "judge": ["gpt-4", "single-v1"], "turn": 1}
    recs = [{**base, "user_prompt": "same", "judgment": "Rating: [[6]]", "score": 6},
            {**base, "user_prompt": "same", "judgment": "Rating: [[7]]", "score": 7},  # same input: dropped
            {**base, "user_prompt": "other answer", "judgment": "Rating: [[8]]", "score": 8},  # same key, new input
            {**base, "user_prompt": "x", "judgment": "no rating", "score": -1}]
    path = tmp_path / "model_judgment" / "gpt-4_single.jsonl"
    path.parent.mkdir()
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    col = collect(p, [tmp_path])
    assert [(u.key, u.published) for u in col.units] == [("m|81|t1", 6), ("m|81|t1#2", 8)] and col.n_duplicates == 1
    (tmp_path / "empty").mkdir()
    with pytest.raises(HarnessError, match="no published mt_bench judgments under"):
        collect(p, [tmp_path / "empty"])
    with pytest.raises(HarnessError, match="no such file or directory"):
        collect(p, [tmp_path / "missing"])
