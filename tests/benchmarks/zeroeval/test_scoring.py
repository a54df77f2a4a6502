"""ZeroEval's GSM and MMLU correctness rules and aggregation, one test per branch."""

from __future__ import annotations

import contextlib
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.benchmarks.zeroeval.extraction import Parsed, parse_prediction
from harness.benchmarks.zeroeval.scoring import (
    aggregate,
    gold_letter,
    gsm_gold,
    gsm_is_correct,
    mmlu_is_correct,
    safe_eval,
    sanitize_math_answer,
)


@pytest.mark.parametrize("raw, expected", [
    ("$1,234.50", "1234.50"),
    (" $ 18 ", "18"),
    ("5/2", "2.5"),
    ("10/5", "2.0"),
    (" -7/2", "-3.5"),
    ("(3/4)*100", "75.0"),
    ("1,000/4", "250.0"),
    ("1/2 cups", "1/2 cups"),  # eval fails -> kept
    ("3 1/2", "3 1/2"),
    ("2/0", "2/0"),
    ("a/b", "a/b"),
    ("42", "42"),
    ("True/2", "0.5"),
])
def test_sanitize(raw, expected):
    assert sanitize_math_answer(raw) == expected


def test_safe_eval_matches_eval_on_arithmetic():
    for expr in ["5/2", "2**3/4", "0x10/2", "1_000/4", "-(3/4)", "7//2/1", "5%3/2", "(1/2)*(4/1)", "1/2 > 0"]:
        assert safe_eval(expr) == eval(expr)  # noqa: S307 - trusted literals in a test


def test_no_code_runs_and_no_hang(tmp_path):
    target = tmp_path / "pwned"
    answer = f"open({str(target)!r}, 'w')/1"
    assert sanitize_math_answer(answer) == answer.replace(",", "")
    assert not target.exists()
    assert sanitize_math_answer("__import__('os').getcwd()/1").startswith("__import__")
    start = time.perf_counter()
    assert sanitize_math_answer("9**9**9/1") == "9**9**9/1"
    assert sanitize_math_answer("(1,)*10**9/2") == "500000000.0"  # commas are removed first, as in ZeroEval
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("model_answer, gold, ok", [
    ("$1,234.50", "# 1234.5", True),
    ("5/2", "# 2.5", True),
    ("18", "# 18", True),
    ("18.00", "# 18", True),
    ("The answer is 18 dollars.", "# 18", True),  # first number
    ("3 apples and 18 pears", "# 18", False),  # first number only
    ("-3", "# 3", False),
    ("1,000", "# 1,000", True),
    (42, "# 42", True),  # JSON number -> str()
    (42.0, "# 42", True),
    (None, "# 0", False),  # str(None) has no number
    ("", "# 7", False),
    ("seven", "# 7", False),
    ("3/4 of 100", "# 75", False),  # eval fails on the whole string, first number 3
    ("1e3", "# 1", True),  # the first-number regex reads "1"
])
def test_gsm_is_correct(model_answer, gold, ok):
    assert gsm_is_correct(model_answer, gold) is ok


def test_gsm_gold():
    assert gsm_gold("# 72") == "72"
    assert gsm_gold("72") == "72"


@pytest.mark.parametrize("model_answer, ok", [
    ("B", True),
    ("(B)", True),  # contains "B)"
    ("B) Paris", True),
    ("b", False),
    ("B.", False),
    ("The answer is B", False),
    (" B", False),
    ("A", False),
    (["B)"], True),  # Python's own `in` on a list, as in ZeroEval
    (2, False),  # ZeroEval would crash on `in`; here wrong
])
def test_mmlu_letter_rule(model_answer, ok):
    assert mmlu_is_correct(model_answer, "B") is ok


def test_gold_letter_uses_first_matching_choice():
    assert gold_letter(["x", "y", "y", "z"], "y") == "B"
    with pytest.raises(ValueError):
        gold_letter(["x"], "q")


def test_aggregate_denominator_and_length():
    parsed = [parse_prediction('{"reasoning": "abcd", "answer": "1"}'), parse_prediction("nothing"), None,
              parse_prediction('{"reasoning": "ab", "answer": "2"}')]
    agg = aggregate(parsed, [True, False, False, False])
    assert agg["accuracy"] == pytest.approx(100 / 3)  # ZeroEval: over the 3 items with an output
    assert agg["accuracy_full_set"] == 25.0 and agg["n_present"] == 3
    assert agg["length"] == 3.0  # (4 + 2) / 2 parsed
    assert (agg["n_parsed"], agg["n_parse_failures"], agg["n_missing"], agg["n_total"]) == (2, 1, 1, 4)
    none = aggregate([Parsed(parsed=False)], [False])
    assert none["length"] is None and none["accuracy"] == 0.0


@settings(max_examples=200, deadline=None)
@given(n=st.integers(min_value=-10**9, max_value=10**9), fmt=st.sampled_from(
    ["{n}", "{n:,}", "${n:,}", "{n}.0", "{n} apples", "{n:,}.00 dollars"]))
def test_gsm_formats_of_the_gold_number(n, fmt):
    assert gsm_is_correct(fmt.format(n=n), f"# {n}")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_sanitize_never_raises(text):
    assert isinstance(sanitize_math_answer(text), str)
    gsm_is_correct(text, "# 5")
    mmlu_is_correct(text, "C")


def _eval_oracle(answer: str) -> str:
    """ZeroEval's santize_math_answers with the real eval -- only ever fed our generated arithmetic."""
    answer = answer.replace("$", "").strip().replace(",", "")
    if "/" in answer:
        with contextlib.suppress(Exception):
            answer = str(float(eval(answer)))  # noqa: S307 - inputs built by the strategy below
    return answer


_number = st.one_of(st.integers(min_value=0, max_value=10**6).map(str),
                    st.floats(min_value=0, max_value=1e6, allow_nan=False).map(lambda f: f"{f:.3f}"))


@st.composite
def _arith(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        return draw(_number)
    op = draw(st.sampled_from(["+", "-", "*", "/", "//", "%", "**"]))
    left, right = draw(_arith(depth=depth - 1)), draw(_arith(depth=depth - 1))
    if op == "**":
        right = str(draw(st.integers(min_value=0, max_value=3)))
    expr = f"{left} {op} {right}"
    return draw(st.sampled_from([expr, f"({expr})", f"-({expr})", f"$ {expr}"]))


@settings(max_examples=300, deadline=None)
@given(expr=_arith(), denominator=_number)
def test_safe_eval_agrees_with_eval_on_arithmetic(expr, denominator):
    answer = f"{expr} / {denominator}"
    assert sanitize_math_answer(answer) == _eval_oracle(answer)
