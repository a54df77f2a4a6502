"""The weighted_alpaca_eval_gpt4_turbo judge protocol of alpaca-eval 0.6.2, reproduced exactly.

- Prompt: ``alpaca_eval_clf_gpt4_turbo/alpaca_eval_clf.txt`` from the installed wheel, filled with
  alpaca_eval's own ``utils.make_prompts`` and turned into chat messages with its
  ``utils.prompt_to_chatml`` (after the ``strip()`` its openai decoder applies).
- Position switch: alpaca_eval's ``RandomSwitchTwoColumnsProcessor`` with seed column "instruction"
  and the annotator seed 0 (``PairwiseAnnotator`` default, passed to every processor)::

      random.Random("is_switched_outputs" + instruction + "0").choices([False, True], k=1)[0]

  When switched, the model output goes in slot "m" and the reference in "M".
- Preference: alpaca_eval's ``logprob_parser`` (numerator "m", denominators m/M, not binarized)
  gives ``2 - P(m)`` over the first generated position; a switched row becomes ``3 - x``.
  Identical outputs get 1.5 without a call; failures are NaN.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import random
import re
import warnings
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.judges.base import JudgeRequest
from harness.manifest import sha256_text

ANNOTATOR = "weighted_alpaca_eval_gpt4_turbo"
PROMPT_RESOURCE = "alpaca_eval_clf_gpt4_turbo/alpaca_eval_clf.txt"
DEFAULT_JUDGE_MODEL = "gpt-4-1106-preview"
SWITCH_COLUMN = "is_switched_outputs"
ANNOTATOR_SEED = 0
# completions_kwargs of evaluators_configs/weighted_alpaca_eval_gpt4_turbo/configs.yaml
JUDGE_KWARGS: dict[str, Any] = {"max_tokens": 1, "temperature": 1.0, "logprobs": True, "top_logprobs": 5}
PARSER_KWARGS: dict[str, Any] = {"numerator_token": "m", "denominator_tokens": ["m", "M"], "is_binarize": False}


def import_quietly(module: str) -> Any:
    """Import an alpaca_eval module without its pkg_resources deprecation warning (it needs setuptools<81)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        return importlib.import_module(module)


@lru_cache(maxsize=1)
def _alpaca_eval():
    try:
        ae_utils = import_quietly("alpaca_eval.utils")
        parsers = import_quietly("alpaca_eval.completion_parsers")
    except ImportError as exc:
        raise HarnessError(
            f"alpaca-eval 0.6.2 is needed for AlpacaEval 2 ({exc}); install the extra: pip install '.[alpaca]'"
        ) from None
    return ae_utils, parsers


@lru_cache(maxsize=1)
def judge_prompt_template() -> str:
    """The judge prompt as shipped in the installed alpaca-eval wheel (located without importing
    the package, whose import takes seconds)."""
    try:
        spec = importlib.util.find_spec("alpaca_eval")
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError("alpaca_eval")
        root = Path(next(iter(spec.submodule_search_locations))) / "evaluators_configs"
        return (root / PROMPT_RESOURCE).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError, ValueError):
        raise HarnessError(
            f"judge prompt {PROMPT_RESOURCE} not found in the installed alpaca-eval package; "
            "install alpaca-eval==0.6.2 (pip install '.[alpaca]')"
        ) from None


def prompt_sha256() -> str:
    return sha256_text(judge_prompt_template())


def is_switched(instruction: str, seed: int = ANNOTATOR_SEED) -> bool:
    return random.Random(SWITCH_COLUMN + instruction + str(seed)).choices([False, True], k=1)[0]


def _make_prompt(template: str, values: dict[str, str]) -> str:
    """``alpaca_eval.utils.make_prompts`` for one row, without its per-row DataFrame (10 ms each).

    Same algorithm: placeholders in order of first appearance, each replaced once, sequentially
    (so a ``{output_1}`` inside an instruction behaves exactly as in alpaca-eval). A test checks
    equality with the package's own annotator.
    """
    prompt = template
    for key in _placeholders(template):
        prompt = prompt.replace("{" + key + "}", str(values[key]), 1)
    return prompt


@lru_cache(maxsize=8)
def _placeholders(template: str) -> tuple[str, ...]:
    return tuple(Counter(re.findall(r"{([^ \s]+?)}", template)))


def judge_messages(instruction: str, reference: str, output: str, switched: bool) -> list[dict[str, str]]:
    """Chat messages exactly as alpaca-eval 0.6.2 sends them (slot m = output_1 after the switch)."""
    ae_utils, _ = _alpaca_eval()
    out_1, out_2 = (output, reference) if switched else (reference, output)
    prompt = _make_prompt(judge_prompt_template(), {"instruction": instruction, "output_1": out_1, "output_2": out_2})
    return ae_utils.prompt_to_chatml(prompt.strip())


def judge_request(
    instruction: str, reference: str, output: str, judge_model: str = DEFAULT_JUDGE_MODEL, seed: int = ANNOTATOR_SEED
) -> tuple[JudgeRequest, bool]:
    switched = is_switched(instruction, seed)
    messages = judge_messages(instruction, reference, output, switched)
    return JudgeRequest.from_messages(judge_model, messages, **JUDGE_KWARGS), switched


def parse_preference(top_logprobs: list[list[dict[str, Any]]] | None, switched: bool) -> float:
    """Preference in [1, 2] (2 = model wins) from the judge's top-logprobs; NaN when unparsable."""
    if not top_logprobs:
        return math.nan
    _, parsers = _alpaca_eval()
    completion = {"logprobs": {"content": [{"top_logprobs": list(top_logprobs[0])}]}}
    try:
        value = float(parsers.logprob_parser(completion, log_prob_index=0, **PARSER_KWARGS)[0])
    except (ValueError, KeyError, TypeError, AssertionError):
        return math.nan
    if math.isnan(value):
        return value
    return 3.0 - value if switched else value


def top_logprobs_from_raw(raw_completion: Any) -> list[list[dict[str, Any]]] | None:
    """Top-logprobs per position from a stored alpaca_eval/openai ``raw_completion`` dict."""
    if not isinstance(raw_completion, dict):
        return None
    try:
        content = raw_completion["logprobs"]["content"]
        return [list(pos["top_logprobs"]) for pos in content]
    except (KeyError, TypeError):
        return None


def preference_for(instruction: str, reference: str, output: str, top_logprobs, seed: int = ANNOTATOR_SEED) -> float:
    """The stored preference of one row, from the raw judge output (1.5 for identical outputs)."""
    if reference == output:
        return 1.5
    return parse_preference(top_logprobs, is_switched(instruction, seed))
