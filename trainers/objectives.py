"""Preference-optimization objectives as small pure functions on per-sequence log-probs.

Every function returns the **per-example** loss (shape ``(batch,)``); the trainer takes the mean.
Inputs are 1-D tensors over the batch:

* ``*_logps``: summed log-prob of the response tokens, log pi(y|x) (prompt masked, padding excluded);
* ``*_lengths``: number of response tokens |y| (so ``logps / lengths`` is the length-normalised log-prob);
* ``ref_*_logps``: the same summed log-probs under the frozen reference model.

Definitions follow Table 3 of the SimPO paper (Meng, Xia & Chen, 2024) and its parameter names
(beta, gamma, tau, lambda -> ``lam``, delta, alpha). Where the paper writes an SFT/NLL
regulariser "- lambda log pi(y_w|x)" (CPO, ORPO, RRHF, SLiC-HF, SimPO's sft_weight) we use what the
reference implementations compute -- trl's CPO/ORPO trainers and the SimPO authors' trainer all take
``nn.CrossEntropyLoss`` over the batch's chosen response tokens, a token mean over the whole batch
(otherwise the term would scale with response length). :func:`token_mean_nll` spreads that batch
quantity over the examples so that ``losses.mean()`` equals it exactly; for one example it is
-log pi(y_w|x) / |y_w|.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

Tensor = torch.Tensor

SIMPO_LOSS_TYPES = ("sigmoid", "hinge")


def _avg(logps: Tensor, lengths: Tensor) -> Tensor:
    return logps / lengths.to(logps.dtype).clamp(min=1)


def token_mean_nll(chosen_logps: Tensor, chosen_lengths: Tensor) -> Tensor:
    """Per-example shares of the batch token-mean NLL: mean over the batch = -sum(logps) / sum(lengths)."""
    total = chosen_lengths.to(chosen_logps.dtype).sum().clamp(min=1)
    return -chosen_logps * chosen_logps.shape[0] / total


def _smoothed_sigmoid(logits: Tensor, label_smoothing: float) -> Tensor:
    """-(1-eps) log sigma(z) - eps log sigma(-z): the conservative (label-smoothed) logistic loss."""
    return -F.logsigmoid(logits) * (1 - label_smoothing) - F.logsigmoid(-logits) * label_smoothing


def simpo_loss(
    chosen_logps: Tensor, rejected_logps: Tensor, chosen_lengths: Tensor, rejected_lengths: Tensor, *,
    beta: float, gamma: float, loss_type: str = "sigmoid", label_smoothing: float = 0.0, sft_weight: float = 0.0,
) -> Tensor:
    """SimPO: -log sigma(beta/|y_w| log pi(y_w|x) - beta/|y_l| log pi(y_l|x) - gamma).

    ``gamma`` is the absolute target margin (= gamma_beta_ratio * beta; see ``trainers.recipe``).
    ``loss_type="hinge"``: relu(1 - (beta*Δavg - gamma)). ``sft_weight`` adds sft_weight * the chosen
    responses' token-mean NLL (the authors' trainer: CrossEntropyLoss over the batch's chosen tokens).
    """
    if loss_type not in SIMPO_LOSS_TYPES:
        raise ValueError(f"SimPO loss_type must be one of {SIMPO_LOSS_TYPES}, got {loss_type!r}")
    chosen_avg = _avg(chosen_logps, chosen_lengths)
    rejected_avg = _avg(rejected_logps, rejected_lengths)
    logits = beta * (chosen_avg - rejected_avg) - gamma
    losses = _smoothed_sigmoid(logits, label_smoothing) if loss_type == "sigmoid" else torch.relu(1 - logits)
    if sft_weight:
        losses = losses + sft_weight * token_mean_nll(chosen_logps, chosen_lengths)
    return losses


def dpo_loss(
    chosen_logps: Tensor, rejected_logps: Tensor, ref_chosen_logps: Tensor, ref_rejected_logps: Tensor, *,
    beta: float, label_smoothing: float = 0.0,
) -> Tensor:
    """DPO: -log sigma(beta log pi(y_w)/pi_ref(y_w) - beta log pi(y_l)/pi_ref(y_l)) (label smoothing = cDPO)."""
    logits = beta * ((chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps))
    return _smoothed_sigmoid(logits, label_smoothing)


def ipo_loss(
    chosen_logps: Tensor, rejected_logps: Tensor, ref_chosen_logps: Tensor, ref_rejected_logps: Tensor,
    chosen_lengths: Tensor, rejected_lengths: Tensor, *, tau: float,
) -> Tensor:
    """IPO: (log pi(y_w)/pi_ref(y_w) - log pi(y_l)/pi_ref(y_l) - 1/(2 tau))^2.

    Log-ratios are averaged per token, as in trl's IPO (confirmed with the IPO authors) which the SimPO
    authors' baselines used; summed ratios would make the squared loss scale with length.
    """
    delta = _avg(chosen_logps - ref_chosen_logps, chosen_lengths) - _avg(
        rejected_logps - ref_rejected_logps, rejected_lengths
    )
    return (delta - 1 / (2 * tau)) ** 2


def cpo_loss(
    chosen_logps: Tensor, rejected_logps: Tensor, chosen_lengths: Tensor, *, beta: float, lam: float = 1.0,
) -> Tensor:
    """CPO: -log sigma(beta log pi(y_w|x) - beta log pi(y_l|x)) + lambda * NLL(y_w) (token mean, see above)."""
    return -F.logsigmoid(beta * (chosen_logps - rejected_logps)) + lam * token_mean_nll(chosen_logps, chosen_lengths)


def kto_loss(
    chosen_logps: Tensor, rejected_logps: Tensor, ref_chosen_logps: Tensor, ref_rejected_logps: Tensor,
    kl: Tensor | float, *, beta: float, lambda_w: float = 1.0, lambda_l: float = 1.0,
) -> Tensor:
    """KTO on paired data: lambda_w (1 - sigma(beta r_w - z_ref)) + lambda_l (1 - sigma(z_ref - beta r_l)).

    r = log pi/pi_ref (summed); z_ref = beta * kl where ``kl`` is the batch estimate of KL(pi || pi_ref)
    (from mismatched prompt/completion pairs, clamped at 0 and detached, as in the KTO paper and trl).
    The SimPO paper's Table 3 writes the same loss up to the additive constant lambda_w + lambda_l.
    Returned per pair: the desirable and undesirable terms summed.
    """
    kl_t = torch.as_tensor(kl, dtype=chosen_logps.dtype, device=chosen_logps.device).detach().clamp(min=0)
    z_ref = beta * kl_t
    chosen = lambda_w * (1 - torch.sigmoid(beta * (chosen_logps - ref_chosen_logps) - z_ref))
    rejected = lambda_l * (1 - torch.sigmoid(z_ref - beta * (rejected_logps - ref_rejected_logps)))
    return chosen + rejected


def orpo_loss(
    chosen_logps: Tensor, rejected_logps: Tensor, chosen_lengths: Tensor, rejected_lengths: Tensor, *,
    lam: float,
) -> Tensor:
    """ORPO: -log p(y_w|x) - lambda log sigma(log odds(y_w) - log odds(y_l)).

    p(y|x) = exp(avg log pi(y|x)); odds = p / (1 - p), computed stably with log1p(-exp(.)).
    The -log p(y_w|x) term is the token-mean NLL, as in trl's ORPOTrainer.
    """
    cw, cl = _avg(chosen_logps, chosen_lengths), _avg(rejected_logps, rejected_lengths)
    log_odds = (cw - cl) - (torch.log1p(-torch.exp(cw)) - torch.log1p(-torch.exp(cl)))
    return token_mean_nll(chosen_logps, chosen_lengths) - lam * F.logsigmoid(log_odds)


def rdpo_loss(
    chosen_logps: Tensor, rejected_logps: Tensor, ref_chosen_logps: Tensor, ref_rejected_logps: Tensor,
    chosen_lengths: Tensor, rejected_lengths: Tensor, *, beta: float, alpha: float,
) -> Tensor:
    """R-DPO: -log sigma(beta log ratio_w - beta log ratio_l + (alpha |y_w| - alpha |y_l|))."""
    logits = beta * ((chosen_logps - ref_chosen_logps) - (rejected_logps - ref_rejected_logps))
    logits = logits + alpha * (chosen_lengths.to(logits.dtype) - rejected_lengths.to(logits.dtype))
    return -F.logsigmoid(logits)


def rrhf_loss(
    chosen_logps: Tensor, rejected_logps: Tensor, chosen_lengths: Tensor, rejected_lengths: Tensor, *,
    lam: float = 1.0,
) -> Tensor:
    """RRHF: max(0, -avg log pi(y_w|x) + avg log pi(y_l|x)) + lambda * NLL(y_w) (token mean)."""
    cw, cl = _avg(chosen_logps, chosen_lengths), _avg(rejected_logps, rejected_lengths)
    return torch.relu(cl - cw) + lam * token_mean_nll(chosen_logps, chosen_lengths)


def slic_hf_loss(
    chosen_logps: Tensor, rejected_logps: Tensor, chosen_lengths: Tensor, *, delta: float, lam: float,
) -> Tensor:
    """SLiC-HF: max(0, delta - log pi(y_w|x) + log pi(y_l|x)) + lambda * NLL(y_w) (token mean)."""
    return torch.relu(delta - chosen_logps + rejected_logps) + lam * token_mean_nll(chosen_logps, chosen_lengths)


# method -> (function, needs a reference model)
OBJECTIVES: dict[str, tuple[object, bool]] = {
    "simpo": (simpo_loss, False),
    "dpo": (dpo_loss, True),
    "ipo": (ipo_loss, True),
    "cpo": (cpo_loss, False),
    "kto": (kto_loss, True),
    "orpo": (orpo_loss, False),
    "rdpo": (rdpo_loss, True),
    "rrhf": (rrhf_loss, False),
    "slic_hf": (slic_hf_loss, False),
}


def needs_reference(method: str) -> bool:
    return OBJECTIVES[method][1]


def compute_losses(
    method: str, params: dict[str, float | str], *, chosen_logps: Tensor, rejected_logps: Tensor,
    chosen_lengths: Tensor, rejected_lengths: Tensor, ref_chosen_logps: Tensor | None = None,
    ref_rejected_logps: Tensor | None = None, kl: Tensor | float | None = None,
) -> Tensor:
    """Dispatch ``method`` with hyperparameters ``params`` (the recipe's objective block) to its function."""
    import inspect

    fn, needs_ref = OBJECTIVES[method]
    if needs_ref and (ref_chosen_logps is None or ref_rejected_logps is None):
        raise ValueError(f"{method} needs reference log-probs")
    available = {
        "chosen_logps": chosen_logps, "rejected_logps": rejected_logps,
        "chosen_lengths": chosen_lengths, "rejected_lengths": rejected_lengths,
        "ref_chosen_logps": ref_chosen_logps, "ref_rejected_logps": ref_rejected_logps,
        "kl": 0.0 if kl is None else kl,
    }
    sig = inspect.signature(fn)  # type: ignore[arg-type]
    kwargs = {name: available[name] for name in sig.parameters if name in available}
    kwargs.update({name: value for name, value in params.items() if name in sig.parameters})
    return fn(**kwargs)  # type: ignore[operator]
