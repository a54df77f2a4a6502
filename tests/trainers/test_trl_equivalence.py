"""Our SimPO and DPO losses (log-probs + objective) equal trl's on the same model and batch (<= 1e-5).

trl 1.16: SimPO is ``trl.experimental.cpo`` CPOTrainer(loss_type="simpo", cpo_alpha=0, simpo_gamma=gamma)
(cpo_alpha > 0 is SimPO's sft_weight; loss_type="sigmoid" with cpo_alpha=lambda is CPO);
DPO's loss lives inside ``DPOTrainer._compute_loss`` (no standalone callable), so we call ``compute_loss``.
"""

from __future__ import annotations

import warnings

import pytest
import torch

from tests.helpers.tiny_model import build_tiny_llama
from trainers.logprobs import collate_pairs, model_sequence_logps, sequence_logps
from trainers.objectives import dpo_loss, simpo_loss

pytest.importorskip("trl")

ROWS = [
    {"prompt": "please write a poem about water", "chosen": " the water is good because it is new",
     "rejected": " no"},
    {"prompt": "what is two plus two", "chosen": " four", "rejected": " the answer is five or six because"},
    {"prompt": "list three people", "chosen": " one two three", "rejected": " a story about the world"},
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = build_tiny_llama(tmp_path_factory.mktemp("tiny") / "m", seed=3)
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    return path, tok, model


@pytest.mark.parametrize("variant", ["simpo", "simpo_sft", "cpo"])
def test_simpo_and_cpo_match_trl_cpo_trainer(tiny, tmp_path, variant):
    from datasets import Dataset
    from trl.experimental.cpo import CPOConfig, CPOTrainer

    from trainers.objectives import cpo_loss

    path, tok, model = tiny
    beta, ratio = 2.5, 0.55
    gamma = ratio * beta
    alpha = 0.0 if variant == "simpo" else 0.7  # trl's cpo_alpha = our sft_weight / CPO lambda
    loss_type = "sigmoid" if variant == "cpo" else "simpo"
    if variant == "cpo":
        beta = 0.1
    args = CPOConfig(output_dir=str(tmp_path), loss_type=loss_type, cpo_alpha=alpha, simpo_gamma=gamma, beta=beta,
                     bf16=False, gradient_checkpointing=False, report_to=[], max_length=64,
                     per_device_train_batch_size=len(ROWS), use_cpu=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer = CPOTrainer(model=model, args=args, train_dataset=Dataset.from_list(ROWS), processing_class=tok)
    batch = next(iter(trainer.get_train_dataloader()))
    model.eval()
    with torch.no_grad():
        trl_loss, _ = trainer.get_batch_loss_metrics(model, batch)

        # ours, on the very same token ids: response mask = trl's labels != -100
        cat = trainer.concatenated_inputs(batch, padding_value=trainer.pad_token_id)
        ids, attn = cat["concatenated_input_ids"], cat["concatenated_attention_mask"]
        response_mask = (cat["concatenated_labels"] != -100).long()
        seq = model_sequence_logps(model, ids, attn, response_mask)
        n = len(ROWS)
        if variant == "cpo":
            ours = cpo_loss(seq.logps[:n], seq.logps[n:], seq.lengths[:n], beta=beta, lam=alpha).mean()
        else:
            ours = simpo_loss(seq.logps[:n], seq.logps[n:], seq.lengths[:n], seq.lengths[n:], beta=beta,
                              gamma=gamma, sft_weight=alpha).mean()
    assert trl_loss.item() > 0
    assert abs(ours.item() - trl_loss.item()) <= 1e-5


def test_dpo_matches_trl_dpo(tiny, tmp_path):
    from datasets import Dataset
    from transformers import AutoModelForCausalLM
    from trl import DPOConfig, DPOTrainer
    from trl.trainer.dpo_trainer import DataCollatorForPreference

    path, tok, _ = tiny
    policy = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    torch.manual_seed(1)
    with torch.no_grad():  # make the policy differ from the reference
        for p in policy.parameters():
            p.add_(0.02 * torch.randn_like(p))
    ref = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    beta = 0.1
    args = DPOConfig(output_dir=str(tmp_path), beta=beta, loss_type=["sigmoid"], bf16=False,
                     gradient_checkpointing=False, report_to=[], use_cpu=True, max_length=64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer = DPOTrainer(model=policy, ref_model=ref, args=args, train_dataset=Dataset.from_list(ROWS),
                             processing_class=tok)

    examples = []
    for row in ROWS:
        examples.append({
            "prompt_ids": [tok.bos_token_id] + tok(row["prompt"], add_special_tokens=False)["input_ids"],
            "chosen_ids": tok(row["chosen"], add_special_tokens=False)["input_ids"] + [tok.eos_token_id],
            "rejected_ids": tok(row["rejected"], add_special_tokens=False)["input_ids"] + [tok.eos_token_id],
        })
    inputs = DataCollatorForPreference(pad_token_id=tok.pad_token_id)(examples)
    policy.eval()
    with torch.no_grad():
        trl_loss = trainer.compute_loss(trainer.model, dict(inputs))
        ours_batch = collate_pairs(examples, tok.pad_token_id)
        assert torch.equal(ours_batch["input_ids"], inputs["input_ids"])
        assert torch.equal(ours_batch["response_mask"], inputs["completion_mask"])
        kw = {"input_ids": ours_batch["input_ids"], "attention_mask": ours_batch["attention_mask"]}
        pol = sequence_logps(policy(**kw).logits, kw["input_ids"], ours_batch["response_mask"])
        rf = sequence_logps(ref(**kw).logits, kw["input_ids"], ours_batch["response_mask"])
        n = len(ROWS)
        ours = dpo_loss(pol.logps[:n], pol.logps[n:], rf.logps[:n], rf.logps[n:], beta=beta).mean()
    assert abs(trl_loss.item() - torch.log(torch.tensor(2.0)).item()) > 1e-4  # policy != reference
    assert abs(ours.item() - trl_loss.item()) <= 1e-5
