"""The trainer registry against the seed README's hyperparameter tables and the training configs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from harness.errors import HarnessError
from harness.registry.models import METHODS
from harness.registry.trainers import (
    SEQUENCE_LENGTHS,
    TRAINERS,
    TRAINING_DEFAULTS,
    get_trainer,
    trainer_as_dict,
)

SEED_SETTING = {"Mistral-Base": "Mistral-Base", "Mistral-Instruct": "Mistral-Instruct", "Llama3-Base": "Llama3-Base",
                "Llama3-Instruct": "Llama3-Instruct", "Llama3-Instruct v0.2": "Llama3-Instruct-v0.2", "Gemma": "Gemma"}
CONFIG_SETTING = {"mistral-7b-base-simpo": "Mistral-Base", "mistral-7b-instruct-simpo": "Mistral-Instruct",
                  "llama-3-8b-base-simpo": "Llama3-Base", "llama-3-8b-instruct-simpo": "Llama3-Instruct",
                  "llama-3-8b-instruct-simpo-v2": "Llama3-Instruct-v0.2", "gemma-2-9b-it-simpo": "Gemma"}


def _seed_hparam_tables(text: str) -> tuple[list[list[str]], list[list[str]]]:
    """The two 'Setting ...' tables of the seed: SimPO (beta, gamma/beta, lr) then DPO (beta, lr)."""
    tables: list[list[list[str]]] = []
    rows: list[list[str]] | None = None
    for line in text.splitlines():
        if line.startswith("Setting "):
            rows = []
            tables.append(rows)
            continue
        if rows is None:
            continue
        match = re.match(r"^(\S+(?: v0\.2)?) ((?:[\d.e-]+ ?)+)$", line.strip())
        if match and match.group(1) in SEED_SETTING:
            rows.append([match.group(1), *match.group(2).split()])
        elif rows:
            rows = None
    return tables[0], tables[1]


@pytest.fixture(scope="module")
def seed_text(shared_dir: Path) -> str:
    return (shared_dir / "seed" / "SimPO_README.txt").read_text()


def test_simpo_hyperparameters_match_the_seed_with_absolute_gamma(seed_text):
    simpo_rows, _ = _seed_hparam_tables(seed_text)
    spec = get_trainer("SimPO")
    assert len(simpo_rows) == len(spec.per_setting) == 6
    for (setting, beta, ratio, lr), h in zip(simpo_rows, spec.per_setting, strict=True):
        assert (h.setting, h.beta, h.gamma_beta_ratio, h.learning_rate) == (
            SEED_SETTING[setting], float(beta), float(ratio), float(lr))
        assert h.gamma == pytest.approx(float(ratio) * float(beta), abs=1e-12)
    assert get_trainer("simpo").for_setting("llama3-instruct").gamma == 1.375


def test_dpo_best_hyperparameters_match_the_seed(seed_text):
    _, dpo_rows = _seed_hparam_tables(seed_text)
    spec = get_trainer("DPO")
    assert len(dpo_rows) == len(spec.per_setting) == 6
    for (setting, beta, lr), h in zip(dpo_rows, spec.per_setting, strict=True):
        assert (h.setting, h.beta, h.learning_rate, h.gamma) == (SEED_SETTING[setting], float(beta), float(lr), None)


def test_simpo_values_match_the_authors_training_configs(shared_dir):
    spec = get_trainer("SimPO")
    for stem, setting in CONFIG_SETTING.items():
        cfg = yaml.safe_load((shared_dir / "data" / "simpo_eval" / "training_configs" / f"{stem}.yaml").read_text())
        h = spec.for_setting(setting)
        assert (h.beta, h.gamma_beta_ratio, h.learning_rate) == (cfg["beta"], cfg["gamma_beta_ratio"], cfg["learning_rate"])
        assert SEQUENCE_LENGTHS[setting] == (cfg["max_length"], cfg["max_prompt_length"])
        assert cfg["num_train_epochs"] == TRAINING_DEFAULTS["num_train_epochs"]
        assert cfg["warmup_ratio"] == TRAINING_DEFAULTS["warmup_ratio"]
        assert cfg["lr_scheduler_type"] == TRAINING_DEFAULTS["lr_scheduler_type"]
        # 4 GPUs (the README's setup) x per-device batch x accumulation
        assert 4 * cfg["per_device_train_batch_size"] * cfg["gradient_accumulation_steps"] == 128


def test_every_registry_method_has_a_trainer_and_the_paper_search_ranges():
    assert list(TRAINERS) == list(METHODS)
    assert get_trainer("DPO").search_space["β"] == [0.01, 0.05, 0.1]
    assert get_trainer("IPO").search_space["τ"] == [0.01, 0.1, 0.5, 1.0]
    assert get_trainer("CPO").search_space["λ"] == [1.0]
    assert get_trainer("KTO").search_space["λ_w"] == get_trainer("KTO").search_space["λ_l"] == [1.0]
    assert get_trainer("ORPO").search_space["λ"] == [0.1, 0.5, 1.0, 2.0]
    assert get_trainer("R-DPO").search_space["α"] == [0.05, 0.1, 0.5, 1.0]
    assert get_trainer("SLiC-HF").search_space == {
        "λ": [0.1, 0.5, 1.0, 10.0], "δ": [0.1, 0.5, 1.0, 2.0], "learning_rate": [3e-7, 5e-7, 6e-7, 1e-6]}
    reference_free = {n for n, t in TRAINERS.items() if t.reference_free}
    assert reference_free == {"SFT", "RRHF", "SLiC-HF", "CPO", "ORPO", "SimPO"}
    assert "γ" in get_trainer("SimPO").objective and "πref" not in get_trainer("SimPO").objective


def test_lookup_aliases_and_typos():
    assert get_trainer("rdpo").name == "R-DPO"
    assert get_trainer("slic_hf").name == "SLiC-HF"
    with pytest.raises(HarnessError, match="unknown trainer 'SimPOO'; did you mean 'SimPO'"):
        get_trainer("SimPOO")


def test_trainer_as_dict_is_json_ready_with_derived_gamma():
    import json

    data = json.loads(json.dumps(trainer_as_dict(get_trainer("SimPO"))))
    gemma = next(h for h in data["per_setting"] if h["setting"] == "Gemma")
    assert gemma == {"setting": "Gemma", "beta": 10.0, "learning_rate": 8e-7, "gamma_beta_ratio": 0.5, "gamma": 5.0}
    assert data["sequence_lengths"]["Mistral-Base"] == {"max_length": 1024, "max_prompt_length": 512}
