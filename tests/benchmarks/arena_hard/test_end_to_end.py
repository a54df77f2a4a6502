"""End to end through the CLI: a tiny Llama generates Arena-Hard answers, the local
OpenAI-compatible judge server judges them (through the shared judge client, with injected
5xx faults), and `score` computes the result from files only."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from harness.benchmarks.arena_hard.benchmark import protocol, read_generations
from harness.cli import main
from harness.judges.local_server import Faults, LocalJudgeServer, Reply
from harness.store.jsonl import read_jsonl
from tests.helpers.arena_reference import official_scores
from tests.helpers.tiny_model import build_tiny_llama

LABELS = ["A>>B", "A>B", "A=B", "B>A", "B>>A"]


def arena_responder(body):
    """A deterministic judge: the verdict is a hash of the conversation; some replies have no label."""
    msgs = body["messages"]
    assert msgs[0]["role"] == "system" and msgs[0]["content"] == protocol.SYSTEM_PROMPT
    h = int(hashlib.sha256(json.dumps(msgs).encode()).hexdigest(), 16)
    if len(msgs) == 2 and h % 5 == 0:
        return Reply(content="Both answers are short. I need to think more.")
    return Reply(content=f"My own answer first... My final verdict is: [[{LABELS[h % 5]}]]")


@pytest.mark.timeout(300)
def test_generate_judge_score_arena_hard(tmp_path, shared_dir):
    model_dir = build_tiny_llama(tmp_path / "tiny-arena")
    data = shared_dir / "data" / "arena_hard_v0.1"
    results = tmp_path / "results"
    common = ["--benchmark", "arena_hard", "--results-dir", str(results), "--data-dir", str(data)]
    assert main(["generate", "--model", str(model_dir), "--template", "llama3", "--backend", "transformers",
                 "--max-new-tokens", "12", "--no-progress", "--limit", "6", *common]) == 0
    (run_path,) = [p.parent for p in results.glob("*/arena_hard/generations.jsonl")]
    model_name = next(read_jsonl(run_path / "generations.jsonl"))["model"]

    with LocalJudgeServer(arena_responder, faults=Faults(rate_500=0.2, seed=1)) as server:
        judge = ["judge", "--model", model_name, "--judge-base-url", server.base_url, "--judge-max-retries", "6", "--limit", "6",
                 *common]
        assert main(judge) == 0
        first = server.stats.chat_requests
        assert first >= 12  # two games per question (+ second attempts, + retried faults)
        assert main(judge) == 0  # resumed: every game is already judged
        assert server.stats.chat_requests == first

    games = list(read_jsonl(run_path / "annotations.jsonl"))
    assert len(games) == 12 and all(g["error"] is None for g in games)
    assert any(g["attempts"] == 2 for g in games)

    assert main(["score", "--model", model_name, *common]) == 0
    scores = json.loads((run_path / "scores.json").read_text())
    assert scores["benchmark"] == "arena_hard" and scores["n"] == 6
    # the same numbers from the official per-round scikit-learn procedure on the same battles
    # battle rows in benchmark question order (the store's order), game 0 then game 1
    order = {r.item_id: i for i, r in enumerate(read_generations(run_path))}
    games.sort(key=lambda g: (order[g["item_id"]], g["game"]))
    battles = pd.DataFrame(protocol.battles_from_games(games))
    ref = official_scores(battles, "gpt-4-0314")[model_name]
    assert scores["metrics"]["ah"] == round(ref["score"], 2)
    assert scores["ci"]["ah"] == [round(ref["lower"], 2), round(ref["upper"], 2)]
    assert scores["metrics"]["ah_length"] > 0
