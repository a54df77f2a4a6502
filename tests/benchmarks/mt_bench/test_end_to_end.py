"""End to end through the CLI: a tiny Llama answers MT-Bench (two turns, per-category
temperatures), the local judge server grades the answers through the shared judge client,
and `score` computes FastChat's averages from files only."""

from __future__ import annotations

import hashlib
import json

import pytest

from harness.cli import main
from harness.judges.local_server import LocalJudgeServer, Reply
from harness.store.jsonl import read_jsonl
from tests.helpers.tiny_model import build_tiny_llama


def grading_responder(body):
    """Rating = hash of the conversation; one in seven replies carries no rating at all."""
    h = int(hashlib.sha256(json.dumps(body["messages"]).encode()).hexdigest(), 16)
    if h % 7 == 0:
        return Reply(content="The answer is incoherent; I cannot rate it.")
    return Reply(content=f"The response is short and mostly irrelevant.\n\nRating: [[{1 + h % 10}]]")


@pytest.mark.timeout(300)
def test_generate_judge_score_mt_bench(tmp_path, shared_dir):
    model_dir = build_tiny_llama(tmp_path / "tiny-mt")
    results = tmp_path / "results"
    common = ["--benchmark", "mt_bench", "--results-dir", str(results), "--data-dir", str(shared_dir / "data")]
    # the first 4 questions (writing, T=0.7) plus nothing else keeps it quick; limit applies in order
    assert main(["generate", "--model", str(model_dir), "--template", "llama3", "--backend", "transformers",
                 "--max-new-tokens", "8", "--no-progress", "--limit", "4", *common]) == 0
    (run_path,) = [p.parent for p in results.glob("*/mt_bench/generations.jsonl")]
    gens = list(read_jsonl(run_path / "generations.jsonl"))
    assert sorted({g["turn"] for g in gens}) == [0, 1] and len(gens) == 8
    assert all(g["params"]["temperature"] == 0.7 for g in gens)  # writing questions sample at 0.7
    # turn 2's prompt contains the model's own first answer
    first = {g["item_id"]: g["output"] for g in gens if g["turn"] == 0}
    assert all(first[g["item_id"]].strip() in g["prompt"] for g in gens if g["turn"] == 1 and first[g["item_id"]].strip())
    model_name = gens[0]["model"]

    with LocalJudgeServer(grading_responder, record_bodies=True) as server:
        judge = ["judge", "--model", model_name, "--judge-base-url", server.base_url, "--limit", "4", *common]
        assert main(judge) == 0
        assert server.stats.chat_requests == 8
        assert {b["model"] for b in server.stats.bodies} == {"gpt-4"}
        assert main(judge) == 0
        assert server.stats.chat_requests == 8  # nothing judged twice

    rows = list(read_jsonl(run_path / "annotations.jsonl"))
    assert main(["score", "--model", model_name, *common]) == 0
    scores = json.loads((run_path / "scores.json").read_text())
    valid = [r for r in rows if r["score"] != -1]
    assert scores["metrics"]["mt_bench"] == pytest.approx(sum(r["score"] for r in valid) / len(valid))
    t1 = [r["score"] for r in valid if r["turn"] == 1]
    assert scores["details"]["turn_1"] == (pytest.approx(sum(t1) / len(t1)) if t1 else None)
    assert scores["details"]["n_unparsed"] == len(rows) - len(valid)
