"""The trainer end to end on the tiny CPU recipe: every objective runs, references agree, resume works."""

from __future__ import annotations

import json
import math

import pytest

from harness.errors import HarnessError
from trainers.recipe import load_recipe
from trainers.runner import TRAINING_MANIFEST, train_recipe

OBJECTIVES = {
    "simpo": {"method": "simpo", "beta": 2.0, "gamma_beta_ratio": 0.5, "sft_weight": 0.1},
    "dpo": {"method": "dpo", "beta": 0.1},
    "ipo": {"method": "ipo", "tau": 0.1},
    "cpo": {"method": "cpo", "beta": 0.1, "lam": 1.0},
    "kto": {"method": "kto", "beta": 0.1},
    "orpo": {"method": "orpo", "lam": 0.5},
    "rdpo": {"method": "rdpo", "beta": 0.1, "alpha": 0.05},
    "rrhf": {"method": "rrhf", "lam": 1.0},
    "slic_hf": {"method": "slic_hf", "delta": 1.0, "lam": 0.5},
}


@pytest.mark.parametrize("method", sorted(OBJECTIVES))
def test_every_objective_trains_a_few_steps(method, tmp_path):
    recipe = load_recipe("tiny-cpu-simpo", objective=OBJECTIVES[method], max_steps=2, logging_steps=1,
                         save_steps=100)
    res = train_recipe(recipe, output_dir=tmp_path / "out", loss_samples=8)
    losses = [h["loss"] for h in res.log_history if "loss" in h]
    assert res.global_step == 2 and len(losses) == 2
    assert all(math.isfinite(x) for x in losses)
    assert res.loss_before is not None and res.loss_after is not None
    manifest = json.loads((tmp_path / "out" / TRAINING_MANIFEST).read_text())
    assert manifest["hyperparameters"]["method"] == method


def test_precomputed_reference_equals_reference_in_memory(tmp_path):
    first = {}
    for mode in ("model", "precomputed"):
        recipe = load_recipe("tiny-cpu-dpo", reference=mode, max_steps=3, logging_steps=1, save_steps=100)
        res = train_recipe(recipe, output_dir=tmp_path / mode)
        first[mode] = [h["loss"] for h in res.log_history if "loss" in h]
    assert first["model"][0] == pytest.approx(math.log(2), abs=1e-6)  # policy == reference at step 0
    assert first["model"] == pytest.approx(first["precomputed"], abs=1e-5)


def test_kto_refuses_precomputed_reference(tmp_path):
    recipe = load_recipe("tiny-cpu-dpo", objective=OBJECTIVES["kto"], reference="precomputed")
    with pytest.raises(HarnessError, match="KTO"):
        train_recipe(recipe, output_dir=tmp_path)


def test_resume_from_last_checkpoint(tmp_path):
    out = tmp_path / "out"
    r1 = train_recipe(load_recipe("tiny-cpu-simpo", max_steps=8, save_steps=4), output_dir=out)
    assert r1.resumed_from is None and (out / "checkpoint-8").is_dir()
    r2 = train_recipe(load_recipe("tiny-cpu-simpo", max_steps=12, save_steps=4), output_dir=out)
    assert r2.resumed_from is not None and r2.resumed_from.endswith("checkpoint-8")
    assert r2.global_step == 12
    steps = [h["step"] for h in r2.log_history if "loss" in h]
    assert steps[-1] == 12 and min(steps) <= 8  # the resumed state carries the earlier log history


def test_warmup_ratio_goes_to_the_field_each_transformers_major_reads():
    from trainers.runner import warmup_kwargs

    assert warmup_kwargs(0.1, "5.19.0") == {"warmup_steps": 0.1}  # a float < 1 is a ratio in 5.x
    assert warmup_kwargs(0.1, "4.45.2") == {"warmup_ratio": 0.1}  # 4.x: warmup_steps is a step count
    assert set(warmup_kwargs(0.1)) <= {"warmup_steps", "warmup_ratio"}  # the installed one


def test_warmup_ratio_reaches_the_installed_trainer():
    """What the runner passes gives the installed TrainingArguments a 10% warmup (not 0 steps)."""
    from transformers import TrainingArguments

    from trainers.runner import warmup_kwargs

    args = TrainingArguments(output_dir="unused", use_cpu=True, report_to=[], **warmup_kwargs(0.1))
    assert args.get_warmup_steps(100) == 10
