"""`simpo-harness judge` + `score` end to end against the local OpenAI-compatible judge server."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from harness.benchmarks.alpaca_eval import data as ae_data
from harness.benchmarks.alpaca_eval import protocol
from harness.cli import main
from harness.judges.local_server import LocalJudgeServer, scripted_logprob_responder
from harness.store.jsonl import append_jsonl, read_jsonl
from harness.store.layout import RunDir

P_M = 0.3  # the scripted judge always gives P(slot m) = 0.3
MODEL = "tiny-test-model"


@pytest.fixture()
def ae_dir(shared_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return shared_dir / "alpaca_eval_validation_data"


@pytest.fixture()
def run(tmp_path, ae_dir):
    reference, _ = ae_data.load_reference(ae_dir)
    run_dir = RunDir(tmp_path / "results", MODEL, "alpaca_eval").ensure()
    records = []
    for i, ref in enumerate(reference[:6]):
        output = ref["output"] if i == 0 else f"answer {i}: " + ref["instruction"][::-1]
        records.append({"key": f"k{i}", "item_id": f"{i:03d}", "turn": 0, "sample_index": 0, "model": MODEL,
                        "output": output})
    append_jsonl(run_dir.generations, records)
    return run_dir, reference


def _judge(run_dir, ae_dir, url, *extra):
    return main(["judge", "--model", MODEL, "--benchmark", "alpaca_eval", "--judge-base-url", url,
                 "--results-dir", str(run_dir.root), "--data-dir", str(ae_dir), "--judge-concurrency", "4", *extra])


def test_judge_then_score_end_to_end_and_rerun_is_free(run, ae_dir, capsys):
    run_dir, reference = run
    responder = scripted_logprob_responder({"m": math.log(P_M), "M": math.log(1 - P_M), "Both": -12.0})
    with LocalJudgeServer(responder, record_bodies=True) as srv:
        assert _judge(run_dir, ae_dir, srv.base_url) == 0
        assert srv.request_count == 5  # item 000 equals the reference: 1.5 without a call
        bodies = srv.stats.bodies
        rows = list(read_jsonl(run_dir.annotations))
        assert len(rows) == 6
        for row in rows:
            ref = reference[int(row["item_id"])]
            assert row["output_1"] == ref["output"] and row["generator_1"] == "gpt4_1106_preview"
            assert row["generator_2"] == MODEL and row["annotator"] == "weighted_alpaca_eval_gpt4_turbo"
            if row["item_id"] == "000":
                assert row["preference"] == 1.5 and row["cache_key"] is None
                continue
            switched = protocol.is_switched(row["instruction"])
            assert row["is_switched_outputs"] == switched
            assert row["preference"] == pytest.approx(1 + P_M if switched else 2 - P_M)
            assert row["raw_completion"]["text"] == "M"
            assert row["prompt_sha256"] == protocol.prompt_sha256()
        assert {b["model"] for b in bodies} == {"gpt-4-1106-preview"}
        assert all(b["max_tokens"] == 1 and b["logprobs"] is True and b["top_logprobs"] == 5 for b in bodies)

        # rerun: everything already annotated -> zero requests
        assert _judge(run_dir, ae_dir, srv.base_url) == 0
        assert srv.request_count == 5
        # lost annotations file: rebuilt from the judge cache, still zero requests
        run_dir.annotations.unlink()
        assert _judge(run_dir, ae_dir, srv.base_url) == 0
        assert srv.request_count == 5 and len(list(read_jsonl(run_dir.annotations))) == 6
    capsys.readouterr()

    assert main(["score", "--model", MODEL, "--benchmark", "alpaca_eval", "--results-dir", str(run_dir.root),
                 "--data-dir", str(ae_dir)]) == 0
    scores = json.loads(run_dir.scores.read_text())
    prefs = pd.Series([r["preference"] for r in read_jsonl(run_dir.annotations)])
    assert scores["metrics"]["ae2_wr"] == pytest.approx(100 * (prefs - 1).mean())
    assert scores["details"]["se"] == pytest.approx(100 * (prefs - 1).sem())
    gens = [r["output"] for r in read_jsonl(run_dir.generations)]
    assert scores["metrics"]["ae2_length"] == int(sum(map(len, gens)) / len(gens))
    assert scores["details"]["lc_status"] == "unavailable" and "ae2_lc" not in scores["metrics"]
    assert scores["details"]["lc_reason"].startswith("LC unavailable")
    assert scores["status"] == "complete" and scores["incomplete"] is None  # all 6 generated items are judged
    man = scores["manifest"]
    assert man["prompt_sha256"] == protocol.prompt_sha256() and man["alpaca_eval_version"] == "0.6.2"
    assert man["judges"] == [f"gpt-4-1106-preview @ {srv.base_url}"]
    assert man["protocol"] == "weighted_alpaca_eval_gpt4_turbo"
    assert man["judge"]["judge_endpoint"] == srv.base_url and man["judge"]["judge_model"] == "gpt-4-1106-preview"
    assert "LC unavailable" in capsys.readouterr().out
    usage = list(read_jsonl(run_dir.path / "judge_runs.jsonl"))
    assert [u["calls"] for u in usage] == [5, 0, 0] and usage[2]["cache_hits"] == 5


def test_changed_output_is_judged_again(run, ae_dir):
    run_dir, _ = run
    responder = scripted_logprob_responder({"m": math.log(P_M), "M": math.log(1 - P_M)})
    with LocalJudgeServer(responder) as srv:
        assert _judge(run_dir, ae_dir, srv.base_url) == 0
        append_jsonl(run_dir.generations, [{"key": "k3-new", "item_id": "003", "turn": 0, "sample_index": 0,
                                            "model": MODEL, "output": "a brand new answer"}])
        assert _judge(run_dir, ae_dir, srv.base_url) == 0
        assert srv.request_count == 6


def test_failed_calls_are_nan_and_retried_next_run(run, ae_dir):
    run_dir, _ = run
    from harness.judges.local_server import Faults

    with LocalJudgeServer(scripted_logprob_responder({"m": -1.0, "M": -0.5}), faults=Faults(rate_500=1.0)) as srv:
        assert _judge(run_dir, ae_dir, srv.base_url, "--judge-max-retries", "0") == 1  # incomplete: non-zero
    rows = list(read_jsonl(run_dir.annotations))
    assert sum(r["preference"] is None for r in rows) == 5
    with LocalJudgeServer(scripted_logprob_responder({"m": -1.0, "M": -0.5})) as srv:
        assert _judge(run_dir, ae_dir, srv.base_url) == 0
        assert srv.request_count == 5
    assert main(["score", "--model", MODEL, "--benchmark", "alpaca_eval", "--results-dir", str(run_dir.root)]) == 0
    assert json.loads(run_dir.scores.read_text())["details"]["n_failed"] == 0


def test_score_external_outputs_predicts_published_lc(ae_dir, tmp_path, capsys):
    out = tmp_path / "scores.json"
    assert main(["score", "--benchmark", "alpaca_eval", "--data-dir", str(ae_dir), "--out", str(out), "--outputs",
                 str(ae_dir / "model_outputs/Llama-3-Instruct-8B-SimPO.model_outputs.json.gz")]) == 0
    scores = json.loads(out.read_text())
    assert round(scores["metrics"]["ae2_lc"], 6) == 44.651313
    assert scores["metrics"]["ae2_length"] == 1825
    assert scores["details"]["lc_status"] == "predicted-from-published-weights"


def test_score_external_annotations_equals_leaderboard(ae_dir, tmp_path):
    out = tmp_path / "s.json"
    assert main(["score", "--benchmark", "alpaca_eval", "--data-dir", str(ae_dir), "--out", str(out),
                 "--annotations", str(ae_dir / "annotations/claude-2.1.annotations.json.gz")]) == 0
    scores = json.loads(out.read_text())
    assert scores["metrics"]["ae2_wr"] == pytest.approx(15.733506736409938, abs=1e-9)
    assert scores["details"]["se"] == pytest.approx(1.120315865445773, abs=1e-9)
    assert scores["metrics"]["ae2_lc"] == pytest.approx(25.251943886133027, abs=1e-6)


def test_user_errors_are_one_line(tmp_path, ae_dir, capsys, monkeypatch):
    monkeypatch.delenv("NOPE_KEY", raising=False)
    rc = main(["judge", "--model", "ghost", "--benchmark", "alpaca_eval", "--results-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and "no results for model 'ghost'" in err and "Traceback" not in err
    RunDir(tmp_path, "m", "alpaca_eval").ensure()
    rc = main(["judge", "--model", "m", "--benchmark", "alpaca_eval", "--results-dir", str(tmp_path),
               "--data-dir", str(ae_dir), "--judge-api-key-env", "NOPE_KEY"])
    err = capsys.readouterr().err  # no key, no endpoint: the embedded judge, announced (then no generations)
    assert rc == 2 and "no API key in $NOPE_KEY" in err and "no AlpacaEval generations" in err
    rc = main(["score", "--benchmark", "alpaca_eval", "--outputs", str(tmp_path / "missing.json")])
    assert rc == 2 and "file not found" in capsys.readouterr().err
    rc = main(["judge", "--model", "m", "--benchmark", "alpaca_evl", "--results-dir", str(tmp_path)])
    assert rc == 2 and "did you mean 'alpaca_eval'" in capsys.readouterr().err


def test_killed_judge_run_loses_no_paid_call(tmp_path, ae_dir):
    """SIGKILL mid-run: every answered call is already in the cache, so the rerun only asks the rest."""
    import signal
    import subprocess
    import sys
    import time

    reference, _ = ae_data.load_reference(ae_dir)
    run_dir = RunDir(tmp_path / "results", MODEL, "alpaca_eval").ensure()
    append_jsonl(run_dir.generations, [{"key": f"k{i}", "item_id": f"{i:03d}", "turn": 0, "sample_index": 0,
                                        "model": MODEL, "output": f"out {i}"} for i in range(30)])
    responder = scripted_logprob_responder({"m": -1.2, "M": -0.4})
    with LocalJudgeServer(responder, latency_s=0.25) as srv:
        cmd = [sys.executable, "-m", "harness", "judge", "--model", MODEL, "--benchmark", "alpaca_eval",
               "--judge-base-url", srv.base_url, "--results-dir", str(run_dir.root), "--data-dir", str(ae_dir),
               "--judge-concurrency", "2", "--limit", "30"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while srv.request_count < 8 and time.time() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        first = srv.request_count
        assert 8 <= first < 30
        assert _judge(run_dir, ae_dir, srv.base_url, "--limit", "30") == 0
        # at most the 2 calls in flight at the kill are asked again
        assert 30 <= srv.request_count <= 32
    rows = list(read_jsonl(run_dir.annotations))
    assert len(rows) == 30 and all(r["preference"] is not None for r in rows)
