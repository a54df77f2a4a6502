"""`simpo-harness train` on the tiny CPU recipe: lowers the loss, writes an evaluable checkpoint."""

from __future__ import annotations

import json
import time

import pytest
import yaml

from harness.cli import main
from trainers.runner import TRAINING_MANIFEST


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("train")
    out, reg = root / "tiny-simpo-ckpt", root / "model_configs"
    start = time.perf_counter()
    rc = main(["train", "--recipe", "tiny-cpu-simpo", "--output-dir", str(out), "--register", str(reg)])
    seconds = time.perf_counter() - start
    assert rc == 0
    return out, reg, seconds


def test_tiny_recipe_lowers_the_loss_within_a_minute(trained):
    out, _, seconds = trained
    assert seconds < 60
    manifest = json.loads((out / TRAINING_MANIFEST).read_text())
    assert manifest["loss_after"] < manifest["loss_before"]
    logged = [h["loss"] for h in manifest["log_history"] if "loss" in h]
    assert len(logged) >= 4
    assert manifest["hyperparameters"]["loss_params"]["gamma"] == 1.0  # 0.5 * beta 2.0
    for f in ("config.json", "model.safetensors", "tokenizer.json", "simpo_harness.yaml"):
        assert (out / f).is_file(), f


def test_checkpoint_config_is_a_valid_registry_entry(trained):
    from harness.registry.models import load_registry

    out, reg, _ = trained
    cfg = yaml.safe_load((out / "simpo_harness.yaml").read_text())
    assert cfg["template"] == "llama3" and cfg["method"] == "SimPO" and cfg["hf_repo"] == str(out.resolve())
    entry = load_registry(reg).get("tiny-simpo-ckpt")
    assert entry.hf_repo == str(out.resolve()) and entry.trust_remote_code is False


def test_checkpoint_is_evaluated_by_generate(trained, shared_dir, tmp_path, monkeypatch):
    out, _, _ = trained
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    results = tmp_path / "results"
    rc = main(["generate", "--model", str(out), "--benchmark", "alpaca_eval", "--data-dir",
               str(shared_dir / "alpaca_eval_validation_data"), "--limit", "2", "--backend", "transformers",
               "--max-new-tokens", "4", "--results-dir", str(results), "--no-progress"])
    assert rc == 0
    rows = [json.loads(line) for line in next(results.rglob("generations.jsonl")).read_text().splitlines()]
    assert len(rows) == 2


def test_errors_are_one_line(capsys, tmp_path):
    assert main(["train", "--recipe", "tiny-cpu-simp"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'tiny-cpu-simpo'" in err and "Traceback" not in err
    assert main(["train"]) == 2
    assert main(["train", "--recipe", "tiny-cpu-simpo", "--max-steps", "0"]) == 2
    assert main(["train", "--recipe", "tiny-cpu-simpo", "--model", str(tmp_path / "nope"),
                 "--output-dir", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "model directory not found" in err


def test_list(capsys):
    assert main(["train", "--list"]) == 0
    out = capsys.readouterr().out
    assert "llama-3-8b-instruct-simpo-v2" in out and "slic_hf" in out
