"""The bundled accelerate configs parse with accelerate's own loader (multi-GPU runs are not testable here)."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFIG_DIR = Path(__file__).resolve().parents[2] / "trainers" / "accelerate_configs"


@pytest.mark.parametrize(("name", "kind"), [("deepspeed_zero3", "DEEPSPEED"), ("fsdp", "FSDP"),
                                            ("multi_gpu", "MULTI_GPU")])
def test_config_loads(name, kind):
    from accelerate.commands.config.config_args import load_config_from_file

    cfg = load_config_from_file(str(CONFIG_DIR / f"{name}.yaml"))
    assert cfg.distributed_type.name == kind
    assert cfg.mixed_precision == "bf16" and cfg.num_machines == 1
    if kind == "DEEPSPEED":
        assert cfg.deepspeed_config["zero_stage"] == 3 and cfg.deepspeed_config["zero3_save_16bit_model"]
    if kind == "FSDP":
        assert cfg.fsdp_config["fsdp_state_dict_type"] == "FULL_STATE_DICT"
