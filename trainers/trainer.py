"""Run any objective from a recipe on transformers' Trainer (accelerate: DDP, DeepSpeed ZeRO-3, FSDP).

One forward over [chosen; rejected] per step gives per-sequence summed log-probs and lengths
(:mod:`trainers.logprobs`); the recipe's objective turns them into a loss (:mod:`trainers.objectives`).
Reference log-probs, for methods that need them, come from a frozen copy of the base model kept in
memory (``reference: model``) or from one pass over the data before training (``reference: precomputed``).
Training resumes from the last ``checkpoint-*`` in the output directory.
"""

from __future__ import annotations

import functools
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from harness.errors import HarnessError
from trainers.logprobs import SeqLogps, collate_pairs, model_sequence_logps
from trainers.objectives import compute_losses, needs_reference
from trainers.recipe import Recipe

_MODEL_KEYS = ("input_ids", "attention_mask", "response_mask")


def _logps(model: Any, batch: dict[str, torch.Tensor], prefix: str = "") -> SeqLogps:
    ids, attn, resp = (batch[prefix + k] for k in _MODEL_KEYS)
    return model_sequence_logps(model, ids, attn, resp)


def batch_losses(
    model: Any, batch: dict[str, torch.Tensor], method: str, params: dict[str, Any], ref_model: Any = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Per-pair losses and logging metrics for a collated batch (first half chosen, second half rejected)."""
    seq = _logps(model, batch)
    n = seq.logps.shape[0] // 2
    kwargs: dict[str, Any] = {"chosen_logps": seq.logps[:n], "rejected_logps": seq.logps[n:],
                              "chosen_lengths": seq.lengths[:n], "rejected_lengths": seq.lengths[n:]}
    if needs_reference(method):
        if "ref_chosen_logps" in batch:
            kwargs["ref_chosen_logps"] = batch["ref_chosen_logps"].to(seq.logps.dtype)
            kwargs["ref_rejected_logps"] = batch["ref_rejected_logps"].to(seq.logps.dtype)
        else:
            if ref_model is None:
                raise HarnessError(f"{method} needs a reference model or precomputed reference log-probs")
            with torch.no_grad():
                ref = _logps(ref_model, batch)
            kwargs["ref_chosen_logps"], kwargs["ref_rejected_logps"] = ref.logps[:n], ref.logps[n:]
    if method == "kto":
        if ref_model is None:
            raise HarnessError("KTO's KL estimate needs the reference model in memory (reference: model)")
        with torch.no_grad():
            kl = (_logps(model, batch, "kl_").logps - _logps(ref_model, batch, "kl_").logps).mean().clamp(min=0)
        kwargs["kl"] = kl
    losses = compute_losses(method, params, **kwargs)
    with torch.no_grad():
        if "ref_chosen_logps" in kwargs:
            chosen_r = kwargs["chosen_logps"] - kwargs["ref_chosen_logps"]
            rejected_r = kwargs["rejected_logps"] - kwargs["ref_rejected_logps"]
        else:  # reference-free: the length-normalised log-prob is the implicit reward (SimPO)
            chosen_r = seq.avg[:n]
            rejected_r = seq.avg[n:]
        metrics = {"rewards/margins": (chosen_r - rejected_r).mean(),
                   "rewards/accuracies": (chosen_r > rejected_r).float().mean(),
                   "logps/chosen_avg": seq.avg[:n].mean(), "logps/rejected_avg": seq.avg[n:].mean()}
    return losses, metrics


class PreferenceTrainer:
    """Factory for a ``transformers.Trainer`` subclass (imported lazily so ``trainers`` stays light)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return _trainer_class()(*args, **kwargs)


@functools.lru_cache(maxsize=1)
def _trainer_class() -> type:
    from transformers import Trainer

    class _PreferenceTrainer(Trainer):
        loss_is_scaled_for_ga = False  # compute_loss returns a per-batch mean

        def __init__(self, *args: Any, method: str, loss_params: dict[str, Any], ref_model: Any = None,
                     **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.model_accepts_loss_kwargs = False
            self.method, self.loss_params = method, loss_params
            self._metrics: dict[str, list[float]] = defaultdict(list)
            self.ref_model = self._prepare_ref(ref_model) if ref_model is not None else None

        def _prepare_ref(self, ref_model: Any) -> Any:
            ref_model.eval().requires_grad_(False)
            if self.is_deepspeed_enabled:
                from trl.models import prepare_deepspeed

                return prepare_deepspeed(ref_model, self.accelerator)
            if self.is_fsdp_enabled:
                from trl.models import prepare_fsdp

                return prepare_fsdp(ref_model, self.accelerator)
            return self.accelerator.prepare_model(ref_model, evaluation_mode=True)

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):  # noqa: ANN001
            losses, metrics = batch_losses(model, inputs, self.method, self.loss_params, self.ref_model)
            loss = losses.mean()
            for key, value in metrics.items():
                self._metrics[key].append(float(value))
            return (loss, {}) if return_outputs else loss

        def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
            for key, values in self._metrics.items():
                if values:
                    logs[key] = sum(values) / len(values)
            self._metrics.clear()
            super().log(logs, start_time)

    return _PreferenceTrainer


@dataclass
class TrainResult:
    """One ``train_recipe`` call. ``log_history`` carries a resumed run's earlier entries too; this call ran the
    optimizer steps ``start_step + 1 .. global_step`` (none when ``already_complete``), and ``loss_before`` /
    ``loss_after`` are the probe objective at ``start_step`` and ``global_step``."""

    output_dir: Path
    global_step: int
    log_history: list[dict[str, Any]] = field(default_factory=list)
    loss_before: float | None = None
    loss_after: float | None = None
    resumed_from: str | None = None
    start_step: int = 0
    max_steps: int | None = None
    already_complete: bool = False

    @property
    def steps_run(self) -> int:
        return self.global_step - self.start_step

    def losses_this_run(self) -> list[float]:
        """Training losses logged by this call (not the resumed checkpoint's earlier history)."""
        return [h["loss"] for h in self.log_history if "loss" in h and h.get("step", 0) > self.start_step]


def precompute_reference(model: Any, ds: Any, pad_token_id: int, batch_size: int) -> Any:
    """Add ``ref_chosen_logps``/``ref_rejected_logps`` columns from one no-grad pass of the base model."""
    device = next(model.parameters()).device
    chosen: list[float] = []
    rejected: list[float] = []
    model.eval()
    with torch.no_grad():
        for start in range(0, len(ds), batch_size):
            rows = [ds[i] for i in range(start, min(start + batch_size, len(ds)))]
            batch = {k: v.to(device) for k, v in collate_pairs(rows, pad_token_id).items()}
            seq = _logps(model, batch)
            n = len(rows)
            chosen += seq.logps[:n].tolist()
            rejected += seq.logps[n:].tolist()
    return ds.add_column("ref_chosen_logps", chosen).add_column("ref_rejected_logps", rejected)


def mean_objective(model: Any, ds: Any, recipe: Recipe, pad_token_id: int, ref_model: Any = None,
                   batch_size: int = 8) -> float:
    """The recipe's loss averaged over ``ds`` (no grad) -- used to check that training lowers it."""
    device = next(model.parameters()).device
    total, count = 0.0, 0
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, len(ds), batch_size):
            rows = [ds[i] for i in range(start, min(start + batch_size, len(ds)))]
            batch = collate_pairs(rows, pad_token_id, kl_pairs=recipe.method == "kto")
            batch = {k: v.to(device) for k, v in batch.items()}
            losses, _ = batch_losses(model, batch, recipe.method, recipe.objective.loss_params(), ref_model)
            total += float(losses.sum())
            count += len(rows)
    model.train(was_training)
    return total / max(count, 1)


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)


def finite_or_none(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None
