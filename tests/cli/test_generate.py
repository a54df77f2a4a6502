from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.store import GENERATION_MANIFEST, current_generations
from tests.helpers.tiny_model import build_tiny_llama


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny") / "tiny-llama")


def _gen(tiny, results, *extra):
    return main(["generate", "--model", str(tiny), "--benchmark", "toy", "--backend", "transformers",
                 "--results-dir", str(results), "--max-new-tokens", "8", *extra])


def test_generate_writes_store_and_manifest_then_resumes(tiny, tmp_path, toy, capsys):
    assert _gen(tiny, tmp_path, "--template", "llama3", "--limit", "3") == 0
    out, err = capsys.readouterr()
    assert "5 generations (5 new, 0 cached)" in out
    assert "done=5" in err and "remaining=0" in err
    run = tmp_path / "tiny-llama" / "toy"
    manifest = json.loads((run / GENERATION_MANIFEST).read_text())
    assert manifest["template"] == "llama3" and manifest["backend"] == "transformers"
    assert manifest["params"]["max_new_tokens"] == 8 and manifest["params"]["stop_token_ids"] == [1, 4]
    assert manifest["alpaca_eval_062_beam_quirk"] is False and "packages" in manifest
    assert len(current_generations(run)) == 5

    assert _gen(tiny, tmp_path, "--template", "llama3", "--limit", "4") == 0
    out, err = capsys.readouterr()
    assert "6 generations (1 new, 5 cached)" in out and "cached=5" in err
    assert len((run / "generations.jsonl").read_text().splitlines()) == 6

    # Another config in the same directory: new keys; records_for_run follows the last manifest.
    assert _gen(tiny, tmp_path, "--template", "llama3", "--limit", "1", "--alpaca-eval-062-quirk",
                "--no-progress") == 0
    assert json.loads((run / GENERATION_MANIFEST).read_text())["alpaca_eval_062_beam_quirk"] is True
    assert len(current_generations(run)) == 2 and len(current_generations(run, all_configs=True)) == 6


def test_local_dir_uses_simpo_harness_yaml(tiny, tmp_path, toy, capsys):
    model = tmp_path / "ckpt"
    build_tiny_llama(model)
    (model / "simpo_harness.yaml").write_text(
        "name: my-simpo\ntemplate: llama3-nobos\ndecoding:\n  toy: {max_new_tokens: 3, temperature: 0.0}\n")
    assert main(["generate", "--model", str(model), "--benchmark", "toy", "--backend", "transformers",
                 "--results-dir", str(tmp_path / "r"), "--limit", "1", "--no-progress"]) == 0
    recs = current_generations(tmp_path / "r" / "my-simpo" / "toy")
    assert len(recs) == 2 and recs[0].template == "llama3-nobos" and recs[0].num_output_tokens <= 3


@pytest.mark.parametrize(("args", "message"), [
    (["--benchmark", "toy"], "--template is required"),
    (["--benchmark", "toy", "--template", "lama3"], "did you mean 'llama3'"),
    (["--benchmark", "alpaka_eval", "--template", "llama3"], "did you mean 'alpaca_eval'"),
    (["--benchmark", "toy", "--template", "llama3", "--limit", "0"], "--limit must be >= 1"),
    (["--benchmark", "toy", "--template", "llama3", "--backend", "openai"], "--api-base is required"),
    (["--benchmark", "toy", "--template", "llama3", "--max-new-tokens", "0"], "--max-new-tokens must be >= 1"),
    (["--benchmark", "toy", "--template", "llama3", "--batch-size", "0"], "--batch-size must be >= 1"),
    (["--benchmark", "toy", "--template", "llama3", "--top-p", "5"], "top_p must be in (0, 1]"),
])
def test_user_mistakes_are_one_line_errors(tiny, tmp_path, toy, capsys, args, message):
    assert main(["generate", "--model", str(tiny), "--results-dir", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_missing_model_dir(tmp_path, toy, capsys):
    assert main(["generate", "--model", str(tmp_path / "nope"), "--benchmark", "toy"]) == 2
    assert "model directory not found" in capsys.readouterr().err


@pytest.mark.vllm
def test_generate_with_vllm_matches_transformers(tiny, tmp_path, toy, monkeypatch):
    pytest.importorskip("vllm")
    monkeypatch.setenv("VLLM_CPU_KVCACHE_SPACE", "1")
    common = ["--template", "llama3", "--limit", "4", "--dtype", "float32", "--no-progress"]
    assert _gen(tiny, tmp_path / "hf", *common) == 0
    assert main(["generate", "--model", str(tiny), "--benchmark", "toy", "--results-dir", str(tmp_path / "vl"),
                 "--max-new-tokens", "8", *common]) == 0  # default backend: vllm where it imports
    hf = current_generations(tmp_path / "hf" / "tiny-llama" / "toy")
    vl = current_generations(tmp_path / "vl" / "tiny-llama" / "toy")
    assert {r.backend for r in vl} == {"vllm"}
    assert [(r.key, r.output, r.num_output_tokens) for r in hf] == [(r.key, r.output, r.num_output_tokens) for r in vl]


@pytest.mark.parametrize(("model", "message"), [("", "--model is empty"), ("FILE", "is a file, not a model")])
def test_bad_model_argument(tmp_path, toy, capsys, model, message):
    if model == "FILE":
        model = str(tmp_path / "weights.txt")
        Path(model).write_text("x")
    assert main(["generate", "--model", model, "--benchmark", "toy", "--template", "llama3"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_bad_dtype_is_rejected_before_loading(tiny, tmp_path, toy, capsys):
    with pytest.raises(SystemExit) as exc:  # argparse's own one-line usage error
        _gen(tiny, tmp_path, "--template", "llama3", "--dtype", "int7")
    assert exc.value.code == 2 and "invalid choice: 'int7'" in capsys.readouterr().err


def test_two_checkpoints_with_one_name_do_not_share_results(tiny, tmp_path, toy, capsys):
    """a/ck1 and b/ck1 would both land in results/ck1: the second is refused, not mixed in."""
    first, second = tmp_path / "a" / "ck1", tmp_path / "b" / "ck1"
    build_tiny_llama(first)
    build_tiny_llama(second)
    results = tmp_path / "r"
    args = ["--benchmark", "toy", "--backend", "transformers", "--template", "llama3", "--limit", "1",
            "--max-new-tokens", "2", "--results-dir", str(results), "--no-progress"]
    assert main(["generate", "--model", str(first), *args]) == 0
    assert main(["generate", "--model", str(second), *args]) == 2
    err = capsys.readouterr().err
    assert "holds results of another checkpoint" in err and str(first) in err
    manifest = json.loads((results / "ck1" / "toy" / GENERATION_MANIFEST).read_text())
    assert manifest["model_source"] == str(first)
    assert main(["generate", "--model", str(first), *args]) == 0  # the owner reruns freely
