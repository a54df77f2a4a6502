"""Arena-Hard v0.1 judging protocol (arena-hard-auto ``config/judge_config.yaml`` and
``gen_judgment.py`` / ``show_result.py`` of the v0.1 release).

- Judge gpt-4-1106-preview, temperature 0, max_tokens 4096, the system prompt and the
  single user template below (identical to the SimPO authors' ``judge_config.yaml``).
- Two games per question: game 0 puts the baseline in slot A and the model in B; game 1
  swaps them (``answer, baseline = baseline, answer``).
- Verdict: ``re.findall(r"\\[\\[([AB<>=]+)\\]\\]")`` over the judgment; no match -> ask once
  more ("continue your judgment ...", at most 2 calls, texts joined with "\\n"); one distinct
  label -> that label; several distinct labels -> no verdict and no retry.
- Battles: a game whose label is not one of the five official ones is dropped; game 1
  labels are flipped back to the model's point of view; ``>>`` verdicts count 3 times.
"""

from __future__ import annotations

import re
from typing import Any

from harness.judges.base import JudgeRequest

JUDGE_MODEL = "gpt-4-1106-preview"
BASELINE_MODEL = "gpt-4-0314"
TEMPERATURE = 0.0
MAX_TOKENS = 4096
MAX_ATTEMPTS = 2
STRONG_WEIGHT = 3
REGEX_PATTERN = r"\[\[([AB<>=]+)\]\]"
CONTINUE_PROMPT = "continue your judgment and finish by outputting a final verdict label"

SYSTEM_PROMPT = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by two AI "
    "assistants to the user prompt displayed below. You will be given assistant A's answer and assistant "
    "B's answer. Your job is to evaluate which assistant's answer is better.\n\n"
    "Begin your evaluation by generating your own answer to the prompt. You must provide your answers "
    "before judging any answers.\n\n"
    "When evaluating the assistants' answers, compare both assistants' answers with your answer. You "
    "must identify and correct any mistakes or inaccurate information.\n\n"
    "Then consider if the assistant's answers are helpful, relevant, and concise. Helpful means the "
    "answer correctly responds to the prompt or follows the instructions. Note when user prompt has any "
    "ambiguity or more than one interpretation, it is more helpful and appropriate to ask for "
    "clarifications or more information from the user than providing an answer based on assumptions. "
    "Relevant means all parts of the response closely connect or are appropriate to what is being asked. "
    "Concise means the response is clear and not verbose or excessive.\n\n"
    "Then consider the creativity and novelty of the assistant's answers when needed. Finally, identify "
    "any missing important information in the assistants' answers that would be beneficial to include "
    "when responding to the user prompt.\n\n"
    "After providing your explanation, you must output only one of the following choices as your final "
    "verdict with a label:\n\n"
    "1. Assistant A is significantly better: [[A>>B]]\n"
    "2. Assistant A is slightly better: [[A>B]]\n"
    "3. Tie, relatively the same: [[A=B]]\n"
    "4. Assistant B is slightly better: [[B>A]]\n"
    "5. Assistant B is significantly better: [[B>>A]]\n\n"
    'Example output: "My final verdict is tie: [[A=B]]".'
)
PROMPT_TEMPLATE = (
    "<|User Prompt|>\n{question_1}\n\n"
    "<|The Start of Assistant A's Answer|>\n{answer_1}\n<|The End of Assistant A's Answer|>\n\n"
    "<|The Start of Assistant B's Answer|>\n{answer_2}\n<|The End of Assistant B's Answer|>"
)

_PATTERN = re.compile(REGEX_PATTERN)

# game-0 label (baseline = A) -> (winner, weight); game 1 is flipped by swapping A and B.
_GAME0 = {
    "A>>B": ("model_a", STRONG_WEIGHT), "A>B": ("model_a", 1), "A=B": ("tie", 1),
    "B>A": ("model_b", 1), "B>>A": ("model_b", STRONG_WEIGHT),
}
_FLIP = {"model_a": "model_b", "model_b": "model_a", "tie": "tie"}


def get_score(judgment: str) -> tuple[str | None, bool]:
    """Official ``get_score``: (label or None, whether to ask the judge again)."""
    matches = [m for m in _PATTERN.findall(judgment) if m != ""]
    if len(set(matches)) == 0:
        return None, True
    if len(set(matches)) == 1:
        return matches[0].strip("\n"), False
    return None, False


def user_prompt(question: str, answer_a: str, answer_b: str) -> str:
    """str.format on the template only (never on the answers): answers go in verbatim, as
    arena-hard-auto v0.1's gen_judgment.py puts them (no special-token stripping)."""
    return PROMPT_TEMPLATE.format(question_1=question, answer_1=answer_a, answer_2=answer_b)


def game_messages(question: str, model_answer: str, baseline_answer: str, game: int) -> list[dict[str, str]]:
    """The first-attempt conversation of ``game`` (0: baseline is A; 1: model is A)."""
    a, b = (baseline_answer, model_answer) if game == 0 else (model_answer, baseline_answer)
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user_prompt(question, a, b)}]


def judge_request(messages: list[dict[str, str]], judge_model: str = JUDGE_MODEL,
                  max_tokens: int = MAX_TOKENS, temperature: float = TEMPERATURE) -> JudgeRequest:
    return JudgeRequest.from_messages(judge_model, messages, temperature=temperature, max_tokens=max_tokens)


def game_battles(label: str | None, game: int) -> tuple[str, int] | None:
    """(winner from the baseline-as-model_a view, weight) of one game, or None if dropped."""
    if label not in _GAME0:
        return None
    winner, weight = _GAME0[label]
    return (_FLIP[winner] if game == 1 else winner), weight


def battles_from_games(games: list[dict[str, Any]], baseline: str = BASELINE_MODEL) -> list[dict[str, Any]]:
    """Official ``get_battles_from_judgment`` for judged games (``item_id``, ``game``, ``score``,
    ``model``), in the given order; strong verdicts repeated ``STRONG_WEIGHT`` times."""
    rows: list[dict[str, Any]] = []
    for g in games:
        res = game_battles(g.get("score"), int(g["game"]))
        if res is None:
            continue
        winner, weight = res
        rows.extend([{"question_id": g["item_id"], "model_a": baseline, "model_b": g["model"], "winner": winner}] * weight)
    return rows
