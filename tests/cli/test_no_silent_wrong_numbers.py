"""Issue "No silent wrong numbers": every case where a score used to be different or incomplete
without saying so, each checked through the CLI (on the official files where they apply)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from harness.cli import main
from harness.store.jsonl import append_jsonl, read_records, write_json_atomic
from harness.store.layout import RunDir
from tests.helpers import run_env

OFFICIAL = "official_files/alpaca_eval/results"


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"  # nothing listens there any more: every call is refused


def _native_alpaca_run(root: Path, model: str, outputs: list[dict]) -> RunDir:
    """A run directory holding ``outputs`` as generations, as `generate` would have written them."""
    run = RunDir(root, model, "alpaca_eval").ensure()
    append_jsonl(run.generations, [{"key": f"k{i}", "item_id": f"{i:03d}", "item_index": i, "turn": 0,
                                    "sample_index": 0, "model": model, "output": o["output"], "run_config": "c"}
                                   for i, o in enumerate(outputs)])
    write_json_atomic(run.generation_manifest, {"run_config": "c", "n_items": len(outputs), "limit": None})
    return run


@pytest.mark.timeout(600)
def test_failed_judge_calls_give_an_incomplete_score_without_lc(shared_dir, tmp_path, offline, capsys):
    """claude-2's 805 outputs judged against a closed port: 804 calls fail (one output equals the
    reference: a draw without a call). The score says so, exits 1, gives no LC, and tables flag it."""
    data = shared_dir / "alpaca_eval_validation_data"
    outputs = read_records(shared_dir / OFFICIAL / "claude-2/model_outputs.json.gz")
    run = _native_alpaca_run(tmp_path, "claude-2", outputs)
    common = ["--model", "claude-2", "--benchmark", "alpaca_eval", "--results-dir", str(tmp_path),
              "--data-dir", str(data), "--no-progress"]
    assert main(["judge", *common, "--judge-base-url", _closed_port_url(), "--judge-max-retries", "0"]) == 1
    assert "804 judge calls failed (first: " in capsys.readouterr().err  # with the reason stored
    assert main(["score", *common]) == 1
    err = capsys.readouterr().err
    assert "incomplete score: claude-2 alpaca_eval: 1 of 805 instructions scored; 804 judge call(s) failed" in err
    scores = json.loads(run.scores.read_text())
    assert scores["status"] == "incomplete" and scores["incomplete"]["n_failed"] == 804
    assert "ae2_lc" not in scores["metrics"] and "judgments are incomplete" in scores["details"]["lc_reason"]
    assert main(["score", *common, "--allow-incomplete"]) == 0
    capsys.readouterr()
    assert main(["table", "--models", "claude-2", "--results-dir", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    assert "50.0*" in table and "* claude-2 alpaca_eval: incomplete (1 of 805 instructions scored" in table


@pytest.mark.parametrize("model", ["claude-2", "alpaca-7b", "gpt35_turbo_instruct", "phi-2", "alpaca-7b_verbose"])
def test_official_annotation_files_score_to_the_leaderboard(shared_dir, tmp_path, model):
    """LC (to 1e-6), WR, SE and length exactly as published, from the annotations file alone; the files
    with fewer than 805 rows are scored as alpaca-eval 0.6.2 does, and flagged incomplete."""
    data = shared_dir / "alpaca_eval_validation_data"
    import pandas as pd

    board = pd.read_csv(data / "leaderboards/weighted_alpaca_eval_gpt4_turbo_leaderboard.v0.6.2.csv", index_col=0)
    published = board.loc[model]
    out = tmp_path / "s.json"
    ann = shared_dir / OFFICIAL / model / "weighted_alpaca_eval_gpt4_turbo/annotations.json.gz"
    argv = ["score", "--benchmark", "alpaca_eval", "--annotations", str(ann), "--data-dir", str(data), "--out", str(out)]
    rc = main(argv)
    scores = json.loads(out.read_text())
    assert rc == (0 if model in ("claude-2", "alpaca-7b") else 1)  # the partial files exit 1: incomplete
    assert scores["metrics"]["ae2_lc"] == pytest.approx(published["length_controlled_winrate"], abs=1e-6)
    assert scores["metrics"]["ae2_wr"] == pytest.approx(published["win_rate"], abs=1e-9)
    assert scores["details"]["se"] == pytest.approx(published["standard_error"], abs=1e-9)
    assert scores["metrics"]["ae2_length"] == published["avg_length"]
    assert scores["status"] == ("complete" if model in ("claude-2", "alpaca-7b") else "incomplete")


def test_lc_unavailable_names_exactly_what_is_missing(shared_dir, tmp_path, capsys):
    ann = shared_dir / OFFICIAL / "claude-2/weighted_alpaca_eval_gpt4_turbo/annotations.json.gz"
    assert main(["score", "--benchmark", "alpaca_eval", "--annotations", str(ann), "--model", "my-claude"]) == 0
    out = capsys.readouterr().out
    assert "LC unavailable" in out and "cannot verify that these judgments are the published ones of 'my-claude'" in out
    rows = read_records(ann)
    rows[0] = {**rows[0], "preference": 2.0 if float(rows[0]["preference"]) < 1.5 else 1.0}  # one verdict changed
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(rows))
    assert main(["score", "--benchmark", "alpaca_eval", "--annotations", str(edited), "--data-dir",
                 str(shared_dir / "alpaca_eval_validation_data")]) == 0
    assert "these judgments are not the published ones of 'claude-2'" in capsys.readouterr().out


def test_an_alpaca_eval_checkout_works_as_data_dir(shared_dir, tmp_path):
    """--data-dir may be a tatsu-lab/alpaca_eval checkout: weights and leaderboard under src/alpaca_eval/."""
    src = shared_dir / "alpaca_eval_validation_data"
    checkout = tmp_path / "alpaca_eval"
    weights = checkout / "src/alpaca_eval/metrics/weights/weighted_alpaca_eval_gpt4_turbo/length_controlled_v1"
    boards = checkout / "src/alpaca_eval/leaderboards/data_AlpacaEval_2"
    weights.mkdir(parents=True)
    boards.mkdir(parents=True)
    (weights / "baseline_gpt4_1106_preview.csv").write_bytes((src / "glm_weights/baseline_gpt4_1106_preview.v0.6.2.csv").read_bytes())
    (boards / "weighted_alpaca_eval_gpt4_turbo_leaderboard.csv").write_bytes(
        (src / "leaderboards/weighted_alpaca_eval_gpt4_turbo_leaderboard.v0.6.2.csv").read_bytes())
    (checkout / "annotations").mkdir()
    for f in (src / "annotations").glob("*glm_preference*"):  # instruction difficulty comes from these
        (checkout / "annotations" / f.name).write_bytes(f.read_bytes())
    out = tmp_path / "s.json"
    ann = shared_dir / OFFICIAL / "alpaca-7b/weighted_alpaca_eval_gpt4_turbo/annotations.json.gz"
    assert main(["score", "--benchmark", "alpaca_eval", "--annotations", str(ann), "--data-dir", str(checkout),
                 "--out", str(out)]) == 0
    assert json.loads(out.read_text())["metrics"]["ae2_lc"] == pytest.approx(5.875487163278986, abs=1e-6)


def test_one_data_dir_serves_every_benchmark_and_a_foreign_file_is_refused(shared_dir, tmp_path, offline, capsys):
    from harness.benchmarks import get_benchmark
    from harness.errors import HarnessError

    data = shared_dir / "data"  # arena_hard_v0.1/ and mt_bench/ side by side
    assert len(get_benchmark("arena_hard").load_items(data)) == 500
    assert len(get_benchmark("mt_bench").load_items(data)) == 80
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "question.jsonl").write_bytes((data / "mt_bench/question.jsonl").read_bytes())
    with pytest.raises(HarnessError, match=r"not an Arena-Hard question file \(it looks like MT-Bench's\); Arena-Hard "
                                           r"reads <data-dir>/arena_hard_v0.1/question.jsonl"):
        get_benchmark("arena_hard").load_items(flat)


def test_dry_run_plans_a_registry_model_offline_without_its_tokenizer(tmp_path, offline, monkeypatch):
    import time

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # nothing cached
    start = time.monotonic()
    proc = run_env.run_cli(["run", "--model", "Llama-3-Instruct-8B-SimPO", "--benchmarks", "mt_bench",
                            "--results-dir", str(tmp_path / "r"), "--dry-run"], timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - start < 30
    assert "estimate: the tokenizer is not available locally" in proc.stdout
    assert " mt_bench " in proc.stdout and not (tmp_path / "r").exists()


def test_run_with_the_openai_backend_needs_and_uses_api_base(tmp_path, offline):
    from harness.judges.local_server import LocalJudgeServer, Reply

    env = run_env.make_env(tmp_path)

    def openai_argv(*extra: str) -> list[str]:
        argv = env.argv(tmp_path / "r", *extra)
        i = argv.index("--batch-size")  # a transformers option: refused for another backend
        return argv[:i] + argv[i + 2:]

    proc = run_env.run_cli(env.argv(tmp_path / "r", None, "--backend", "openai", "--dry-run"))
    assert proc.returncode == 2 and "--batch-size applies to --backend transformers, not 'openai'" in proc.stderr
    argv = openai_argv(None, "--backend", "openai", "--dry-run")
    proc = run_env.run_cli(argv)
    assert proc.returncode == 2 and "--api-base is required with --backend openai" in proc.stderr
    assert "Traceback" not in proc.stderr
    with LocalJudgeServer(lambda body: Reply(content="An answer.")) as server, \
            LocalJudgeServer(lambda body: Reply(content="m", top_logprobs=[{"m": -0.3, "M": -1.4}])) as judge:
        argv = openai_argv(judge.base_url, "--backend", "openai", "--api-base", server.base_url,
                           "--openai-mode", "chat")
        proc = run_env.run_cli(argv)
        assert proc.returncode == 0, proc.stderr
        assert server.request_count == run_env.N_ITEMS
    assert {g["backend"] for g in run_env.generations(tmp_path / "r")} == {"openai"}


def test_mt_bench_scores_one_judge_at_a_time(tmp_path, offline, capsys):
    """Judgments of two judges in one run directory are never blended: `score` lists them and asks for a
    choice; each judge alone gives its own mean."""
    from harness.benchmarks import get_benchmark
    from harness.benchmarks.base import JudgeOptions
    from tests.helpers.fake_judge import FakeJudgeClient

    bench = get_benchmark("mt_bench")
    items = [it for it in bench.load_items() if it.category not in ("math", "reasoning", "coding")][:4]
    run = RunDir(tmp_path, "m", "mt_bench").ensure()
    append_jsonl(run.generations, [{"key": f"{it.item_id}-{t}", "item_id": it.item_id, "turn": t, "sample_index": 0,
                                    "model": "m", "output": f"answer {t}"} for it in items for t in (0, 1)])

    def rater(score: int) -> FakeJudgeClient:
        client = FakeJudgeClient(lambda req: f"fine. Rating: [[{score}]]")
        client.endpoint = "https://api.openai.com/v1"
        return client

    bench.judge(run.path, rater(9), items, JudgeOptions(judge_model="gpt-4"))
    bench.judge(run.path, rater(3), items[:1], JudgeOptions(judge_model="gpt-4-1106-preview"))
    common = ["score", "--model", "m", "--benchmark", "mt_bench", "--results-dir", str(tmp_path)]
    assert main(common) == 2
    err = capsys.readouterr().err
    assert "holds judgments by 2 judges" in err and "gpt-4 @ https://api.openai.com/v1: 8 judgments" in err
    assert main([*common, "--judge-model", "gpt-4"]) == 0
    assert json.loads(run.scores.read_text())["metrics"]["mt_bench"] == 9.0
    capsys.readouterr()
    assert main([*common, "--judge-model", "gpt-4-1106-preview"]) == 1  # 2 of 8 turns: incomplete
    scores = json.loads(run.scores.read_text())
    assert scores["metrics"]["mt_bench"] == 3.0 and scores["status"] == "incomplete"


def test_zeroeval_partial_run_reports_zeroevals_number_and_the_full_set_one(tmp_path, offline, capsys):
    """ZeroEval divides by the items in its output file; a run missing items says so and is incomplete."""
    from harness.benchmarks.zeroeval import data

    data_dir = tmp_path / "data"
    (data_dir / "gsm8k").mkdir(parents=True)
    (data_dir / "gsm8k/test.jsonl").write_text("".join(json.dumps({"question": f"{i}+{i}?", "answer": f"#### {2 * i}"})
                                                      + "\n" for i in range(4)))
    items = data.load_gsm8k(data_dir, "test")[0]
    run = RunDir(tmp_path / "r", "m", "gsm8k").ensure()
    answers = ['{"reasoning": "ok", "answer": "0"}', '{"reasoning": "ok", "answer": "2"}',
               '{"reasoning": "no", "answer": "5"}']  # item 3 never generated
    append_jsonl(run.generations, [{"key": f"k{i}", "item_id": items[i]["id"], "turn": 0, "sample_index": 0,
                                    "model": "m", "output": a} for i, a in enumerate(answers)])
    write_json_atomic(run.generation_manifest, {"n_items": 4, "limit": None})
    common = ["score", "--model", "m", "--benchmark", "gsm8k", "--results-dir", str(tmp_path / "r"),
              "--data-dir", str(data_dir)]
    assert main(common) == 1
    assert "3 of 4 items scored; 1 item(s) not generated" in capsys.readouterr().err
    scores = json.loads(run.scores.read_text())
    assert scores["metrics"]["gsm"] == pytest.approx(200 / 3)  # ZeroEval's: 2 correct of the 3 in the file
    assert scores["details"]["accuracy_full_set"] == pytest.approx(50.0)  # 2 of the 4 items
    assert scores["status"] == "incomplete"
