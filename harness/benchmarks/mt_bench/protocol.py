"""MT-Bench single-answer grading, as FastChat ``llm_judge`` does it (``common.py``,
``gen_judgment.py --mode single``, ``show_result.py``).

- Questions in ``NEED_REF_CATS`` (math, reasoning, coding) are graded with the reference-based
  prompts (single-math-v1 / single-math-v1-multi-turn) and the judge model's reference
  answers (FastChat looks references up under the judge's name: ``gpt-4`` references for a
  gpt-4 judge; the SimPO authors' ``gpt-4-1106-preview`` references for GPT-4 Turbo); all
  others with single-v1 / single-v1-multi-turn. Turn 2 is graded with the multi-turn prompt.
- Messages: ``[system: prompt's system_prompt, user: template.format(...)]``; temperature 0,
  max_tokens 2048.
- Rating: first ``\\[\\[(\\d+\\.?\\d*)\\]\\]`` match, else first ``\\[(\\d+\\.?\\d*)\\]``, read with
  ``ast.literal_eval``; no match -> -1. Scores of -1 are excluded when averaging.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from harness.judges.base import JudgeRequest

JUDGE_MODEL = "gpt-4"
TEMPERATURE = 0.0
MAX_TOKENS = 2048
NEED_REF_CATS = ("math", "reasoning", "coding", "arena-hard-200")
# FastChat gen_model_answer.py temperature_config
CATEGORY_TEMPERATURE = {
    "writing": 0.7, "roleplay": 0.7, "extraction": 0.0, "math": 0.0, "coding": 0.0, "reasoning": 0.0,
    "stem": 0.1, "humanities": 0.1, "arena-hard-200": 0.0,
}
DEFAULT_TEMPERATURE = 0.7  # FastChat's fallback for an unknown category

ONE_SCORE_PATTERN = re.compile(r"\[\[(\d+\.?\d*)\]\]")
ONE_SCORE_PATTERN_BACKUP = re.compile(r"\[(\d+\.?\d*)\]")


@dataclass(frozen=True)
class JudgePrompt:
    name: str
    system_prompt: str
    prompt_template: str


SINGLE_V1 = JudgePrompt(
    name="single-v1",
    system_prompt=(
        "You are a helpful assistant."
    ),
    prompt_template=(
        "[Instruction]\nPlease act as an impartial judge and evaluate the quality of the "
        "response provided by an AI assistant to the user question displayed below. Your "
        "evaluation should consider factors such as the helpfulness, relevance, accuracy, "
        "depth, creativity, and level of detail of the response. Begin your evaluation by "
        "providing a short explanation. Be as objective as possible. After providing your "
        "explanation, you must rate the response on a scale of 1 to 10 by strictly following "
        "this format: \"[[rating]]\", for example: \"Rating: [[5]]\".\n\n[Question]\n"
        "{question}\n\n[The Start of Assistant's Answer]\n{answer}\n[The End of Assistant's "
        "Answer]"
    ),
)
SINGLE_MATH_V1 = JudgePrompt(
    name="single-math-v1",
    system_prompt=(
        "You are a helpful assistant."
    ),
    prompt_template=(
        "[Instruction]\nPlease act as an impartial judge and evaluate the quality of the "
        "response provided by an AI assistant to the user question displayed below. Your "
        "evaluation should consider correctness and helpfulness. You will be given a reference "
        "answer and the assistant's answer. Begin your evaluation by comparing the assistant's "
        "answer with the reference answer. Identify and correct any mistakes. Be as objective "
        "as possible. After providing your explanation, you must rate the response on a scale "
        "of 1 to 10 by strictly following this format: \"[[rating]]\", for example: \"Rating: "
        "[[5]]\".\n\n[Question]\n{question}\n\n[The Start of Reference Answer]\n"
        "{ref_answer_1}\n[The End of Reference Answer]\n\n[The Start of Assistant's Answer]\n"
        "{answer}\n[The End of Assistant's Answer]"
    ),
)
SINGLE_V1_MULTI_TURN = JudgePrompt(
    name="single-v1-multi-turn",
    system_prompt=(
        "Please act as an impartial judge and evaluate the quality of the response provided by "
        "an AI assistant to the user question displayed below. Your evaluation should consider "
        "factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of "
        "detail of the response. You evaluation should focus on the assistant's answer to the "
        "second user question. Begin your evaluation by providing a short explanation. Be as "
        "objective as possible. After providing your explanation, you must rate the response "
        "on a scale of 1 to 10 by strictly following this format: \"[[rating]]\", for example: "
        "\"Rating: [[5]]\".\n\n"
    ),
    prompt_template=(
        "<|The Start of Assistant A's Conversation with User|>\n\n### User:\n{question_1}\n\n"
        "### Assistant A:\n{answer_1}\n\n### User:\n{question_2}\n\n### Assistant A:\n"
        "{answer_2}\n\n<|The End of Assistant A's Conversation with User|>"
    ),
)
SINGLE_MATH_V1_MULTI_TURN = JudgePrompt(
    name="single-math-v1-multi-turn",
    system_prompt=(
        "Please act as an impartial judge and evaluate the quality of the response provided by "
        "an AI assistant to the user question. Your evaluation should consider correctness and "
        "helpfulness. You will be given a reference answer and the assistant's answer. You "
        "evaluation should focus on the assistant's answer to the second question. Begin your "
        "evaluation by comparing the assistant's answer with the reference answer. Identify "
        "and correct any mistakes. Be as objective as possible. After providing your "
        "explanation, you must rate the response on a scale of 1 to 10 by strictly following "
        "this format: \"[[rating]]\", for example: \"Rating: [[5]]\".\n\n"
    ),
    prompt_template=(
        "<|The Start of Reference Answer|>\n\n### User:\n{question_1}\n\n### Reference "
        "answer:\n{ref_answer_1}\n\n### User:\n{question_2}\n\n### Reference answer:\n"
        "{ref_answer_2}\n\n<|The End of Reference Answer|>\n\n\n<|The Start of Assistant A's "
        "Conversation with User|>\n\n### User:\n{question_1}\n\n### Assistant A:\n"
        "{answer_1}\n\n### User:\n{question_2}\n\n### Assistant A:\n{answer_2}\n\n<|The End of "
        "Assistant A's Conversation with User|>"
    ),
)

PROMPTS = {p.name: p for p in (SINGLE_V1, SINGLE_MATH_V1, SINGLE_V1_MULTI_TURN, SINGLE_MATH_V1_MULTI_TURN)}


def needs_reference(category: str) -> bool:
    return category in NEED_REF_CATS


def prompt_for(category: str, turn: int) -> JudgePrompt:
    """The judge prompt for a 0-based ``turn`` of a question in ``category``."""
    if needs_reference(category):
        return SINGLE_MATH_V1_MULTI_TURN if turn == 1 else SINGLE_MATH_V1
    return SINGLE_V1_MULTI_TURN if turn == 1 else SINGLE_V1


def parse_rating(judgment: str) -> float | int:
    """FastChat's rating extraction; -1 when there is no readable rating."""
    match = re.search(ONE_SCORE_PATTERN, judgment) or re.search(ONE_SCORE_PATTERN_BACKUP, judgment)
    if not match:
        return -1
    try:
        value = ast.literal_eval(match.groups()[0])
    except (ValueError, SyntaxError):  # e.g. "07": FastChat would raise; counted as unparsable here
        return -1
    return value


def user_prompt(prompt: JudgePrompt, questions: tuple[str, ...] | list[str], answers: list[str],
                references: list[str] | None, turn: int) -> str:
    kwargs: dict[str, Any] = {}
    if references is not None:
        kwargs["ref_answer_1"] = references[0]
        if turn == 1:
            kwargs["ref_answer_2"] = references[1]
    if turn == 1:
        return prompt.prompt_template.format(question_1=questions[0], question_2=questions[1],
                                             answer_1=answers[0], answer_2=answers[1], **kwargs)
    return prompt.prompt_template.format(question=questions[0], answer=answers[0], **kwargs)


def judge_messages(prompt: JudgePrompt, text: str) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": prompt.system_prompt}] if prompt.system_prompt else []
    return messages + [{"role": "user", "content": text}]


def judge_request(messages: list[dict[str, str]], judge_model: str = JUDGE_MODEL,
                  max_tokens: int = MAX_TOKENS) -> JudgeRequest:
    return JudgeRequest.from_messages(judge_model, messages, temperature=TEMPERATURE, max_tokens=max_tokens)
