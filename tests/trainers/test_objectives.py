"""Each objective against numbers worked out by hand (math module only, never the function under test)."""

from __future__ import annotations

import math

import pytest
import torch

from trainers import objectives as O


def t(*xs: float) -> torch.Tensor:
    return torch.tensor(xs, dtype=torch.float64)


def sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def logsig(x: float) -> float:
    return math.log(sig(x))


# One pair used throughout: summed log-probs, lengths, reference log-probs.
CW, CL, NW, NL = -12.0, -20.0, 4, 5          # avg: -3.0, -4.0
RW, RL = -13.0, -18.0                          # log-ratios: +1.0, -2.0


def close(got: torch.Tensor, expected: float) -> None:
    assert got.shape == (1,)
    assert got.item() == pytest.approx(expected, abs=1e-12)


def test_simpo_sigmoid():
    # beta*(avg_w - avg_l) - gamma = 2.0*(-3 - -4) - 1.0 = 1.0 -> -log sigma(1) = 0.31326168751822286
    got = O.simpo_loss(t(CW), t(CL), t(NW), t(NL), beta=2.0, gamma=1.0)
    close(got, 0.31326168751822286)
    close(got, -logsig(1.0))


def test_simpo_label_smoothing_and_sft_weight():
    # z = 2.5*1 - 0.5 = 2.0 ; 0.9*-log s(2) + 0.1*-log s(-2) ; sft: -0.5 * (-3.0) = +1.5
    expected = 0.9 * -logsig(2.0) + 0.1 * -logsig(-2.0) + 1.5
    got = O.simpo_loss(t(CW), t(CL), t(NW), t(NL), beta=2.5, gamma=0.5, label_smoothing=0.1, sft_weight=0.5)
    close(got, expected)


def test_simpo_hinge():
    # z = 2*1 - 1.6 = 0.4 -> relu(1 - 0.4) = 0.6 ; with gamma 0 z = 2 -> 0
    close(O.simpo_loss(t(CW), t(CL), t(NW), t(NL), beta=2.0, gamma=1.6, loss_type="hinge"), 0.6)
    close(O.simpo_loss(t(CW), t(CL), t(NW), t(NL), beta=2.0, gamma=0.0, loss_type="hinge"), 0.0)
    with pytest.raises(ValueError):
        O.simpo_loss(t(CW), t(CL), t(NW), t(NL), beta=2.0, gamma=0.0, loss_type="ipo")


def test_simpo_uses_length_normalisation():
    # same sums, the rejected answer twice as long: avg -3 vs -2 -> z = 1*(-3+2) = -1
    got = O.simpo_loss(t(-12.0), t(-20.0), t(4), t(10), beta=1.0, gamma=0.0)
    close(got, math.log(1 + math.e))


def test_dpo():
    # beta*((-12+13) - (-20+18)) = 0.1*3 = 0.3
    close(O.dpo_loss(t(CW), t(CL), t(RW), t(RL), beta=0.1), math.log(1 + math.exp(-0.3)))
    cdpo = 0.8 * -logsig(0.3) + 0.2 * -logsig(-0.3)
    close(O.dpo_loss(t(CW), t(CL), t(RW), t(RL), beta=0.1, label_smoothing=0.2), cdpo)


def test_ipo():
    # avg log-ratios: 1/4 - (-2/5) = 0.65 ; tau 0.5 -> 1/(2 tau) = 1 ; (0.65 - 1)^2 = 0.1225
    close(O.ipo_loss(t(CW), t(CL), t(RW), t(RL), t(NW), t(NL), tau=0.5), 0.1225)


def test_cpo():
    # -log s(0.1*(-12+20)) - 1*(-3) = -log s(0.8) + 3
    close(O.cpo_loss(t(CW), t(CL), t(NW), beta=0.1, lam=1.0), math.log(1 + math.exp(-0.8)) + 3.0)


def test_kto():
    # r_w = 1, r_l = -2, beta 0.5, kl 0.4 -> z = 0.2
    # 1*(1 - s(0.5 - 0.2)) + 1*(1 - s(0.2 + 1.0))
    expected = (1 - sig(0.3)) + (1 - sig(1.2))
    close(O.kto_loss(t(CW), t(CL), t(RW), t(RL), 0.4, beta=0.5), expected)
    # negative KL estimates are clamped at 0; weights scale each half
    expected = 2.0 * (1 - sig(0.5)) + 0.5 * (1 - sig(1.0))
    close(O.kto_loss(t(CW), t(CL), t(RW), t(RL), -3.0, beta=0.5, lambda_w=2.0, lambda_l=0.5), expected)


def test_orpo():
    # p_w = e^-3, p_l = e^-4 ; log odds = log(p/(1-p))
    pw, pl = math.exp(-3), math.exp(-4)
    log_odds = math.log(pw / (1 - pw)) - math.log(pl / (1 - pl))
    expected = 3.0 - 0.5 * logsig(log_odds)
    close(O.orpo_loss(t(CW), t(CL), t(NW), t(NL), lam=0.5), expected)


def test_rdpo():
    # 0.1*3 + 0.5*(4 - 5) = -0.2
    close(O.rdpo_loss(t(CW), t(CL), t(RW), t(RL), t(NW), t(NL), beta=0.1, alpha=0.5), math.log(1 + math.exp(0.2)))


def test_rrhf():
    # avg_w -3 > avg_l -4 -> ranking term 0 ; sft 1*3
    close(O.rrhf_loss(t(CW), t(CL), t(NW), t(NL), lam=1.0), 3.0)
    # swap: ranking term max(0, 4 - 3)... avg_w=-4, avg_l=-3 -> 1 ; sft 0.5*4 = 2
    close(O.rrhf_loss(t(CL), t(CW), t(NL), t(NW), lam=0.5), 3.0)


def test_slic_hf():
    # max(0, 10 + 12 - 20) = 2 ; - 0.1*(-3) = 0.3
    close(O.slic_hf_loss(t(CW), t(CL), t(NW), delta=10.0, lam=0.1), 2.3)
    close(O.slic_hf_loss(t(CW), t(CL), t(NW), delta=1.0, lam=0.0), 0.0)


def test_dispatch_covers_every_method_and_passes_params():
    kwargs = dict(chosen_logps=t(CW), rejected_logps=t(CL), chosen_lengths=t(NW), rejected_lengths=t(NL),
                  ref_chosen_logps=t(RW), ref_rejected_logps=t(RL), kl=0.4)
    params = {"simpo": {"beta": 2.0, "gamma": 1.0}, "dpo": {"beta": 0.1}, "ipo": {"tau": 0.5},
              "cpo": {"beta": 0.1, "lam": 1.0}, "kto": {"beta": 0.5}, "orpo": {"lam": 0.5},
              "rdpo": {"beta": 0.1, "alpha": 0.5}, "rrhf": {"lam": 1.0}, "slic_hf": {"delta": 10.0, "lam": 0.1}}
    assert set(params) == set(O.OBJECTIVES)
    assert O.compute_losses("simpo", params["simpo"], **kwargs).item() == pytest.approx(-logsig(1.0))
    assert O.compute_losses("slic_hf", params["slic_hf"], **kwargs).item() == pytest.approx(2.3)
    assert O.compute_losses("ipo", params["ipo"], **kwargs).item() == pytest.approx(0.1225)
    for method, p in params.items():
        assert torch.isfinite(O.compute_losses(method, p, **kwargs)).all()
    kwargs.pop("ref_chosen_logps")
    with pytest.raises(ValueError, match="reference"):
        O.compute_losses("dpo", params["dpo"], **kwargs)


def test_gradients_push_the_right_way():
    cw = t(CW).requires_grad_()
    cl = t(CL).requires_grad_()
    O.simpo_loss(cw, cl, t(NW), t(NL), beta=2.0, gamma=1.0).sum().backward()
    assert cw.grad.item() < 0 < cl.grad.item()  # descent raises chosen, lowers rejected


def test_nll_regulariser_is_the_batch_token_mean():
    # two chosen answers: sums -12 (4 tokens) and -2 (1 token): token-mean NLL = 14/5 = 2.8,
    # not the mean of the per-sequence averages (3 + 2)/2 = 2.5
    cw, nw = t(-12.0, -2.0), t(4, 1)
    assert O.token_mean_nll(cw, nw).mean().item() == pytest.approx(2.8, abs=1e-12)
    # CPO: margin term -log s(0.1*(cw - cl)) with cl = cw - 10 -> -log s(1) for both pairs
    got = O.cpo_loss(cw, cw - 10, nw, beta=0.1, lam=1.0).mean().item()
    assert got == pytest.approx(-logsig(1.0) + 2.8, abs=1e-12)
    # SimPO's sft_weight uses the same batch token mean (the authors' CrossEntropyLoss)
    got = O.simpo_loss(cw, cw, nw, nw, beta=1.0, gamma=0.0, sft_weight=0.5).mean().item()
    assert got == pytest.approx(math.log(2) + 0.5 * 2.8, abs=1e-12)
