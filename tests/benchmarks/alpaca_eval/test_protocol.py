"""The judge protocol against alpaca-eval 0.6.2's own annotator and the published annotations."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from harness.benchmarks.alpaca_eval import data as ae_data
from harness.benchmarks.alpaca_eval import protocol
from harness.store.jsonl import read_records


@pytest.fixture(scope="module")
def ae_dir(shared_dir):
    return shared_dir / "alpaca_eval_validation_data"


def _files_with_raw(ae_dir):
    out = []
    for path in sorted((ae_dir / "annotations").glob("*.annotations.json.gz")):
        rows = read_records(path)
        if "raw_completion" in rows[0]:
            out.append((path.name, rows))
    return out


def test_parser_reproduces_every_stored_preference(ae_dir):
    files = _files_with_raw(ae_dir)
    assert len(files) >= 8
    n_checked = 0
    for name, rows in files:
        for r in rows:
            ours = protocol.preference_for(
                r["instruction"], r["output_1"], r["output_2"], protocol.top_logprobs_from_raw(r["raw_completion"])
            )
            stored = r["preference"]
            if stored is None or (isinstance(stored, float) and math.isnan(stored)):
                assert math.isnan(ours), name
            else:
                assert ours == pytest.approx(float(stored), abs=1e-9), (name, r["instruction"][:50])
            n_checked += 1
    assert n_checked >= 8 * 805


def test_switch_rule_matches_raw_tokens(ae_dir):
    """Where the judge was confident, its argmax token names the slot holding the preferred output."""
    _, rows = _files_with_raw(ae_dir)[0]
    confident = 0
    for r in rows:
        tl = protocol.top_logprobs_from_raw(r.get("raw_completion"))
        if not tl or r["preference"] is None or abs(r["preference"] - 1.5) < 0.45:
            continue
        top = max((t for t in tl[0] if t["token"] in ("m", "M")), key=lambda t: t["logprob"])["token"]
        model_won = r["preference"] > 1.5
        model_slot = "m" if protocol.is_switched(r["instruction"]) else "M"
        assert (top == model_slot) == model_won
        confident += 1
    assert confident > 500


def test_prompt_and_switch_equal_alpaca_eval_annotator(ae_dir):
    from alpaca_eval.annotators import PairwiseAnnotator

    annotator = PairwiseAnnotator(annotators_config="weighted_alpaca_eval_gpt4_turbo", caching_path=None)
    single = annotator.annotators["weighted_alpaca_eval_gpt4_turbo"]
    reference, _ = ae_data.load_reference(ae_dir)
    model = read_records(ae_dir / "model_outputs/gemma-2-9b-it-SimPO.model_outputs.json.gz")
    df = pd.DataFrame(
        [{"instruction": r["instruction"], "output_1": r["output"], "output_2": m["output"]} for r, m in zip(reference[:40], model[:40], strict=True)]
    )
    pre = single._preprocess(df)
    prompts, pre = single._make_prompts(pre)
    from alpaca_eval.utils import prompt_to_chatml

    for prompt, (_, row) in zip(prompts, pre.iterrows(), strict=True):
        src = df[df["instruction"] == row["instruction"]].iloc[0]
        req, switched = protocol.judge_request(src["instruction"], src["output_1"], src["output_2"])
        assert switched == bool(row["is_switched_outputs"])
        assert req.to_openai_messages() == prompt_to_chatml(prompt.strip())
        assert (req.max_tokens, req.temperature, req.logprobs, req.top_logprobs) == (1, 1.0, True, 5)
    assert 5 < sum(bool(x) for x in pre["is_switched_outputs"]) < 35


def test_prompt_hash_is_from_installed_wheel():
    text = protocol.judge_prompt_template()
    assert "{instruction}" in text and '"model_identifier": "M"' in text
    assert len(protocol.prompt_sha256()) == 64


def test_unparsable_and_identical():
    assert math.isnan(protocol.parse_preference([[{"token": "Both", "logprob": -0.1}]], switched=False))
    assert math.isnan(protocol.parse_preference(None, switched=True))
    assert protocol.preference_for("x", "same", "same", None) == 1.5
    tl = [[{"token": "m", "logprob": math.log(0.25)}, {"token": "M", "logprob": math.log(0.75)}]]
    assert protocol.parse_preference(tl, switched=False) == pytest.approx(1.75)
    assert protocol.parse_preference(tl, switched=True) == pytest.approx(1.25)


def test_prompt_builder_equals_make_prompts_with_tricky_text():
    from alpaca_eval.utils import make_prompts

    template = protocol.judge_prompt_template()
    row = {"instruction": "use {output_1} and {output_2} here", "output_1": "A {instruction}", "output_2": "B {x}"}
    ours = protocol._make_prompt(template, row)
    theirs = make_prompts(pd.DataFrame([row]), template=template, batch_size=1)[0][0]
    assert ours == theirs
