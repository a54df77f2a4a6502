"""SimPO's length-normalised log-prob: prompt masked, padding excluded, exactly one BOS."""

from __future__ import annotations

import math

import pytest
import torch

from harness.errors import HarnessError
from tests.helpers.tiny_model import build_tiny_llama
from trainers.logprobs import collate_pairs, encode_example, model_sequence_logps, one_bos, sequence_logps


def test_sequence_logps_masks_prompt_and_padding_by_hand():
    # vocab 4; sequence [p0 p1 r0 r1 PAD PAD] with prompt 2, response 2, padding 2
    ids = torch.tensor([[0, 1, 2, 3, 0, 0]])
    mask = torch.tensor([[0, 0, 1, 1, 0, 0]])
    logits = torch.zeros(1, 6, 4)
    logits[0, 1, 2] = math.log(3.0)   # position 1 predicts r0=2: p = 3/6 = 1/2
    logits[0, 2, 3] = math.log(5.0)   # position 2 predicts r1=3: p = 5/8
    logits[0, 0, 1] = 50.0            # prompt token prediction: must not count
    logits[0, 3:, :] = torch.tensor([9.0, -9.0, 4.0, 1.0])  # predictions of padding: must not count
    out = sequence_logps(logits, ids, mask)
    expected = math.log(1 / 2) + math.log(5 / 8)
    assert out.logps.item() == pytest.approx(expected, abs=1e-6)
    assert out.lengths.item() == 2
    assert out.avg.item() == pytest.approx(expected / 2, abs=1e-6)


def test_one_bos():
    assert one_bos([7, 7, 7, 3], 7) == [7, 3]
    assert one_bos([3, 4], 7) == [7, 3, 4]
    assert one_bos([3, 4], None) == [3, 4]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = build_tiny_llama(tmp_path_factory.mktemp("tiny") / "m")
    return AutoTokenizer.from_pretrained(path), AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)


def test_encode_example_one_bos_and_response_is_the_assistant_turn(tiny):
    tok, _ = tiny
    ex = encode_example(tok, "what is two plus two", "four", "the answer is five", max_length=256,
                        max_prompt_length=128)
    bos = tok.bos_token_id
    assert ex["prompt_ids"][0] == bos and ex["prompt_ids"].count(bos) == 1  # template has bos_token: still one
    assert bos not in ex["chosen_ids"] and bos not in ex["rejected_ids"]
    assert tok.decode(ex["chosen_ids"]) == "four<|eot_id|>"
    assert tok.decode(ex["prompt_ids"]).endswith("<|start_header_id|>assistant<|end_header_id|>\n\n")
    # ultrafeedback-style conversations give the same ids
    conv = encode_example(tok, "what is two plus two",
                          [{"role": "user", "content": "what is two plus two"}, {"role": "assistant", "content": "four"}],
                          [{"role": "user", "content": "what is two plus two"},
                           {"role": "assistant", "content": "the answer is five"}],
                          max_length=256, max_prompt_length=128)
    assert conv == ex


def test_truncation_keeps_bos_and_prompt_end(tiny):
    tok, _ = tiny
    long = " ".join(["water"] * 100)
    ex = encode_example(tok, long, "four", "five five five five five five five five", max_length=20,
                        max_prompt_length=12)
    assert len(ex["prompt_ids"]) == 12 and ex["prompt_ids"][0] == tok.bos_token_id
    assert len(ex["prompt_ids"]) + len(ex["rejected_ids"]) <= 20
    with pytest.raises(HarnessError):
        bad = type("T", (), {"apply_chat_template": lambda self, m, tokenize=False, add_generation_prompt=False:
                             "X" if add_generation_prompt else "Y", "bos_token_id": None,
                             "__call__": lambda self, s, add_special_tokens=False: {"input_ids": [1]}})()
        encode_example(bad, "q", "a", "b", max_length=8, max_prompt_length=4)


def test_padding_does_not_change_logps(tiny):
    tok, model = tiny
    short = encode_example(tok, "hi", "yes", "no", max_length=256, max_prompt_length=128)
    long = encode_example(tok, "please write a long story about the world and the people in it",
                          "the story is good because it is new and old", "no", max_length=256, max_prompt_length=128)
    batch = collate_pairs([short, long], tok.pad_token_id)
    assert batch["input_ids"].shape[0] == 4
    with torch.no_grad():
        both = model_sequence_logps(model, batch["input_ids"], batch["attention_mask"], batch["response_mask"])
        alone = collate_pairs([short], tok.pad_token_id)
        one = model_sequence_logps(model, alone["input_ids"], alone["attention_mask"], alone["response_mask"])
    # order: chosen_short, chosen_long, rejected_short, rejected_long
    assert both.lengths.tolist()[0] == len(short["chosen_ids"])
    assert both.lengths.tolist()[2] == len(short["rejected_ids"])
    assert torch.allclose(both.logps[[0, 2]], one.logps, atol=1e-5)


def test_kl_pairs_are_mismatched(tiny):
    tok, _ = tiny
    a = {"prompt_ids": [1, 2], "chosen_ids": [3], "rejected_ids": [4]}
    b = {"prompt_ids": [5], "chosen_ids": [6, 7], "rejected_ids": [8]}
    batch = collate_pairs([a, b], 0, kl_pairs=True)
    assert batch["kl_input_ids"].tolist() == [[1, 2, 6, 7], [5, 3, 0, 0]]
    assert batch["kl_response_mask"].tolist() == [[0, 0, 1, 1], [0, 1, 0, 0]]
