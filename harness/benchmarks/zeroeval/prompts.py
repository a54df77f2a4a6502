"""ZeroEval's zero-shot prompts, verbatim (trailing spaces included).

Matched against yuchenlin/ZeroEval (WildEval/ZeroEval) ``src/templates/OEQA.py`` (``OEQA``, used
for GSM through ``apply_oeqa_template``), ``src/templates/MCQA.py`` (``MCQA``) and
``src/_TEMPLATES.py`` @ 5ad143be (``generate_choice_string``, ``apply_mc_template``: plain
``str.replace`` of ``{question}`` then ``{choices}``). The prompt is the only user turn; the
model's chat template wraps it (``src/unified_infer.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

OEQA = (
    "\n## Question: \n\n{question}\n\n\n## Instruction \n\n"
    "Please answer this question by first reasoning and then providing your answer.\n"
    "Present your reasoning and solution in the following json format. \n"
    'Please show your final answer in the `answer` field, e.g.,`"answer": "42"`.\n\n'
    '```json\n{\n    "reasoning": "___",\n    "answer": "___"\n}\n```\n'
)

MCQA = (
    "\n## Question: \n\n{question}\n\n## Choices:\n\n{choices}\n\n## Instruction \n\n"
    "Please answer this question by first reasoning and then selecting the correct choice. \n"
    "Present your reasoning and solution in the following json format. \n"
    'Please show your choice in the `answer` field with only the choice letter, e.g.,`"answer": "C"`.\n\n'
    '```json\n{\n    "reasoning": "___",\n    "answer": "___"\n}\n```\n'
)


def generate_choice_string(choices: Sequence[str]) -> str:
    return "".join(f"- ({chr(65 + i)}) {choice}\n" for i, choice in enumerate(choices))


def apply_oeqa_template(question: str) -> str:
    return OEQA.replace("{question}", question)


def apply_mc_template(question: str, choices: Sequence[str]) -> str:
    # Same order as ZeroEval: a "{choices}" inside the question is replaced too.
    return MCQA.replace("{question}", question).replace("{choices}", generate_choice_string(choices))
