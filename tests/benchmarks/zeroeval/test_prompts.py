"""ZeroEval's prompts, byte for byte (trailing spaces and blank lines included)."""

from __future__ import annotations

from harness.benchmarks.zeroeval.prompts import apply_mc_template, apply_oeqa_template, generate_choice_string

# Written out independently from ZeroEval's src/templates/OEQA.py and MCQA.py.
OEQA_EXPECTED = (
    '\n## Question: \n\nJanet has 3 apples. How many?\n\n\n## Instruction \n\nPlease answer this question by '
    'first reasoning and then providing your answer.\nPresent your reasoning and solution in the following '
    'json format. \nPlease show your final answer in the `answer` field, e.g.,`"answer": "42"`.\n\n```json\n'
    '{\n    "reasoning": "___",\n    "answer": "___"\n}\n```\n'
)
MCQA_EXPECTED = (
    '\n## Question: \n\nWhat is 2+2?\n\n## Choices:\n\n- (A) 3\n- (B) 4\n- (C) 5\n- (D) 22\n\n\n'
    '## Instruction \n\nPlease answer this question by first reasoning and then selecting the correct '
    'choice. \nPresent your reasoning and solution in the following json format. \nPlease show your choice '
    'in the `answer` field with only the choice letter, e.g.,`"answer": "C"`.\n\n```json\n{\n    '
    '"reasoning": "___",\n    "answer": "___"\n}\n```\n'
)


def test_oeqa_prompt_exact():
    assert apply_oeqa_template("Janet has 3 apples. How many?") == OEQA_EXPECTED


def test_mcqa_prompt_exact():
    assert apply_mc_template("What is 2+2?", ["3", "4", "5", "22"]) == MCQA_EXPECTED


def test_choice_string_and_replace_order():
    assert generate_choice_string(["x", "y"]) == "- (A) x\n- (B) y\n"
    # str.replace semantics: a literal "{choices}" inside the question is replaced too, as in ZeroEval
    assert "- (A) x" in apply_mc_template("see {choices}", ["x"]).split("## Choices")[0]
