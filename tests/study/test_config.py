"""The study file: validation (one line naming the field), and how it maps onto run's settings and flags."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.cli import main
from harness.errors import HarnessError
from harness.study.config import PAPER_TABLES, parse_study, read_study_file
from harness.study.settings import adhoc_config, build_settings
from tests.helpers.run_env import REPO_ROOT, subprocess_env

BASE = {"name": "s", "models": ["Llama-3-Instruct-8B-SimPO"], "benchmarks": ["alpaca_eval"]}


def _error(raw: dict) -> str:
    with pytest.raises(HarnessError) as info:
        build_settings(parse_study(raw, "study.yaml"), {})
    return str(info.value)


@pytest.mark.parametrize(("change", "expected"), [
    ({"models": [{"model": "x", "tensor_paralel_size": 2}]},
     "study.yaml: models.0.tensor_paralel_size: unknown field; did you mean 'tensor_parallel_size'?"),
    ({"models": ["a", {"model": "x", "tensor_parallel_size": 0}]},
     "study.yaml: models.1.tensor_parallel_size: Input should be greater than or equal to 1"),
    ({"models": [{"model": "x", "table": "v0.1"}]},
     "study.yaml: models.0: give exactly one of 'model', 'imported' or 'table' (got model, table)"),
    ({"models": [{"table": "v0.3"}]}, "study.yaml: models.0.table: Input should be 'v0.1', 'v0.2' or 'gemma'"),
    ({"benchmarks": ["alpaca_eval", {"name": "arena_hard", "limit": -1}]},
     "study.yaml: benchmarks.1.limit: Input should be greater than or equal to 1"),
    ({"judge": {"concurency": 4}}, "study.yaml: judge.concurency: unknown field; did you mean 'concurrency'?"),
    ({"name": None}, "study.yaml: name: Input should be a valid string"),
    ({"models": []}, "study.yaml: models: List should have at least 1 item after validation, not 0"),
    ({"benchmarks": ["alpaca_eval", "alpacaeval"]}, "benchmarks.1.name: unknown benchmark 'alpacaeval'"),
    ({"benchmarks": ["mt_bench", "mt_bench"]}, "benchmarks.1.name: 'mt_bench' is listed twice"),
    ({"generation": {"backend_options": {"batch_sise": 2}}},
     "generation.backend_options.batch_sise: unknown backend option; did you mean 'batch_size'?"),
    ({"generation": {"backend": "transformers", "backend_options": {"tensor_parallel_size": 2}}},
     "--tensor-parallel-size applies to --backend vllm, not 'transformers'"),
    ({"judge": {"concurrency": 0}}, "study.yaml: judge.concurrency: Input should be greater than or equal to 1"),
])
def test_a_mistake_is_one_line_naming_the_field(change, expected):
    message = _error({**BASE, **change})
    assert message.startswith(expected) and "\n" not in message


def test_bad_study_file_on_the_command_line_is_one_line(tmp_path):
    bad = tmp_path / "study.yaml"
    bad.write_text(yaml.safe_dump({**BASE, "models": [{"model": "x", "gpus": -1}]}))
    proc = subprocess.run([sys.executable, "-m", "harness", "study", str(bad), "--dry-run"], capture_output=True,
                          text=True, timeout=120, env=subprocess_env(), cwd=REPO_ROOT)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"simpo-harness study: error: {bad}: models.0.gpus: Input should be greater than or equal to 0"]
    for text, expected in (("name: [unclosed", "malformed YAML at line 1"), ("- a\n- b\n", "a study file is a mapping")):
        bad.write_text(text)
        with pytest.raises(HarnessError, match=expected):
            read_study_file(bad)
    with pytest.raises(HarnessError, match="study file not found"):
        read_study_file(tmp_path / "missing.yaml")


def test_flags_win_over_benchmark_overrides_over_the_file(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")  # judge_model gpt-4o: OpenAI's endpoint
    config = parse_study({**BASE, "benchmarks": ["mt_bench", {"name": "alpaca_eval", "limit": 5, "max_new_tokens": 64}],
                          "generation": {"max_new_tokens": 512, "seed": 3, "backend_options": {"batch_size": 4}},
                          "judge": {"concurrency": 4, "judge_model": "gpt-4o"}, "data_dir": "/data"}, "s")
    s = build_settings(config, {})
    by_bench = {j.benchmark: j.gen for j in s.jobs}
    assert (by_bench["mt_bench"].max_new_tokens, by_bench["mt_bench"].limit, by_bench["mt_bench"].seed) == (512, None, 3)
    assert (by_bench["alpaca_eval"].max_new_tokens, by_bench["alpaca_eval"].limit) == (64, 5)
    assert by_bench["alpaca_eval"].backend_options["batch_size"] == 4
    assert (s.judge.concurrency, s.judge.judge_model, s.store.data_dir) == (4, "gpt-4o", Path("/data"))
    flags = {"max_new_tokens": 8, "judge_concurrency": 2, "backend_batch_size": 1, "data_dir": Path("/other")}
    s = build_settings(config, flags)
    assert {j.gen.max_new_tokens for j in s.jobs} == {8}  # the command line wins everywhere
    assert {j.gen.limit for j in s.jobs} == {None, 5}  # ... and only where it was given
    assert (s.judge.concurrency, s.store.data_dir, s.jobs[0].gen.backend_options["batch_size"]) == (2, Path("/other"), 1)


def test_paper_table_models_and_dedupe():
    from harness.registry.models import load_registry
    from harness.tables.paper import paper_layouts

    assert set(PAPER_TABLES) == set(paper_layouts())
    config = parse_study({**BASE, "models": ["Llama-3-Instruct-8B-SimPO", {"table": "v0.1"}]}, "s")
    jobs = build_settings(config, {}).jobs
    expected = [c.name for c in load_registry().filter(table="v0.1")]
    assert "Llama-3-Instruct-8B-SimPO" in expected and len(expected) > 10
    assert [j.model for j in jobs] == list(dict.fromkeys(["Llama-3-Instruct-8B-SimPO", *expected]))
    clash = parse_study({**BASE, "models": [{"model": "m", "template": "llama3"}, {"model": "m", "template": "zephyr"}]}, "s")
    with pytest.raises(HarnessError, match=r"models.1: model 'm' is already in the study \(models.0\) with other"):
        build_settings(clash, {})


def test_adhoc_study_name_is_stable():
    a = adhoc_config("A, B", ["alpaca_eval"], None)
    assert a.name == adhoc_config("A,B", ["alpaca_eval"], None).name != adhoc_config("A", ["alpaca_eval"], None).name
    assert a.name.startswith("adhoc-") and [m.model for m in a.models] == ["A", "B"]
    assert adhoc_config("A", ["mt_bench"], "mine").name == "mine"
    with pytest.raises(HarnessError, match="--models needs at least one model"):
        adhoc_config(" , ", ["mt_bench"], None)


def test_cli_needs_a_file_or_models_and_benchmarks(capsys):
    assert main(["study", "--models", "a"]) == 2
    assert "give a study file, or --models and --benchmarks" in capsys.readouterr().err


def test_importing_harness_and_the_study_command_imports_no_ray_or_torch():
    code = ("import sys\nfrom harness.cli import main\nimport harness.study.ray_runner, harness.study.output\n"
            "try:\n    main(['study', '--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('ray', 'torch', 'transformers', 'vllm') if m in sys.modules]\nassert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=subprocess_env(), cwd=REPO_ROOT,
                   timeout=120)
