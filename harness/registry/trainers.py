"""The training-method registry: objectives, hyperparameters per setting, search ranges.

Objectives follow Table 3 of the SimPO paper (Meng, Xia & Chen, 2024). Per-setting values
are the ones the SimPO README gives for the released models (SimPO: beta, gamma/beta and
learning rate; DPO: its best beta and learning rate); baseline search ranges are the
paper's (Appendix, also in ../shared/reference/FACTS.md). The training code lives elsewhere
(``trainers/``); this module is data only, so listing it never imports torch.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

from harness.errors import did_you_mean
from harness.registry.models import SETTINGS, Setting


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SettingHyperparams(_Strict):
    """Released-model hyperparameters for one setting. ``gamma`` is derived: ratio * beta."""

    setting: Setting
    beta: float
    learning_rate: float
    gamma_beta_ratio: float | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def gamma(self) -> float | None:
        if self.gamma_beta_ratio is None:
            return None
        return round(self.gamma_beta_ratio * self.beta, 12)


class TrainerSpec(_Strict):
    name: str
    full_name: str
    reference_free: bool
    objective: str  # the per-example loss as printed in the paper's Table 3 (unicode)
    hyperparameters: dict[str, str]  # paper symbol -> meaning
    search_space: dict[str, list[float]] = Field(default_factory=dict)
    per_setting: list[SettingHyperparams] = Field(default_factory=list)
    trl: str  # where trl 1.16 implements it, if anywhere
    notes: str = ""

    def for_setting(self, setting: str) -> SettingHyperparams | None:
        return next((h for h in self.per_setting if h.setting.lower() == setting.lower()), None)


# Shared by every released SimPO model (training_configs/*.yaml): batch 128 = 4 GPUs x 2 x 16.
TRAINING_DEFAULTS: dict[str, Any] = {
    "total_batch_size": 128, "num_train_epochs": 1, "lr_scheduler_type": "cosine", "warmup_ratio": 0.1,
    "optim": "adamw_torch", "seed": 42,
}
SEQUENCE_LENGTHS: dict[str, tuple[int, int]] = {  # setting -> (max_length, max_prompt_length)
    **{s: (2048, 1800) for s in SETTINGS if s != "Other"},
    "Mistral-Base": (1024, 512),
}
BASELINE_LEARNING_RATES = [3e-7, 5e-7, 6e-7, 1e-6]

_POLICY_W = "log πθ(y_w|x)"
_POLICY_L = "log πθ(y_l|x)"
_RATIO_W = "log πθ(y_w|x)/πref(y_w|x)"
_RATIO_L = "log πθ(y_l|x)/πref(y_l|x)"

_SIMPO_SETTINGS = [
    ("Mistral-Base", 2.0, 0.8, 3e-7),
    ("Mistral-Instruct", 2.5, 0.1, 5e-7),
    ("Llama3-Base", 2.0, 0.5, 6e-7),
    ("Llama3-Instruct", 2.5, 0.55, 1e-6),
    ("Llama3-Instruct-v0.2", 10.0, 0.3, 1e-6),
    ("Gemma", 10.0, 0.5, 8e-7),
]
_DPO_SETTINGS = [
    ("Mistral-Base", 0.01, 5e-7),
    ("Mistral-Instruct", 0.01, 5e-7),
    ("Llama3-Base", 0.01, 5e-7),
    ("Llama3-Instruct", 0.01, 7e-7),
    ("Llama3-Instruct-v0.2", 0.01, 3e-7),
    ("Gemma", 0.01, 5e-7),
]

TRAINERS: dict[str, TrainerSpec] = {t.name: t for t in [
    TrainerSpec(
        name="SFT", full_name="Supervised fine-tuning", reference_free=True,
        objective="−log πθ(y|x)", hyperparameters={},
        trl="trl.SFTTrainer", notes="The starting point of every base setting (e.g. zephyr-7b-sft-full).",
    ),
    TrainerSpec(
        name="RRHF", full_name="Rank Responses to align Human Feedback", reference_free=True,
        objective=f"max(0, −(1/|y_w|) {_POLICY_W} + (1/|y_l|) {_POLICY_L}) − λ {_POLICY_W}",
        hyperparameters={"λ": "weight of the SFT term"}, search_space={"learning_rate": BASELINE_LEARNING_RATES},
        trl="not in trl 1.16",
    ),
    TrainerSpec(
        name="SLiC-HF", full_name="Sequence Likelihood Calibration with Human Feedback", reference_free=True,
        objective=f"max(0, δ − {_POLICY_W} + {_POLICY_L}) − λ {_POLICY_W}",
        hyperparameters={"δ": "margin", "λ": "weight of the SFT term"},
        search_space={"λ": [0.1, 0.5, 1.0, 10.0], "δ": [0.1, 0.5, 1.0, 2.0], "learning_rate": BASELINE_LEARNING_RATES},
        trl="not in trl 1.16 (DPO loss_type='hinge' is the margin term without the SFT term)",
    ),
    TrainerSpec(
        name="DPO", full_name="Direct Preference Optimization", reference_free=False,
        objective=f"−log σ(β {_RATIO_W} − β {_RATIO_L})",
        hyperparameters={"β": "KL-penalty strength / reward scale"},
        search_space={"β": [0.01, 0.05, 0.1], "learning_rate": BASELINE_LEARNING_RATES},
        per_setting=[SettingHyperparams(setting=s, beta=b, learning_rate=lr) for s, b, lr in _DPO_SETTINGS],
        trl="trl.DPOTrainer (loss_type='sigmoid')",
    ),
    TrainerSpec(
        name="IPO", full_name="Identity Preference Optimization", reference_free=False,
        objective=f"({_RATIO_W} − {_RATIO_L} − 1/(2τ))²",
        hyperparameters={"τ": "regularisation strength"},
        search_space={"τ": [0.01, 0.1, 0.5, 1.0], "learning_rate": BASELINE_LEARNING_RATES},
        trl="trl.DPOTrainer (loss_type='ipo', beta=τ)",
    ),
    TrainerSpec(
        name="CPO", full_name="Contrastive Preference Optimization", reference_free=True,
        objective=f"−log σ(β {_POLICY_W} − β {_POLICY_L}) − λ {_POLICY_W}",
        hyperparameters={"β": "reward scale", "λ": "weight of the SFT term"},
        search_space={"λ": [1.0], "learning_rate": BASELINE_LEARNING_RATES},
        trl="trl.experimental CPOTrainer (loss_type='sigmoid', cpo_alpha=λ)",
    ),
    TrainerSpec(
        name="KTO", full_name="Kahneman-Tversky Optimization", reference_free=False,
        objective=(f"−λ_w σ(β {_RATIO_W} − z_ref) + λ_l σ(z_ref − β {_RATIO_L}), "
                   "z_ref = E_(x,y)~D[β KL(πθ(y|x) || πref(y|x))]"),
        hyperparameters={"β": "reward scale", "λ_w": "weight of desirable examples", "λ_l": "weight of undesirable examples"},
        search_space={"λ_w": [1.0], "λ_l": [1.0], "learning_rate": BASELINE_LEARNING_RATES},
        trl="trl.KTOTrainer",
    ),
    TrainerSpec(
        name="ORPO", full_name="Odds Ratio Preference Optimization", reference_free=True,
        objective=("−log pθ(y_w|x) − λ log σ(log pθ(y_w|x)/(1 − pθ(y_w|x)) − log pθ(y_l|x)/(1 − pθ(y_l|x))), "
                   "pθ(y|x) = exp((1/|y|) log πθ(y|x))"),
        hyperparameters={"λ": "weight of the odds-ratio term"},
        search_space={"λ": [0.1, 0.5, 1.0, 2.0], "learning_rate": BASELINE_LEARNING_RATES},
        trl="trl.experimental ORPOTrainer (beta=λ)", notes="Trained from the pretrained model; no SFT stage needed.",
    ),
    TrainerSpec(
        name="R-DPO", full_name="Regularized (length-controlled) DPO", reference_free=False,
        objective=f"−log σ(β {_RATIO_W} − β {_RATIO_L} + (α|y_w| − α|y_l|))",
        hyperparameters={"β": "as in DPO", "α": "length-regularisation strength"},
        search_space={"α": [0.05, 0.1, 0.5, 1.0], "learning_rate": BASELINE_LEARNING_RATES},
        trl="not in trl 1.16",
    ),
    TrainerSpec(
        name="SimPO", full_name="Simple Preference Optimization", reference_free=True,
        objective=f"−log σ((β/|y_w|) {_POLICY_W} − (β/|y_l|) {_POLICY_L} − γ)",
        hyperparameters={"β": "reward scale (much larger than DPO's)",
                         "γ": "target reward margin; configured as gamma_beta_ratio = γ/β",
                         "sft_weight": "optional extra SFT loss weight (default 0)"},
        search_space={"learning_rate": [3e-7, 5e-7, 8e-7, 1e-6]},  # the SimPO README's recommended grid
        per_setting=[
            SettingHyperparams(setting=s, beta=b, gamma_beta_ratio=r, learning_rate=lr) for s, b, r, lr in _SIMPO_SETTINGS
        ],
        trl="trl.experimental CPOTrainer (loss_type='simpo', cpo_alpha=0, simpo_gamma=γ)",
        notes=("No reference model; log-likelihoods are averaged over response tokens. README tuning advice: "
               "beta 2.0-2.5 in the preprint, often 10 is better; start gamma_beta_ratio at 0.5 and search in [0, 1]; "
               "keep the total batch size at 128."),
    ),
]}


def get_trainer(name: str) -> TrainerSpec:
    """Look a method up by name (case- and punctuation-insensitive: 'rdpo', 'slic-hf')."""
    key = _norm(name)
    for spec in TRAINERS.values():
        if _norm(spec.name) == key:
            return spec
    raise did_you_mean(name, TRAINERS, what="trainer")


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def trainer_as_dict(spec: TrainerSpec) -> dict[str, Any]:
    """A JSON-ready view including derived gamma and the shared training defaults."""
    out = spec.model_dump(mode="json")
    out["training_defaults"] = TRAINING_DEFAULTS
    out["sequence_lengths"] = {s: {"max_length": a, "max_prompt_length": b} for s, (a, b) in SEQUENCE_LENGTHS.items()}
    return out
