"""Train a recipe end to end: resolve model and data, train (resuming), save checkpoint + model config."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

from harness.errors import HarnessError
from harness.quiet import is_verbose, quiet_libraries
from trainers.checkpoint import (
    CONFIG_NAME,
    model_config_dict,
    register_model_config,
    resolve_base_model,
    write_model_config,
)
from trainers.data import load_preferences, tokenize_preferences
from trainers.logprobs import collate_pairs
from trainers.objectives import needs_reference
from trainers.progress import use_harness_progress
from trainers.recipe import Recipe
from trainers.trainer import (
    PreferenceTrainer,
    TrainResult,
    finite_or_none,
    mean_objective,
    precompute_reference,
    write_json,
)

TRAINING_MANIFEST = "simpo_harness_training.json"


def _load_model_and_tokenizer(path: str, kwargs: dict[str, Any], recipe: Recipe, on_gpu: bool) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if on_gpu and recipe.torch_dtype not in (None, "auto"):
        dtype: Any = getattr(torch, recipe.torch_dtype)
    elif on_gpu:
        dtype = "auto"
    else:
        dtype = torch.float32  # CPU: bf16 matmuls are slow and lossy; train in fp32
    extra = {"attn_implementation": recipe.attn_implementation} if recipe.attn_implementation and on_gpu else {}
    try:
        with quiet_libraries():
            tok = AutoTokenizer.from_pretrained(path, **kwargs)
            model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, **kwargs, **extra)
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HarnessError(f"cannot load model {path}: {first}") from None
    if kwargs.get("gguf_file"):
        _dequantized_is_trainable(model)
    if recipe.chat_template:
        tok.chat_template = recipe.chat_template
    if not getattr(tok, "chat_template", None):
        raise HarnessError(f"{path} has no chat template; set `chat_template:` in the recipe")
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return model, tok


def _dequantized_is_trainable(model: Any) -> None:
    """transformers dequantizes GGUF weights to plain float tensors on load but still flags the model as
    quantized, which Trainer refuses; drop the flags so the model trains and saves as safetensors."""
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config


def warmup_kwargs(ratio: float, transformers_version: str | None = None) -> dict[str, float]:
    """The TrainingArguments field for a warmup *ratio*, for every transformers the extras allow.

    transformers 5 reads a float ``warmup_steps`` below 1 as a ratio and deprecates ``warmup_ratio``;
    transformers 4.x takes ``warmup_steps`` as an integer step count (0.1 would mean no warmup), so
    the ratio must go to ``warmup_ratio`` there.
    """
    from importlib.metadata import version

    major = int((transformers_version or version("transformers")).split(".")[0])
    return {"warmup_steps": ratio} if major >= 5 else {"warmup_ratio": ratio}


def _last_checkpoint(output_dir: Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(str(output_dir)) if output_dir.is_dir() else None


def _checkpoint_state(checkpoint: str) -> dict[str, Any]:
    """The checkpoint's ``trainer_state.json`` (at least ``global_step``, else taken from the directory name)."""
    path = Path(checkpoint) / "trainer_state.json"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    if not isinstance(state.get("global_step"), int):
        state["global_step"] = int(Path(checkpoint).name.rsplit("-", 1)[-1])
    return state


def _planned_max_steps(trainer: Any, args: Any) -> int:
    """The total optimizer steps ``trainer.train()`` will aim for (``max_steps``, or the epoch budget)."""
    return int(trainer.set_initial_training_values(args, trainer.get_train_dataloader())[-1])


def _already_complete(out: Path, checkpoint: str, state: dict[str, Any], max_steps: int,
                      register_dir: str | Path | None) -> TrainResult:
    """A rerun whose last checkpoint already reached the step budget: train nothing, rewrite nothing.

    (transformers' Trainer only checks ``global_step >= max_steps`` after a step, so resuming there would
    run one extra step and save another checkpoint.)"""
    step = state["global_step"]
    config = out / CONFIG_NAME
    if not config.is_file() or not (out / TRAINING_MANIFEST).is_file():
        raise HarnessError(f"{checkpoint} already reached step {step}/{max_steps}, but the final model in {out} "
                           f"was not written (no {config.name} / {TRAINING_MANIFEST}); evaluate the checkpoint "
                           "directory itself or rerun with a larger --max-steps")
    if register_dir is not None and os.environ.get("RANK", "0") == "0":  # no trainer yet: rank from env
        register_model_config(yaml.safe_load(config.read_text(encoding="utf-8")) or {}, Path(register_dir))
    return TrainResult(output_dir=out, global_step=step, log_history=list(state.get("log_history") or []),
                       resumed_from=checkpoint, start_step=step, max_steps=max_steps, already_complete=True)


def _probe_at_start(probe: Any, recipe: Recipe, pad_token_id: int) -> Any:
    """A callback measuring the probe objective once training begins, i.e. after a resumed checkpoint's
    weights are loaded, so ``before`` is the starting point of this call's steps, not the base model."""
    from transformers import TrainerCallback

    class ProbeAtStart(TrainerCallback):
        def __init__(self) -> None:
            self.trainer: Any = None
            self.before: float | None = None

        def measure(self, model: Any) -> float:
            ref = self.trainer.ref_model if self.trainer is not None else None
            return mean_objective(model, probe, recipe, pad_token_id, ref)

        def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
            if probe is not None and model is not None:
                self.before = self.measure(model)

    return ProbeAtStart()


def train_recipe(
    recipe: Recipe, *, output_dir: str | Path | None = None, register_dir: str | Path | None = None,
    loss_samples: int | None = None,
) -> TrainResult:
    """Train ``recipe``; ``loss_samples`` (default: the recipe's ``loss_probe_samples``) > 0 measures the
    objective on that many training pairs before and after training."""
    import torch
    from transformers import TrainingArguments

    out = Path(output_dir or recipe.output_dir or f"outputs/{recipe.name}")
    out.mkdir(parents=True, exist_ok=True)
    on_gpu = torch.cuda.is_available()
    tp = recipe.training
    if recipe.method == "kto" and recipe.reference == "precomputed":
        raise HarnessError("KTO needs `reference: model` (its KL estimate uses mismatched pairs each step)")
    if tp.max_prompt_length >= tp.max_length:
        raise HarnessError("training.max_prompt_length must be smaller than training.max_length")
    resume = _last_checkpoint(out)
    resumed_state = _checkpoint_state(resume) if resume else {"global_step": 0}
    start_step = resumed_state["global_step"]
    if resume and 0 < tp.max_steps <= start_step:  # known without loading anything
        return _already_complete(out, resume, resumed_state, tp.max_steps, register_dir)

    library_bars = bool(os.environ.get("SIMPO_HARNESS_PROGRESS")) or is_verbose()  # else: the harness's own bar
    # TrainingArguments first: under DeepSpeed ZeRO-3 it must exist before from_pretrained so weights load sharded.
    args = TrainingArguments(
        output_dir=str(out), learning_rate=tp.learning_rate, num_train_epochs=tp.num_train_epochs,
        max_steps=tp.max_steps, per_device_train_batch_size=tp.per_device_train_batch_size,
        gradient_accumulation_steps=tp.gradient_accumulation_steps, lr_scheduler_type=tp.lr_scheduler_type,
        **warmup_kwargs(tp.warmup_ratio), weight_decay=tp.weight_decay, optim=tp.optim,
        bf16=tp.bf16 and on_gpu, gradient_checkpointing=tp.gradient_checkpointing and on_gpu,
        gradient_checkpointing_kwargs={"use_reentrant": False}, logging_steps=tp.logging_steps,
        save_strategy="steps", save_steps=tp.save_steps, save_total_limit=tp.save_total_limit, seed=tp.seed,
        report_to=[], remove_unused_columns=False, use_cpu=not on_gpu, dataloader_num_workers=0,
        disable_tqdm=not library_bars,
    )
    from transformers.integrations import is_deepspeed_zero3_enabled

    zero3 = is_deepspeed_zero3_enabled()
    if zero3 and (recipe.loss_probe_samples or (loss_samples or 0) > 0 or
                  (needs_reference(recipe.method) and recipe.reference == "precomputed")):
        raise HarnessError("under DeepSpeed ZeRO-3 use `reference: model` and loss_probe_samples: 0 "
                           "(both need a full copy of the weights before the trainer shards them)")
    base = resolve_base_model(recipe.model, recipe.model_revision, out)
    model, tok = _load_model_and_tokenizer(base.path, base.load_kwargs(), recipe, on_gpu)
    raw = load_preferences(recipe.dataset_mixer, recipe.dataset_splits[0], tp.seed, recipe.max_train_samples)
    with quiet_libraries():
        train_ds = tokenize_preferences(raw, tok, tp.max_length, tp.max_prompt_length)

    ref_model = None
    if on_gpu and not zero3:
        model.to("cuda")
    if needs_reference(recipe.method):
        if recipe.reference == "precomputed":
            train_ds = precompute_reference(model, train_ds, tok.pad_token_id, tp.per_device_train_batch_size * 2)
        else:  # a second load, not deepcopy: ZeRO-3 partitions parameters at load time
            ref_model, _ = _load_model_and_tokenizer(base.path, base.load_kwargs(), recipe, on_gpu)
            if on_gpu and not zero3:
                ref_model.to("cuda")

    loss_samples = recipe.loss_probe_samples if loss_samples is None else loss_samples
    probe = train_ds.select(range(min(loss_samples, len(train_ds)))) if loss_samples else None

    pad_id, kl_pairs = tok.pad_token_id, recipe.method == "kto"
    probe_cb = _probe_at_start(probe, recipe, pad_id)
    trainer = PreferenceTrainer(
        model=model, args=args, train_dataset=train_ds, processing_class=tok,
        data_collator=lambda rows: collate_pairs(rows, pad_id, kl_pairs=kl_pairs),
        method=recipe.method, loss_params=recipe.objective.loss_params(), ref_model=ref_model,
        callbacks=[probe_cb],
    )
    probe_cb.trainer = trainer
    if not library_bars:
        use_harness_progress(trainer)
    if resume and tp.max_steps <= 0:  # the epoch budget needs the dataloader's length
        planned = _planned_max_steps(trainer, args)
        if start_step >= planned:
            return _already_complete(out, resume, resumed_state, planned, register_dir)
    trainer.train(resume_from_checkpoint=resume)
    with quiet_libraries():
        trainer.save_model(str(out))
        tok.save_pretrained(str(out))

    loss_after = probe_cb.measure(trainer.model) if probe else None
    result = TrainResult(output_dir=out, global_step=trainer.state.global_step,
                         log_history=list(trainer.state.log_history), loss_before=finite_or_none(probe_cb.before),
                         loss_after=finite_or_none(loss_after), resumed_from=resume, start_step=start_step,
                         max_steps=trainer.state.max_steps)
    if trainer.is_world_process_zero():
        cfg = model_config_dict(out, base=base, method=recipe.method, setting=recipe.setting,
                                template=recipe.template, family=recipe.family, recipe_name=recipe.name)
        write_model_config(out, cfg, Path(register_dir) if register_dir else None)
        from harness.manifest import base_manifest

        write_json(out / TRAINING_MANIFEST, base_manifest(
            recipe=recipe.model_dump(mode="json"), hyperparameters=recipe.resolved_hyperparameters(),
            base_model={"name": base.name, "path": base.path, "revision": base.revision},
            global_step=result.global_step, resumed_from=resume, start_step=start_step,
            max_steps=result.max_steps, loss_before=result.loss_before,
            loss_after=result.loss_after, log_history=result.log_history,
        ))
    return result
