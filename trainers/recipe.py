"""Training recipes: pydantic schema (extra="forbid") and loading by name or path.

A recipe is the single source of truth for a training run: base model, data, objective with its
hyperparameters (the paper's names), and optimisation settings. SimPO recipes carry
``gamma_beta_ratio`` like the authors' configs; the absolute margin gamma = gamma_beta_ratio * beta
is computed in one place (:meth:`SimPOObjective.loss_params`) and recorded with the checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import did_you_mean
from harness.yaml_config import read_yaml_mapping, validate

RECIPES_DIR = Path(__file__).resolve().parent / "recipes"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Objective(_Strict):
    def loss_params(self) -> dict[str, float | str]:
        """Keyword arguments for the objective function in :mod:`trainers.objectives`."""
        return self.model_dump(exclude={"method"})


class SimPOObjective(_Objective):
    method: Literal["simpo"]
    beta: float = Field(gt=0)
    gamma_beta_ratio: float = Field(ge=0)
    loss_type: Literal["sigmoid", "hinge"] = "sigmoid"
    label_smoothing: float = Field(0.0, ge=0, lt=0.5)
    sft_weight: float = Field(0.0, ge=0)

    @property
    def gamma(self) -> float:
        """Absolute target reward margin: gamma = gamma_beta_ratio * beta (the authors' convention)."""
        return self.gamma_beta_ratio * self.beta

    def loss_params(self) -> dict[str, float | str]:
        return {"beta": self.beta, "gamma": self.gamma, "loss_type": self.loss_type,
                "label_smoothing": self.label_smoothing, "sft_weight": self.sft_weight}


class DPOObjective(_Objective):
    method: Literal["dpo"]
    beta: float = Field(gt=0)
    label_smoothing: float = Field(0.0, ge=0, lt=0.5)


class IPOObjective(_Objective):
    method: Literal["ipo"]
    tau: float = Field(gt=0)


class CPOObjective(_Objective):
    method: Literal["cpo"]
    beta: float = Field(gt=0)
    lam: float = Field(1.0, ge=0)


class KTOObjective(_Objective):
    method: Literal["kto"]
    beta: float = Field(gt=0)
    lambda_w: float = Field(1.0, ge=0)
    lambda_l: float = Field(1.0, ge=0)


class ORPOObjective(_Objective):
    method: Literal["orpo"]
    lam: float = Field(ge=0)


class RDPOObjective(_Objective):
    method: Literal["rdpo"]
    beta: float = Field(gt=0)
    alpha: float


class RRHFObjective(_Objective):
    method: Literal["rrhf"]
    lam: float = Field(1.0, ge=0)


class SLiCHFObjective(_Objective):
    method: Literal["slic_hf"]
    delta: float = Field(ge=0)
    lam: float = Field(ge=0)


Objective = Annotated[
    SimPOObjective | DPOObjective | IPOObjective | CPOObjective | KTOObjective | ORPOObjective
    | RDPOObjective | RRHFObjective | SLiCHFObjective,
    Field(discriminator="method"),
]


class TrainingParams(_Strict):
    """The optimisation settings of the authors' configs (alignment-handbook / HF TrainingArguments names)."""

    learning_rate: float = Field(gt=0)
    num_train_epochs: float = 1.0
    max_steps: int = -1
    per_device_train_batch_size: int = Field(2, ge=1)
    gradient_accumulation_steps: int = Field(16, ge=1)
    lr_scheduler_type: str = "cosine"
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    weight_decay: float = 0.0
    optim: str = "adamw_torch"
    max_length: int = Field(2048, ge=8)
    max_prompt_length: int = Field(1800, ge=4)
    bf16: bool = True
    gradient_checkpointing: bool = True
    logging_steps: int = 5
    save_steps: int = 1_000_000
    save_total_limit: int | None = 20
    seed: int = 42


class Recipe(_Strict):
    name: str
    description: str = ""
    model: str = Field(description="registry name, HF repo, local checkpoint dir, or 'tiny-random-llama'")
    model_revision: str = "main"
    template: str | None = Field(None, description="harness template id for the trained checkpoint")
    setting: str = Field("Other", description="the paper's setting name (registry SETTINGS), e.g. Llama3-Instruct")
    family: str | None = Field(None, description="model family for the checkpoint config (default: the base model's)")
    version: str | None = None
    chat_template: str | None = None
    torch_dtype: Literal["auto", "float32", "bfloat16", "float16"] | None = None
    attn_implementation: str | None = None
    dataset_mixer: dict[str, float] = Field(min_length=1)
    dataset_splits: list[str] = Field(default_factory=lambda: ["train"])
    max_train_samples: int | None = None
    objective: Objective
    reference: Literal["model", "precomputed"] = Field(
        "model", description="reference log-probs from a model kept in memory, or precomputed once before training"
    )
    training: TrainingParams
    output_dir: str | None = None
    loss_probe_samples: int = Field(0, ge=0, description="measure the objective on this many training pairs "
                                    "before and after training (recorded in the training manifest)")
    hyperparameters_source: str = ""

    @property
    def method(self) -> str:
        return self.objective.method

    def resolved_hyperparameters(self) -> dict[str, Any]:
        """What the loss actually receives, plus the recipe's raw values (recorded with the checkpoint)."""
        out: dict[str, Any] = {"method": self.method, "recipe": self.objective.model_dump(),
                               "loss_params": self.objective.loss_params()}
        if isinstance(self.objective, SimPOObjective):
            out["gamma_conversion"] = (f"gamma = gamma_beta_ratio * beta = {self.objective.gamma_beta_ratio} * "
                                       f"{self.objective.beta} = {self.objective.gamma}")
        return out


def available_recipes() -> list[str]:
    return sorted(p.stem for p in RECIPES_DIR.glob("*.yaml"))


def load_recipe(name_or_path: str | Path, **overrides: Any) -> Recipe:
    """Load a bundled recipe by name (``trainers/recipes/<name>.yaml``) or any YAML path."""
    path = Path(name_or_path)
    if not path.is_file():
        if str(name_or_path) not in available_recipes():
            raise did_you_mean(str(name_or_path), available_recipes(), what="recipe")
        path = RECIPES_DIR / f"{name_or_path}.yaml"
    data = read_yaml_mapping(path, f"recipe {path}")
    data.setdefault("name", path.stem)
    if overrides.get("model") is not None and overrides["model"] != data.get("model"):
        # the recipe's template/family/chat template describe its own base model, not the override
        for key in ("template", "family", "chat_template"):
            if overrides.get(key) is None:
                data.pop(key, None)
    for key, value in overrides.items():
        if value is None:
            continue
        if key in TrainingParams.model_fields:
            data.setdefault("training", {})[key] = value
        else:
            data[key] = value
    return validate(Recipe, data, f"recipe {path}")
