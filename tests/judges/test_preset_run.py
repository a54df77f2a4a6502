"""`run --judge PRESET` end to end on the CLI: an open preset judged by the local OpenAI-compatible
test server standing in for its vLLM server; what results record; the dry run's cost per preset;
and the judge flags that contradict each other fail as one line."""

from __future__ import annotations

import json

import pytest

from harness.cli import main
from harness.judges.local_server import LocalJudgeServer, hashed_preference_responder
from harness.judges.presets import get_preset
from harness.store.jsonl import read_jsonl
from tests.helpers import run_env
from tests.helpers.run_env import MODEL_NAME, N_ITEMS

OPEN = "llama-3.1-70b-instruct"


def test_run_with_an_open_preset_against_the_local_server(baseline, tmp_path, capsys):
    preset = get_preset(OPEN)
    done = baseline.copy_results(tmp_path / "r")
    with LocalJudgeServer(hashed_preference_responder, model_names=(preset.model,), record_bodies=True) as srv:
        argv = baseline.env.argv(done, srv.base_url, "--judge", OPEN)
        assert main(argv) == 0
        bodies = srv.stats.bodies
        url = srv.base_url
    out = capsys.readouterr().out
    judged = sum(1 for a in run_env.annotations(baseline.results_dir) if a["cache_key"] is not None)
    assert len(bodies) == judged and {b["model"] for b in bodies} == {preset.model}
    assert {(b["max_tokens"], b["temperature"], b["logprobs"], b["top_logprobs"]) for b in bodies} == {(1, 1.0, True, 5)}
    scores = run_env.scores(done)
    assert (scores["details"]["judge_model"], scores["details"]["judge_endpoint"]) == (preset.model, url)
    last = list(read_jsonl(run_env.run_dir(done) / "judge_runs.jsonl"))[-1]
    assert (last["judge_preset"], last["judge_preset_version"], last["judge_preset_sha256"]) == (
        OPEN, 1, preset.sha256)
    assert last["judge_official"] is False and last["judge_transport"] == "live"
    assert scores["manifest"]["judge"]["judge_preset_sha256"] == preset.sha256
    assert scores["manifest"]["this_run"]["judge"]["judge_prompts_sha256"]["alpaca_eval_clf"] == \
        preset.judging("alpaca_eval").prompts[0].sha256
    assert f"alpaca_eval judge ({preset.model} @ {url}): {judged} calls" in out and "self-hosted" in out
    table = (done / "tables" / f"{MODEL_NAME}.md").read_text(encoding="utf-8")
    assert "\u2020" in table.splitlines()[2]  # the reproduced cells of the row are marked
    assert f"\u2020 {MODEL_NAME} alpaca_eval: judged by {preset.model} @ {url}, not the official judge" in table

    assert main(argv + ["--dry-run"]) == 0
    plan = capsys.readouterr().out
    rows = {line.split("|")[1].strip(): line.split("|") for line in plan.splitlines()
            if line.startswith("| ") and "| alpaca_eval |" in line}
    assert set(rows) == {f"{OPEN} (selected)", "gpt-4-1106-preview", "gpt-4.1", "qwen2.5-72b-instruct"}
    assert rows[f"{OPEN} (selected)"][4:6] == [f" {N_ITEMS} ", f" {judged} "]  # calls, cached: already judged
    assert rows["gpt-4-1106-preview"][3].strip() == "yes" and rows["gpt-4-1106-preview"][8].strip().startswith("$")


@pytest.mark.parametrize(("flags", "message"), [
    (("--serve-judge",), r"--serve-judge needs --judge PRESET"),
    (("--judge", OPEN, "--judge-base-url", "http://127.0.0.1:9/v1", "--judge-model", "x"), r"contradicts it"),
    (("--judge", OPEN), r"is an open model served by vLLM: pass --serve-judge"),
    (("--judge", "gpt-4"), r"judge preset 'gpt-4' has no 'alpaca_eval' protocol"),
    (("--judge", "gpt4.1"), r"did you mean 'gpt-4.1'"),
    (("--judge", "gpt-4.1", "--serve-judge"), r"served by OpenAI, not by a local vLLM server"),
    (("--judge-batch",), r"--judge-batch needs OpenAI's Batch API: set \$OPENAI_API_KEY"),
    (("--judge", OPEN, "--judge-batch", "--judge-base-url", "http://127.0.0.1:9/v1"), r"no batch endpoint"),
])
def test_contradictory_judge_flags_are_one_line_errors(tmp_path, offline, capsys, flags, message):
    import re

    argv = ["run", "--model", "tiny-missing-model", "--benchmarks", "alpaca_eval", "--results-dir", str(tmp_path),
            "--dry-run", *flags]
    assert main(argv) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and re.search(message, err[0]), err


def test_judge_agreement_json_report_names_the_preset(shared_dir, tmp_path, capsys):
    from harness.agreement.base import protocol_for
    from harness.agreement.sample import collect
    from tests.helpers.replay_judge import replay_responder

    source = shared_dir / "official_files" / "arena_hard"
    p = protocol_for("arena_hard")
    with LocalJudgeServer(replay_responder(p, collect(p, [source]).units), record_bodies=True) as srv:
        assert main(["judge-agreement", "--benchmark", "arena_hard", "--judgments", str(source), "--judge", OPEN,
                     "--judge-base-url", srv.base_url, "--sample", "20", "--results-dir", str(tmp_path),
                     "--no-progress", "--format", "json"]) == 0
        models = {b["model"] for b in srv.stats.bodies}
    rep = json.loads(capsys.readouterr().out)
    assert models == {get_preset(OPEN).model} and rep["judge"]["judge_preset"] == OPEN
    assert rep["judge"]["judge_preset_sha256"] == get_preset(OPEN).sha256 and rep["agreement"]["exact"] == 1.0


def test_an_openai_preset_without_a_key_fails_before_generation_but_a_dry_run_plans_it(tmp_path, offline, capsys):
    argv = ["run", "--model", "tiny-missing-model", "--benchmarks", "alpaca_eval", "--results-dir", str(tmp_path),
            "--judge", "gpt-4.1", "--judge-batch"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "judge preset 'gpt-4.1' is served by OpenAI: set $OPENAI_API_KEY" in err[0]
