"""`simpo-harness judge-agreement` end to end against local OpenAI-compatible servers.

A replay server answers each published judge input with the published raw judge output (AlpacaEval's
raw_completion logprobs, Arena-Hard's and FastChat's judgment text), so the new verdicts must be the
published ones: agreement 1, kappa 1. A coin-flip server (a verdict from a hash of the prompt) must
agree no better than chance.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.agreement.base import protocol_for
from harness.agreement.sample import collect
from harness.cli import main
from harness.judges.local_server import LocalJudgeServer, hashed_preference_responder
from harness.store.jsonl import read_jsonl
from tests.helpers.fake_batch_api import FakeBatchAPI
from tests.helpers.replay_judge import replay_responder

SOURCES = {"alpaca_eval": ("official_files", "alpaca_eval"), "arena_hard": ("official_files", "arena_hard"),
           "mt_bench": ("official_files", "mt_bench")}


def _source(shared_dir, bench: str):
    return shared_dir.joinpath(*SOURCES[bench])


def _argv(bench, source, results, url, *extra) -> list[str]:
    return ["judge-agreement", "--benchmark", bench, "--judgments", str(source), "--judge-model", "judge-x",
            "--judge-base-url", url, "--results-dir", str(results), "--no-progress", "--judge-backoff", "0.01",
            "--format", "json", *extra]


def _report(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def replay(shared_dir):
    """bench -> a replay responder over every published unit of its source."""
    out = {}
    for bench in SOURCES:
        p = protocol_for(bench)
        out[bench] = replay_responder(p, collect(p, [_source(shared_dir, bench)]).units)
    return out


def test_alpaca_eval_200_replay_agrees_fully_and_a_coin_flip_does_not(shared_dir, replay, tmp_path, capsys):
    source = _source(shared_dir, "alpaca_eval")
    with LocalJudgeServer(replay["alpaca_eval"], record_bodies=True) as srv:
        assert main(_argv("alpaca_eval", source, tmp_path, srv.base_url)) == 0
        calls = srv.request_count
        body = srv.stats.bodies[0]
    rep = _report(capsys)
    a = rep["agreement"]
    assert rep["sample"]["n"] == 200 and rep["n_judged"] == 200 and calls == 200 and rep["status"] == "complete"
    assert (a["exact"], a["collapsed"], a["kappa"]) == (1.0, 1.0, 1.0)
    assert rep["rankings"]["n_models"] == 5 and rep["rankings"]["spearman"] == pytest.approx(1.0)
    assert rep["score_shift"]["overall"]["shift"] == pytest.approx(0.0, abs=1e-9)
    assert (body["model"], body["max_tokens"], body["top_logprobs"], body["temperature"]) == ("judge-x", 1, 5, 1.0)
    work = rep["work_dir"]
    rows = list(read_jsonl(Path(work) / "units_n200_seed0.jsonl"))
    assert len(rows) == 200 and all(r["published_label"] == r["new_label"] for r in rows)

    with LocalJudgeServer(hashed_preference_responder) as coin:
        assert main(_argv("alpaca_eval", source, tmp_path, coin.base_url)) == 0
        url = coin.base_url
        coin_calls = coin.request_count
    coin_rep = _report(capsys)
    assert coin_calls == 200 and abs(coin_rep["agreement"]["kappa"]) <= 0.2
    assert 0.35 < coin_rep["agreement"]["exact"] < 0.65
    with LocalJudgeServer(hashed_preference_responder, port=int(url.rsplit(":", 1)[1].split("/")[0])) as again:
        assert main(_argv("alpaca_eval", source, tmp_path, again.base_url)) == 0  # resumed: all cached
        assert again.request_count == 0
    assert _report(capsys)["n_cached"] == 200


@pytest.mark.parametrize("bench", ["arena_hard", "mt_bench"])
def test_replay_gives_agreement_one_and_kappa_one(shared_dir, replay, tmp_path, capsys, bench):
    with LocalJudgeServer(replay[bench]) as srv:
        assert main(_argv(bench, _source(shared_dir, bench), tmp_path, srv.base_url, "--sample", "120")) == 0
    rep = _report(capsys)
    a = rep["agreement"]
    assert rep["n_judged"] == 120 and (a["exact"], a["collapsed"], a["kappa"]) == (1.0, 1.0, 1.0)
    for model in rep["score_shift"]["per_model"].values():
        assert model["shift"] == pytest.approx(0.0, abs=1e-9)
    if bench == "mt_bench":
        r = rep["ratings"]
        assert r["pearson"] == pytest.approx(1.0) and r["mean_shift"]["shift"] == pytest.approx(0.0, abs=1e-9)
        assert rep["rankings"]["kendall_tau_b"] == pytest.approx(1.0) and rep["rankings"]["n_models"] >= 3
    else:
        assert a["kappa_collapsed"] == 1.0 and rep["rankings"]["spearman"] is None  # two models only


def test_dry_run_prices_every_preset_and_writes_nothing(shared_dir, replay, tmp_path, capsys):
    source = _source(shared_dir, "arena_hard")
    argv = ["judge-agreement", "--benchmark", "arena_hard", "--judgments", str(source), "--judge", "gpt-4.1",
            "--results-dir", str(tmp_path), "--sample", "50", "--dry-run"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if line.startswith("| ") and "arena_hard" in line}
    assert set(rows) == {"gpt-4.1 (selected)", "gpt-4-1106-preview", "llama-3.1-70b-instruct", "qwen2.5-72b-instruct"}
    assert "| arena_hard | yes | 50 | 0 |" in rows["gpt-4-1106-preview"] and "self-hosted" in rows["qwen2.5-72b-instruct"]
    assert not tmp_path.joinpath("judge_agreement").exists()


def test_batch_mode_sends_the_whole_sample_in_one_batch(shared_dir, replay, tmp_path, capsys):
    """MT-Bench judges 64 turns per call; through the Batch API all 100 go out as one batch."""
    source = _source(shared_dir, "mt_bench")
    with FakeBatchAPI(replay["mt_bench"]) as api:
        assert main(_argv("mt_bench", source, tmp_path, api.base_url, "--sample", "100", "--judge-batch",
                          "--judge-batch-poll", "0.05")) == 0
        creations = list(api.creations)
    rep = _report(capsys)
    assert len(creations) == 1 and len(creations[0]["custom_ids"]) == 100
    assert rep["agreement"]["kappa"] == 1.0 and rep["judge"]["judge_transport"] == "batch"
    assert rep["usage"]["pricing"] == "batch" and rep["usage"]["batches"] == 1


def test_failed_calls_make_the_report_incomplete_and_a_rerun_retries_only_those(shared_dir, replay, tmp_path, capsys):
    source = _source(shared_dir, "mt_bench")
    table = replay["mt_bench"]

    def flaky(body):
        if "Write a" in body["messages"][-1]["content"]:
            raise RuntimeError("down")  # a 500 for these prompts
        return table(body)

    with LocalJudgeServer(flaky) as srv:
        port = srv.port
        assert main(_argv("mt_bench", source, tmp_path, srv.base_url, "--sample", "60", "--judge-max-retries", "0")) == 1
    first = _report(capsys)
    assert first["status"] == "incomplete" and 0 < first["n_failed"] < 60
    with LocalJudgeServer(table, port=port) as srv:
        assert main(_argv("mt_bench", source, tmp_path, srv.base_url, "--sample", "60")) == 0
        assert srv.request_count == first["n_failed"]
    assert _report(capsys)["agreement"]["exact"] == 1.0


def test_a_results_directory_is_a_source(baseline, tmp_path, capsys):
    """A native run's judgments (its annotations.jsonl, the judge its score used) replay exactly too."""
    from tests.helpers import run_env

    run = run_env.run_dir(baseline.results_dir)
    p = protocol_for("alpaca_eval")
    units = p.load(run / "annotations.jsonl")
    assert len(units) == sum(1 for a in run_env.annotations(baseline.results_dir) if a["cache_key"] is not None)
    assert {u.judge for u in units} == {"gpt-4-1106-preview"} and all(u.raw is not None for u in units)
    with LocalJudgeServer(replay_responder(p, units)) as srv:
        assert main(_argv("alpaca_eval", run, tmp_path, srv.base_url)) == 0
    rep = _report(capsys)
    assert rep["n_judged"] == len(units) and rep["agreement"]["exact"] == 1.0
    assert rep["sample"]["files"] == [str(run / "annotations.jsonl")]
