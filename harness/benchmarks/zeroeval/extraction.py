"""Answer extraction, reproducing ZeroEval's parser byte for byte.

Matched against yuchenlin/ZeroEval (a.k.a. WildEval/ZeroEval):

* ``src/evaluation/eval_utils.py`` @ 7cfccf97 -- ``extract_first_complete_json``,
  ``extract_values_from_json`` and ``model_specific_extraction``;
* ``src/unified_utils.py`` @ 044f8935 -- ``clear_output``, applied to every output before it is
  saved (so before parsing);
* ``src/evaluation/gsm_eval.py`` @ a7cadc00 and ``src/evaluation/mcqa_eval.py`` @ ee85a2f9 --
  the order they are tried in (:func:`parse_prediction`).

Behaviours that look odd but are ZeroEval's, and are kept on purpose:

* the brace scan ignores JSON strings, so a ``{`` or ``}`` inside a string shifts the span;
* only the *first* balanced span is tried: if it is not valid JSON the result is ``None``
  (a later, valid object is never looked at);
* raw newlines are deleted (``.replace("\\n", "")``) before ``json.loads``, so newlines inside
  strings vanish and the parsed reasoning is shorter than the text;
* the regex fallback runs on the whole output when the JSON has no ``"answer"`` key, and its
  reasoning (not the JSON's) is then the one measured.

The only deviation: ZeroEval crashed on pathological input (``RecursionError`` from
``json.loads`` on very deep nesting); here that counts as "no JSON", so the parser never raises.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

KEYS = ("reasoning", "answer")


def clear_output(output: str) -> str:
    """ZeroEval's post-processing of a raw generation (special-token text to spaces, then strip)."""
    for token in ("<|endoftext|>", "<pad>", "<end_of_turn>"):
        output = output.replace(token, " ")
    return output.strip()


def extract_first_complete_json(s: str) -> Any:
    """The first balanced ``{...}`` span of ``s`` parsed as JSON (newlines removed), else None."""
    stack: list[int] = []
    first_json_start: int | None = None
    for i, char in enumerate(s):
        if char == "{":
            stack.append(i)
            if first_json_start is None:
                first_json_start = i
        elif char == "}" and stack:
            stack.pop()
            if not stack:
                first_json_str = s[first_json_start : i + 1]
                try:
                    return json.loads(first_json_str.replace("\n", ""))
                except (json.JSONDecodeError, RecursionError):
                    return None
    return None


def extract_values_from_json(json_string: str, keys: tuple[str, ...] = KEYS,
                             allow_no_quotes: bool = False) -> dict[str, str]:
    """ZeroEval's regex fallback: ``"key": "value"`` (then unquoted values / keys if allowed)."""
    extracted: dict[str, str] = {}
    for key in keys:
        pattern = f'"{key}"\\s*:\\s*"([^"]*?)"'
        match = re.search(pattern, json_string)
        if match:
            extracted[key] = match.group(1)
        else:
            # the value might contain broken quotes
            pattern = f'"{key}"\\s*:\\s*"(.*?)"'
            match = re.search(pattern, json_string, re.DOTALL)
            if match:
                extracted[key] = match.group(1)
        if not match and allow_no_quotes:
            pattern = f'"{key}"\\s*:\\s*([^,\\s]*)'  # no quotes on the value
            match = re.search(pattern, json_string)
            if match:
                extracted[key] = match.group(1)
            else:
                pattern = f"{key}\\s*:\\s*([^,\\s]*)"  # no quotes on the key either
                match = re.search(pattern, json_string)
                if match:
                    extracted[key] = match.group(1)
    return extracted


def model_specific_extraction(model_name: str, prediction_str: str) -> str | None:
    """ZeroEval's Llama-3.1 rescue: ``\\boxed{36}`` in the last 30 characters -> ``"36"``."""
    if "Llama-3.1" in model_name and "boxed" in prediction_str[-30:]:
        match = re.search(r"\\boxed{([\w\d]+)}", prediction_str)
        if match:
            return match.group(1)
    return None


@dataclass(frozen=True)
class Parsed:
    """One output after extraction. ``parsed`` False means "no answer" (scored wrong)."""

    parsed: bool
    answer: Any = None  # the raw value of "answer" (any JSON type)
    reasoning: Any = ""  # the raw value of "reasoning" ("" when absent)
    method: str = "none"  # json | regex | model_specific | none

    @property
    def reasoning_length(self) -> int:
        """``len(reasoning)`` as ZeroEval measures it (non-sized values: length of their str)."""
        r = self.reasoning
        return len(r) if isinstance(r, (str, list, dict)) else len(str(r))


def _empty_answer(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == "")


def parse_prediction(output: str, *, model_name: str = "", reject_empty: bool = False) -> Parsed:
    """Parse one model output the way ZeroEval's ``eval_model`` does.

    ``reject_empty`` is mcqa_eval's extra rule (an ``answer`` of ``None`` or ``""`` is "no
    answer"); gsm_eval keeps such answers (they then score wrong, but count as parsed).
    """
    prediction = extract_first_complete_json(output)
    method = "json"
    if not isinstance(prediction, dict) or "answer" not in prediction:
        prediction = extract_values_from_json(output, allow_no_quotes=True)
        method = "regex"
    if "answer" not in prediction or (reject_empty and _empty_answer(prediction["answer"])):
        rescued = model_specific_extraction(model_name, output)
        if not rescued:
            return Parsed(parsed=False)
        prediction["answer"] = rescued
        method = "model_specific"
    return Parsed(parsed=True, answer=prediction["answer"], reasoning=prediction.get("reasoning", ""),
                  method=method)
