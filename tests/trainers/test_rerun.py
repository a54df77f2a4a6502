"""Rerunning a training command: a finished run stays as it is, a larger budget runs exactly the missing steps."""

from __future__ import annotations

import json

import pytest

from harness.cli import main
from harness.errors import HarnessError
from trainers.recipe import load_recipe
from trainers.runner import TRAINING_MANIFEST, train_recipe

FINAL_FILES = ("simpo_harness.yaml", TRAINING_MANIFEST, "model.safetensors", "config.json")


def _checkpoints(out):
    return sorted(p.name for p in out.glob("checkpoint-*"))


def _snapshot(out):
    return {name: ((out / name).stat().st_mtime_ns, (out / name).read_bytes()) for name in FINAL_FILES}


def _checkpoint_step(ckpt):
    return json.loads((ckpt / "trainer_state.json").read_text())["global_step"]


def test_cli_rerun_at_max_steps_trains_nothing_then_larger_max_continues(tmp_path, capsys):
    out, reg = tmp_path / "ck1", tmp_path / "model_configs"
    cmd = ["train", "--recipe", "tiny-cpu-simpo", "--max-steps", "2", "--output-dir", str(out)]
    assert main(cmd) == 0
    first = capsys.readouterr().out
    assert "2 steps run: 1-2/2" in first and "before" in first
    assert _checkpoints(out) == ["checkpoint-2"]
    before = _snapshot(out)

    assert main([*cmd, "--register", str(reg)]) == 0
    again = capsys.readouterr().out
    assert f"already complete at step 2/2: {out / 'checkpoint-2'}" in again
    assert "loss:" not in again and "before" not in again and "resumed from" not in again
    assert _checkpoints(out) == ["checkpoint-2"]  # no checkpoint-3
    assert _checkpoint_step(out / "checkpoint-2") == 2
    assert _snapshot(out) == before  # final model, its config and manifest untouched
    assert json.loads((out / TRAINING_MANIFEST).read_text())["global_step"] == 2
    assert (reg / "ck1.yaml").read_text() == (out / "simpo_harness.yaml").read_text()  # --register still honoured

    assert main([*cmd[:4], "4", *cmd[5:]]) == 0
    more = capsys.readouterr().out
    assert f"resumed from {out / 'checkpoint-2'} (step 2)" in more
    assert "2 steps run: 3-4/4" in more and "(step 2)" in more and "(step 4)" in more
    assert _checkpoints(out) == ["checkpoint-2", "checkpoint-4"]
    manifest = json.loads((out / TRAINING_MANIFEST).read_text())
    assert manifest["global_step"] == 4 and manifest["start_step"] == 2 and manifest["max_steps"] == 4


def test_resume_runs_exactly_the_missing_steps(tmp_path):
    out = tmp_path / "out"

    def recipe(max_steps):
        return load_recipe("tiny-cpu-simpo", max_steps=max_steps, logging_steps=1, save_steps=100)

    r1 = train_recipe(recipe(2), output_dir=out, loss_samples=8)
    assert r1.global_step == 2 and r1.start_step == 0 and r1.steps_run == 2 and len(r1.losses_this_run()) == 2
    r2 = train_recipe(recipe(4), output_dir=out, loss_samples=8)
    assert r2.resumed_from.endswith("checkpoint-2") and not r2.already_complete
    assert (r2.start_step, r2.global_step, r2.steps_run, r2.max_steps) == (2, 4, 2, 4)
    assert [h["step"] for h in r2.log_history if "loss" in h] == [1, 2, 3, 4]  # steps 3 and 4, once each
    assert r2.losses_this_run() == [h["loss"] for h in r2.log_history if "loss" in h][2:]
    assert _checkpoints(out) == ["checkpoint-2", "checkpoint-4"]
    # the "before" probe is measured on the resumed weights, i.e. where the first call ended
    assert r2.loss_before == pytest.approx(r1.loss_after, abs=1e-5)

    r3 = train_recipe(recipe(4), output_dir=out, loss_samples=8)
    assert r3.already_complete and (r3.global_step, r3.steps_run, r3.max_steps) == (4, 0, 4)
    assert r3.loss_before is None and r3.loss_after is None and r3.losses_this_run() == []
    assert _checkpoints(out) == ["checkpoint-2", "checkpoint-4"]


def test_rerun_at_the_epoch_budget_trains_nothing(tmp_path):
    out = tmp_path / "out"
    recipe = load_recipe("tiny-cpu-simpo", num_train_epochs=0.25, logging_steps=1, save_steps=100)  # 8 steps/epoch
    r1 = train_recipe(recipe, output_dir=out, loss_samples=0)
    assert r1.global_step == 2 and r1.max_steps == 2
    before = _snapshot(out)
    r2 = train_recipe(recipe, output_dir=out, loss_samples=0)
    assert r2.already_complete and (r2.global_step, r2.max_steps, r2.steps_run) == (2, 2, 0)
    assert _checkpoints(out) == ["checkpoint-2"] and _checkpoint_step(out / "checkpoint-2") == 2
    assert _snapshot(out) == before


def test_rerun_at_max_without_the_final_model_says_so(tmp_path):
    out = tmp_path / "out"
    recipe = load_recipe("tiny-cpu-simpo", max_steps=1, save_steps=100)
    train_recipe(recipe, output_dir=out, loss_samples=0)
    (out / TRAINING_MANIFEST).unlink()  # as if the first run died after saving its last checkpoint
    with pytest.raises(HarnessError, match="already reached step 1/1"):
        train_recipe(recipe, output_dir=out, loss_samples=0)
    assert _checkpoints(out) == ["checkpoint-1"]
