"""ZeroEval's answer extraction on hand-written outputs (every branch) and property tests."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.benchmarks.zeroeval.extraction import (
    clear_output,
    extract_first_complete_json,
    extract_values_from_json,
    model_specific_extraction,
    parse_prediction,
)


def test_valid_json_block():
    out = 'Sure!\n```json\n{\n    "reasoning": "3 + 4 = 7",\n    "answer": "7"\n}\n```'
    p = parse_prediction(out)
    assert (p.parsed, p.method, p.answer, p.reasoning) == (True, "json", "7", "3 + 4 = 7")


def test_json_with_trailing_text():
    p = parse_prediction('{"reasoning": "r", "answer": 12} Hope this helps! {not json')
    assert (p.method, p.answer) == ("json", 12)


def test_two_json_objects_first_wins():
    p = parse_prediction('{"reasoning": "a", "answer": "1"}\n{"reasoning": "bb", "answer": "2"}')
    assert (p.answer, p.reasoning) == ("1", "a")


def test_invalid_first_object_is_not_skipped_for_a_later_one():
    # ZeroEval tries only the first balanced span; the regex fallback then scans the whole text,
    # and its first quoted "answer" is in the second object.
    out = '{"reasoning": "x", "answer": 5,}\n{"reasoning": "y", "answer": "7"}'
    assert extract_first_complete_json(out) is None
    p = parse_prediction(out)
    assert (p.method, p.answer, p.reasoning) == ("regex", "7", "x")


def test_regex_only_quoted():
    p = parse_prediction('reasoning goes here "reasoning": "because", "answer": "B" and more')
    assert (p.method, p.answer, p.reasoning) == ("regex", "B", "because")


def test_regex_unquoted_value_and_unquoted_key():
    assert parse_prediction('"answer": 42, done').answer == "42"
    p = parse_prediction("My final answer: 18 dollars")
    assert (p.method, p.answer) == ("regex", "18")  # "answer\s*:\s*([^,\s]*)" -- no quotes on key
    assert extract_values_from_json("answer: 18") == {}  # only with allow_no_quotes


def test_json_without_answer_key_falls_back_to_regex_on_whole_text():
    p = parse_prediction('{"reasoning": "first"} then answer: 9')
    assert (p.method, p.answer, p.reasoning) == ("regex", "9", "first")


def test_nested_braces_balanced():
    p = parse_prediction('{"reasoning": "set {1, 2} has size 2", "answer": {"value": 2}}')
    assert p.method == "json" and p.answer == {"value": 2}


def test_brace_inside_string_breaks_span_then_regex():
    out = '{"reasoning": "a } b", "answer": "3"}'
    assert extract_first_complete_json(out) is None
    p = parse_prediction(out)
    assert (p.method, p.answer, p.reasoning) == ("regex", "3", "a } b")


def test_raw_newlines_are_deleted_before_json_loads():
    p = parse_prediction('{"reasoning": "line1\nline2", "answer": "3"}')
    assert p.reasoning == "line1line2" and p.reasoning_length == 10
    p = parse_prediction('{"reasoning": "line1\\nline2", "answer": "3"}')  # an escaped newline stays
    assert p.reasoning == "line1\nline2" and p.reasoning_length == 11


def test_unparsable():
    for out in ["", "I think it is 42.", "{", "}{", '{"reasoning": "no answer key"}']:
        p = parse_prediction(out)
        assert not p.parsed and p.method == "none"


def test_reasoning_absent_or_not_a_string():
    assert parse_prediction('{"answer": "1"}').reasoning_length == 0
    assert parse_prediction('{"reasoning": ["a", "b"], "answer": "1"}').reasoning_length == 2
    assert parse_prediction('{"reasoning": 12345, "answer": "1"}').reasoning_length == 5


def test_empty_or_null_answer_gsm_vs_mcqa():
    for out in ['{"reasoning": "r", "answer": null}', '{"reasoning": "r", "answer": ""}']:
        assert parse_prediction(out).parsed  # gsm_eval keeps them (scored wrong)
        assert not parse_prediction(out, reject_empty=True).parsed  # mcqa_eval: no answer


def test_llama31_boxed_rescue():
    out = "so the total is $\\boxed{36}$"
    assert not parse_prediction(out, model_name="gemma-2-9b-it").parsed
    p = parse_prediction(out, model_name="Meta-Llama-3.1-8B-Instruct")
    assert (p.parsed, p.method, p.answer, p.reasoning) == (True, "model_specific", "36", "")
    far = "\\boxed{36}" + " padding" * 10
    assert model_specific_extraction("Llama-3.1-70B", far) is None
    p = parse_prediction('{"reasoning": "r", "answer": ""} \\boxed{B}', model_name="Llama-3.1-8B",
                         reject_empty=True)
    assert (p.answer, p.reasoning) == ("B", "r")


def test_deep_nesting_does_not_raise():
    out = '{"a":' * 50_000 + "1" + "}" * 50_000
    assert not parse_prediction(out).parsed


_no_braces = st.text(st.characters(blacklist_characters="{}", blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_parser_never_raises(text):
    p = parse_prediction(text, model_name="Llama-3.1", reject_empty=True)
    assert isinstance(p.parsed, bool)
    if p.parsed:
        assert p.reasoning_length >= 0


@settings(max_examples=200, deadline=None)
@given(reasoning=_no_braces, answer=_no_braces, prefix=_no_braces, suffix=_no_braces,
       indent=st.sampled_from([None, 2, 4]))
def test_generated_json_round_trips(reasoning, answer, prefix, suffix, indent):
    block = json.dumps({"reasoning": reasoning, "answer": answer}, indent=indent)
    p = parse_prediction(f"{prefix}```json\n{block}\n```{suffix}")
    assert (p.parsed, p.method, p.answer, p.reasoning) == (True, "json", answer, reasoning)


@settings(max_examples=100, deadline=None)
@given(answer=st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans()))
def test_generated_json_round_trips_non_string_answers(answer):
    p = parse_prediction(json.dumps({"reasoning": "r", "answer": answer}))
    assert p.answer == answer and type(p.answer) is type(answer)


def test_clear_output_like_zeroeval():
    assert clear_output("  {\"answer\": \"1\"}<end_of_turn><pad>\n") == '{"answer": "1"}'
    assert clear_output('{"reasoning": "a<|endoftext|>b", "answer": "1"}') == '{"reasoning": "a b", "answer": "1"}'
