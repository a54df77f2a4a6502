"""Recipes: schema strictness, gamma conversion, and agreement with the SimPO authors' configs."""

from __future__ import annotations

import pytest
import yaml

from harness.errors import HarnessError
from trainers.recipe import RECIPES_DIR, SimPOObjective, available_recipes, load_recipe

# recipe -> the authors' training config it reproduces
SIMPO_CONFIGS = {
    "mistral-7b-base-simpo": "mistral-7b-base-simpo.yaml",
    "mistral-7b-instruct-simpo": "mistral-7b-instruct-simpo.yaml",
    "llama-3-8b-base-simpo": "llama-3-8b-base-simpo.yaml",
    "llama-3-8b-instruct-simpo": "llama-3-8b-instruct-simpo.yaml",
    "llama-3-8b-instruct-simpo-v2": "llama-3-8b-instruct-simpo-v2.yaml",
    "gemma-2-9b-it-simpo": "gemma-2-9b-it-simpo.yaml",
}
# The SimPO README's "best DPO hyperparameters" table: recipe -> (beta, lr)
DPO_README = {
    "mistral-7b-base-dpo": (0.01, 5e-7), "mistral-7b-instruct-dpo": (0.01, 5e-7),
    "llama-3-8b-base-dpo": (0.01, 5e-7), "llama-3-8b-instruct-dpo": (0.01, 7e-7),
    "llama-3-8b-instruct-dpo-v2": (0.01, 3e-7), "gemma-2-9b-it-dpo": (0.01, 5e-7),
}


def test_every_bundled_recipe_loads_and_every_method_has_one():
    names = available_recipes()
    methods = {load_recipe(n).method for n in names}
    assert methods == {"simpo", "dpo", "ipo", "cpo", "kto", "orpo", "rdpo", "rrhf", "slic_hf"}
    assert {"tiny-cpu-simpo", "tiny-cpu-dpo"} <= set(names)
    for name in names:
        assert load_recipe(name).hyperparameters_source, name


@pytest.mark.parametrize("recipe_name", sorted(SIMPO_CONFIGS))
def test_simpo_recipes_match_the_authors_configs(recipe_name, shared_dir):
    official = yaml.safe_load((shared_dir / "data/simpo_eval/training_configs" / SIMPO_CONFIGS[recipe_name]).read_text())
    r = load_recipe(recipe_name)
    assert isinstance(r.objective, SimPOObjective)
    assert r.objective.beta == official["beta"]
    assert r.objective.gamma_beta_ratio == official["gamma_beta_ratio"]
    assert r.model == official["model_name_or_path"]
    assert r.dataset_mixer == official["dataset_mixer"]
    assert r.dataset_splits == official["dataset_splits"]
    assert r.chat_template == official.get("chat_template")
    t = r.training
    for key in ("learning_rate", "num_train_epochs", "per_device_train_batch_size", "gradient_accumulation_steps",
                "lr_scheduler_type", "warmup_ratio", "max_length", "max_prompt_length", "bf16",
                "gradient_checkpointing", "seed", "optim"):
        assert getattr(t, key) == official[key], key


@pytest.mark.parametrize("recipe_name", sorted(DPO_README))
def test_dpo_recipes_use_the_readme_best_hyperparameters(recipe_name):
    r = load_recipe(recipe_name)
    assert r.method == "dpo"
    assert (r.objective.beta, r.training.learning_rate) == DPO_README[recipe_name]


def test_gamma_is_converted_explicitly_and_recorded():
    r = load_recipe("llama-3-8b-instruct-simpo")  # beta 2.5, gamma/beta 0.55
    assert r.objective.gamma == pytest.approx(1.375, abs=1e-12)
    hp = r.resolved_hyperparameters()
    assert hp["loss_params"]["gamma"] == pytest.approx(1.375, abs=1e-12)
    assert "gamma_beta_ratio" not in hp["loss_params"]
    assert hp["recipe"]["gamma_beta_ratio"] == 0.55
    assert "0.55 * 2.5" in hp["gamma_conversion"]
    assert load_recipe("gemma-2-9b-it-simpo").objective.gamma == 5.0


def test_unknown_recipe_suggests(tmp_path):
    with pytest.raises(HarnessError, match="did you mean 'tiny-cpu-simpo'"):
        load_recipe("tiny-cpu-simp")


def test_extra_and_invalid_fields_are_one_line_errors(tmp_path):
    base = yaml.safe_load((RECIPES_DIR / "tiny-cpu-simpo.yaml").read_text())
    bad = dict(base, lerning_rate=1e-3)
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(bad))
    with pytest.raises(HarnessError, match="lerning_rate") as exc:
        load_recipe(p)
    assert "\n" not in str(exc.value)
    bad = dict(base, objective={"method": "simpo", "beta": 2.0, "gamma": 1.0})
    p.write_text(yaml.safe_dump(bad))
    with pytest.raises(HarnessError, match="gamma"):  # absolute gamma is not a recipe field
        load_recipe(p)
    bad = dict(base, objective={"method": "ppo", "beta": 2.0})
    p.write_text(yaml.safe_dump(bad))
    with pytest.raises(HarnessError, match="objective"):
        load_recipe(p)
    p.write_text("training: [1, 2")
    with pytest.raises(HarnessError, match="invalid YAML at line"):
        load_recipe(p)


def test_overrides_go_to_the_right_block():
    r = load_recipe("tiny-cpu-simpo", max_steps=3, learning_rate=1e-4, model="some/repo")
    assert (r.training.max_steps, r.training.learning_rate, r.model) == (3, 1e-4, "some/repo")
    assert r.template is None  # the recipe's template belongs to its own base model
    assert load_recipe("tiny-cpu-simpo", model="some/repo", template="chatml").template == "chatml"
    assert load_recipe("tiny-cpu-simpo", max_steps=3).template == "llama3"


def test_recipes_agree_with_the_registry_display_table():
    from harness.registry.models import SETTINGS
    from harness.registry.trainers import get_trainer

    checked = 0
    for name in available_recipes():
        r = load_recipe(name)
        assert r.setting in SETTINGS, name  # the checkpoint's model config must validate
        if r.method not in ("simpo", "dpo") or r.setting == "Other":
            continue
        row = get_trainer("SimPO" if r.method == "simpo" else "DPO").for_setting(r.setting)
        assert row is not None, name
        assert (row.beta, row.learning_rate) == (r.objective.beta, r.training.learning_rate), name
        if r.method == "simpo":
            assert row.gamma_beta_ratio == r.objective.gamma_beta_ratio
            assert row.gamma == pytest.approx(r.objective.gamma, abs=1e-9)
        checked += 1
    assert checked == 12
