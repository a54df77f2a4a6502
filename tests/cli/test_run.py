"""`simpo-harness run`: dry-run plans, cached reruns (no model, no judge) and one-line errors."""

from __future__ import annotations

import json
import re

import pytest

import harness.backends as backends
import harness.model_loading as model_loading
from harness.cli import main
from harness.judges.local_server import LocalJudgeServer, hashed_preference_responder
from tests.helpers import run_env
from tests.helpers.run_env import MODEL_NAME, N_ITEMS


def _plan_row(out: str, benchmark: str = "alpaca_eval") -> list[str]:
    """The plan's row of ``benchmark``, from its benchmark column on (the model column dropped)."""
    rows = [line.split()[1:] for line in out.splitlines() if line.split()[1:2] == [benchmark]]
    assert len(rows) == 1, out
    return rows[0]


# --------------------------------------------------------------------------- dry run / rerun
def test_dry_run_plans_everything_then_everything_cached(baseline, tmp_path, capsys):
    results = tmp_path / "results"
    assert main(baseline.env.argv(results, "http://127.0.0.1:9/v1", "--dry-run")) == 0
    out = capsys.readouterr().out
    # items, gen units, cached, to do, judged
    assert _plan_row(out)[1:6] == [str(N_ITEMS), str(N_ITEMS), "0", str(N_ITEMS), "0"]
    assert "model: tiny" in out
    assert not results.exists() or not any(results.rglob("*.jsonl"))  # a dry run writes nothing

    done = baseline.copy_results(tmp_path / "done")
    assert main(baseline.env.argv(done, baseline.judge_url, "--dry-run")) == 0
    out = capsys.readouterr().out
    assert _plan_row(out)[1:6] == [str(N_ITEMS), str(N_ITEMS), str(N_ITEMS), "0", str(N_ITEMS)]
    assert "~0.00M in + 0.00M out" in out  # nothing left to judge, nothing to pay


def test_dry_run_without_judge_endpoint_announces_the_embedded_judge(env, tmp_path, offline, capsys):
    assert main(env.argv(tmp_path / "r", None, "--dry-run")) == 0
    out = capsys.readouterr().out
    assert "$0 (local judge)" in _plan_row(out)[-1] + out.splitlines()[2]
    assert "embedded local judge 'smollm2-135m-instruct'" in out and "NOT GPT-4's" in out


def test_dry_run_counts_partial_progress(baseline, tmp_path, capsys):
    done = baseline.copy_results(tmp_path / "partial")
    gens = run_env.run_dir(done) / "generations.jsonl"
    lines = gens.read_text(encoding="utf-8").splitlines(keepends=True)
    gens.write_text("".join(lines[:2]), encoding="utf-8")
    (run_env.run_dir(done) / "annotations.jsonl").unlink()
    assert main(baseline.env.argv(done, "http://127.0.0.1:9/v1", "--dry-run")) == 0
    row = _plan_row(capsys.readouterr().out)
    assert row[1:6] == [str(N_ITEMS), str(N_ITEMS), "2", str(N_ITEMS - 2), "0"]


def test_dry_run_with_other_decoding_settings_caches_nothing(baseline, tmp_path, capsys):
    done = baseline.copy_results(tmp_path / "other")
    argv = baseline.env.argv(done, "http://127.0.0.1:9/v1", "--dry-run")
    argv[argv.index("--max-new-tokens") + 1] = "9"  # a new configuration: new generation keys
    assert main(argv) == 0
    assert _plan_row(capsys.readouterr().out)[3:5] == ["0", str(N_ITEMS)]


def test_rerun_of_completed_run_builds_no_backend_and_calls_no_judge(baseline, tmp_path, monkeypatch, capsys):
    done = baseline.copy_results(tmp_path / "done")
    before = run_env.scores(done)
    gens_before = run_env.generations(done)
    ann_before = run_env.annotations(done)
    built: list = []

    def counting_build_backend(*args, **kwargs):
        built.append(args)
        raise AssertionError("a completed run must not build a backend")

    def no_tokenizer(*args, **kwargs):
        raise AssertionError("a completed run must not load a tokenizer (stop ids come from the cache)")

    monkeypatch.setattr(backends, "create_backend", counting_build_backend)
    monkeypatch.setattr(model_loading, "load_tokenizer", no_tokenizer)
    with baseline.judge_server() as srv:
        assert main(baseline.env.argv(done, srv.base_url)) == 0
        assert srv.request_count == 0
        assert srv.stats.requests == 0
    assert built == []
    after = run_env.scores(done)
    assert after["metrics"] == before["metrics"]
    assert after["manifest"]["this_run"]["backend"] == "cached"
    assert after["manifest"]["this_run"]["judge"]["usage"]["calls"] == 0
    assert run_env.generations(done) == gens_before  # nothing appended
    assert run_env.annotations(done) == ann_before
    out = capsys.readouterr().out
    printed = [line for line in out.splitlines() if line.startswith("alpaca_eval: ")]
    assert len(printed) == 1 and json.loads(printed[0].split(": ", 1)[1]) == before["metrics"]
    assert (done / "tables" / f"{MODEL_NAME}.md").is_file()


def test_run_end_to_end_matches_the_judge(baseline):
    """The baseline itself: every item generated once, judged once, scored from those rows."""
    gens = run_env.generations(baseline.results_dir)
    ann = run_env.annotations(baseline.results_dir)
    assert sorted(g["item_id"] for g in gens) == [f"{i:03d}" for i in range(N_ITEMS)]
    assert sorted(a["item_id"] for a in ann) == [f"{i:03d}" for i in range(N_ITEMS)]
    assert all(g["num_output_tokens"] <= 8 for g in gens)
    calls = sum(1 for a in ann if a["cache_key"] is not None)
    assert baseline.judge_requests == calls
    prefs = [a["preference"] for a in ann]
    assert all(1.0 <= p <= 2.0 for p in prefs)
    metrics = run_env.scores(baseline.results_dir)["metrics"]
    assert metrics["ae2_wr"] == pytest.approx(100 * sum(p - 1 for p in prefs) / len(prefs))
    assert metrics["ae2_length"] == float(int(sum(len(g["output"]) for g in gens) / len(gens)))


# --------------------------------------------------------------------------- one-line errors
def _assert_one_line_error(proc, pattern: str) -> None:
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert re.search(pattern, lines[0]), lines[0]
    assert lines[0].startswith("simpo-harness ")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return run_env.make_env(tmp_path_factory.mktemp("env"))


def test_unknown_benchmark_suggests(env, tmp_path):
    argv = env.argv(tmp_path / "r", None)
    argv[argv.index("--benchmarks") + 1] = "alpaca_evl"
    _assert_one_line_error(run_env.run_cli(argv), r"unknown benchmark 'alpaca_evl'; did you mean 'alpaca_eval'")


def test_unknown_model_suggests(tmp_path):
    proc = run_env.run_cli(["run", "--model", "llama-3-instruct-8b-simpo-typo", "--benchmarks", "alpaca_eval",
                            "--results-dir", str(tmp_path), "--dry-run"])
    _assert_one_line_error(proc, r"unknown model 'llama-3-instruct-8b-simpo-typo'; did you mean")


def test_missing_data_file(env, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    argv = env.argv(tmp_path / "r", "http://127.0.0.1:9/v1")
    argv[argv.index("--data-dir") + 1] = str(empty)
    _assert_one_line_error(run_env.run_cli(argv), r"AlpacaEval reference outputs not found in --data-dir")


def test_double_bos_template_is_refused(env, tmp_path):
    # A custom template that writes the BOS literally: the harness prepends the tokenizer's BOS
    # as well (the template does not use bos_token), so the prompt would start with two.
    tpl = tmp_path / "literal-bos.jinja"
    tpl.write_text("<|begin_of_text|>{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
                   "{{ m['content'] }}<|eot_id|>{% endfor %}<|start_header_id|>assistant<|end_header_id|>\n\n",
                   encoding="utf-8")
    argv = env.argv(tmp_path / "r", "http://127.0.0.1:9/v1")
    argv[argv.index("--template") + 1] = str(tpl)
    proc = run_env.run_cli(argv)
    _assert_one_line_error(proc, r"BOS token \d+ is present 2 times")
    assert not list((tmp_path / "r").rglob("generations.jsonl")) or not run_env.generations(tmp_path / "r")


def test_malformed_generations_line_in_the_middle(baseline, tmp_path):
    done = baseline.copy_results(tmp_path / "done")
    gens = run_env.run_dir(done) / "generations.jsonl"
    lines = gens.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2][: len(lines[2]) // 2] + "\n"
    gens.write_text("".join(lines), encoding="utf-8")
    proc = run_env.run_cli(baseline.env.argv(done, "http://127.0.0.1:9/v1"))
    _assert_one_line_error(proc, r"generations\.jsonl:3: malformed generation record")


def test_score_malformed_outputs_file(env, tmp_path):
    broken = tmp_path / "outputs.json"
    broken.write_text('[{"instruction": "a", "output": "b"}, {"instruction": ', encoding="utf-8")
    proc = run_env.run_cli(["score", "--benchmark", "alpaca_eval", "--outputs", str(broken), "--model", "m",
                            "--data-dir", str(env.data_dir)])
    _assert_one_line_error(proc, r"outputs\.json: not a readable JSON file")


@pytest.mark.parametrize("kind", ["duplicate", "unknown"])
def test_score_outputs_with_wrong_rows(env, tmp_path, kind):
    rows = [{"instruction": r["instruction"], "output": "x" * (i + 1), "generator": "m"}
            for i, r in enumerate(run_env.reference_records())]
    if kind == "duplicate":
        rows.append(dict(rows[0]))  # N + 1 rows for N instructions
    else:
        rows[1]["instruction"] = "not an AlpacaEval instruction"
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    proc = run_env.run_cli(["score", "--benchmark", "alpaca_eval", "--outputs", str(path),
                            "--data-dir", str(env.data_dir)])
    pattern = r"7 rows for 6 distinct instructions" if kind == "duplicate" else r"not in the AlpacaEval reference"
    _assert_one_line_error(proc, pattern)


def test_score_annotations_disagreeing_with_outputs(env, tmp_path):
    ref = run_env.reference_records()
    outputs = [{"instruction": r["instruction"], "output": "x", "generator": "m"} for r in ref]
    ann = [{"instruction": r["instruction"], "output_2": "x", "preference": 1.5, "generator_2": "m"} for r in ref[:4]]
    (tmp_path / "o.json").write_text(json.dumps(outputs), encoding="utf-8")
    (tmp_path / "a.json").write_text(json.dumps(ann), encoding="utf-8")
    proc = run_env.run_cli(["score", "--benchmark", "alpaca_eval", "--outputs", str(tmp_path / "o.json"),
                            "--annotations", str(tmp_path / "a.json"), "--data-dir", str(env.data_dir)])
    _assert_one_line_error(proc, r"--annotations cover 4 instructions but --outputs 6")


def test_score_partial_outputs_warns_on_stdout(env, tmp_path):
    rows = [{"instruction": r["instruction"], "output": "abc", "generator": "m"} for r in run_env.reference_records()[:3]]
    (tmp_path / "o.json").write_text(json.dumps(rows), encoding="utf-8")
    argv = ["score", "--benchmark", "alpaca_eval", "--outputs", str(tmp_path / "o.json"), "--data-dir",
            str(env.data_dir)]
    proc = run_env.run_cli(argv)
    assert proc.returncode == 1 and "incomplete score: m alpaca_eval: 3 of 6 instructions" in proc.stderr
    assert '"status": "incomplete"' in proc.stdout
    assert run_env.run_cli([*argv, "--allow-incomplete"]).returncode == 0


def test_bad_numeric_options(env, tmp_path):
    argv = env.argv(tmp_path / "r", None, "--limit", "0")
    _assert_one_line_error(run_env.run_cli(argv), r"--limit must be >= 1")


@pytest.mark.parametrize(("extra", "pattern"), [
    (("--batch-size", "0"), r"--batch-size must be >= 1, got 0"),
    (("--max-new-tokens", "0"), r"--max-new-tokens must be >= 1, got 0"),
    (("--judge-concurrency", "0"), r"--judge-concurrency must be >= 1, got 0"),
    (("--benchmark", "mt_bench"), r"either --benchmarks or --benchmark, not both"),
    (("--local-judge", "smolm2-135m-instruct", "--dry-run"), r"did you mean 'smollm2-135m-instruct'"),
    (("--benchmarks", "mt_bench", "--reference-model", "nosuch", "--dry-run"), r"reference answers of 'nosuch'"),
])
def test_bad_options_fail_before_any_work(env, tmp_path, offline, capsys, extra, pattern):
    """In-process (faster than a child): one error line, exit 2, nothing written."""
    argv = [a for a in env.argv(tmp_path / "r", None) if a not in ("--max-new-tokens", "8", "--batch-size", "1")]
    assert main([*argv, *extra]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and re.search(pattern, lines[0]), err
    assert not (tmp_path / "r").exists()


def test_another_judge_endpoint_never_reuses_verdicts(baseline, tmp_path):
    """The same model name at another endpoint (a proxy, another server) is another judge: its verdicts
    are asked afresh, recorded with their endpoint, and the score uses only the run's judge."""
    done = baseline.copy_results(tmp_path / "done")
    with LocalJudgeServer(hashed_preference_responder) as other:
        assert main(baseline.env.argv(done, other.base_url)) == 0
        assert other.request_count == baseline.judge_requests  # nothing reused from the first endpoint
    endpoints = {r["judge_endpoint"] for r in run_env.annotations(done)}
    assert endpoints == {baseline.judge_url, other.base_url}
    assert run_env.scores(done)["details"]["judge"] == f"gpt-4-1106-preview @ {other.base_url}"
    # `score` without a judge choice refuses to blend the two, and names them
    argv = ["score", "--model", MODEL_NAME, "--benchmark", "alpaca_eval", "--results-dir", str(done),
            "--data-dir", str(baseline.env.data_dir)]
    proc = run_env.run_cli(argv)
    assert proc.returncode == 2 and "holds judgments by 2 judges" in proc.stderr and other.base_url in proc.stderr
    assert run_env.run_cli([*argv, "--judge-base-url", baseline.judge_url]).returncode == 0
