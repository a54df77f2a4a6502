"""ZeroEval's correctness rules and aggregation for GSM8K and MMLU-Redux.

Matched against yuchenlin/ZeroEval ``src/evaluation/gsm_eval.py`` @ a7cadc00
(``santize_math_answers`` and the first-number float comparison) and
``src/evaluation/mcqa_eval.py`` @ ee85a2f9 (letter equality or ``"X)"`` containment).

ZeroEval evaluates fractions with ``eval()`` on the model's answer. Calling ``eval`` on model
output is not acceptable here, so :func:`safe_eval` interprets the same Python expression
grammar restricted to numbers and operators: it returns what ``eval`` returns for arithmetic
(``5/2``, ``(3/4)*100``, ``-7/2``, ``1_000/4``, ``2**3/4``, ``0x10/2``) and declines anything
else (names, calls, strings, integer powers or shifts beyond a million bits), exactly where ``eval`` would raise
-- or would run code -- and ZeroEval's bare ``except: pass`` keeps the string unchanged.
"""

from __future__ import annotations

import ast
import contextlib
import math
import operator
import re
from typing import Any

from harness.benchmarks.zeroeval.extraction import Parsed

FIRST_NUMBER = re.compile(r"-?\d+(\.\d+)?")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_MAX_BITS = 1_000_000  # integer powers/shifts beyond this are declined (eval could hang)
_NUMBER = (bool, int, float, complex)


class _Declined(Exception):
    """The expression is outside the arithmetic subset (ZeroEval's eval would fail or run code)."""


_BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
    ast.LShift: operator.lshift, ast.RShift: operator.rshift, ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_, ast.BitXor: operator.xor,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Invert: operator.invert, ast.Not: operator.not_}
_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}


def _ev(node: ast.AST) -> Any:
    if isinstance(node, ast.Expression):
        return _ev(node.body)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (bool, int, float, complex)) or node.value is None:
            return node.value
        raise _Declined
    if isinstance(node, ast.Tuple):
        return tuple(_ev(e) for e in node.elts)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _ev(node.left), _ev(node.right)
        # Only numbers: eval's tuple + / * results would fail float() anyway (ZeroEval: keep the
        # string), and ``(1,)*10**9`` must not allocate.
        if not (isinstance(left, _NUMBER) and isinstance(right, _NUMBER)):
            raise _Declined
        if isinstance(node.op, (ast.Pow, ast.LShift)) and isinstance(left, int) and isinstance(right, int):
            bits = left.bit_length() * right if isinstance(node.op, ast.Pow) else left.bit_length() + right
            if bits > _MAX_BITS:
                raise _Declined
        return _BINOPS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_ev(node.operand))
    if isinstance(node, ast.BoolOp):
        result: Any = None
        for value in node.values:
            result = _ev(value)
            if isinstance(node.op, ast.And) and not result:
                return result
            if isinstance(node.op, ast.Or) and result:
                return result
        return result
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        left = _ev(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _ev(comparator)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    raise _Declined


def safe_eval(expression: str) -> Any:
    """``eval(expression)`` for the arithmetic subset; raises for everything else."""
    # builtin eval strips leading spaces and tabs before parsing; ast.parse does not
    tree = ast.parse(expression.lstrip(" \t"), mode="eval")
    return _ev(tree)


def sanitize_math_answer(answer: str) -> str:
    """ZeroEval's ``santize_math_answers``: drop ``$``, strip, drop ``,``, evaluate fractions."""
    answer = answer.replace("$", "").strip()
    answer = answer.replace(",", "")
    if "/" in answer:
        with contextlib.suppress(Exception):  # ZeroEval: bare ``except: pass`` keeps the string
            answer = str(float(safe_eval(answer)))
    return answer


def gsm_gold(answer: str) -> str:
    """The gold string as gsm_eval reads it (``"# 72"`` -> ``"72"``)."""
    return str(answer).replace("#", "").strip()


def gsm_is_correct(model_answer: Any, gold_answer: str) -> bool:
    """First number of each sanitized side, compared as floats."""
    model = sanitize_math_answer(str(model_answer))
    gold = sanitize_math_answer(gsm_gold(gold_answer))
    m, g = FIRST_NUMBER.search(model), FIRST_NUMBER.search(gold)
    return bool(m and g and float(m.group()) == float(g.group()))


def gold_letter(choices: list[str], correct_answer: str) -> str:
    """The letter of the first choice equal to ``correct_answer`` (``list.index`` semantics)."""
    return LETTERS[list(choices).index(correct_answer)]


def mmlu_is_correct(model_answer: Any, letter: str) -> bool:
    """ZeroEval: ``answer == letter or f"{letter})" in answer``.

    ``in`` is Python's own operator, as in ZeroEval (a list answer tests membership). Where
    ZeroEval crashed (``in`` on a number), the answer is wrong.
    """
    if model_answer == letter:
        return True
    try:
        return f"{letter})" in model_answer
    except TypeError:
        return False


def aggregate(parsed: list[Parsed | None], correct: list[bool]) -> dict[str, Any]:
    """ZeroEval's accuracy and mean reasoning length, and the full-set accuracy.

    ``parsed[i]`` is None when item ``i`` of the selection has no output. ZeroEval divides by the
    items in its output file (``num_total_examples = len(data)``; unparsed = wrong), so
    ``accuracy`` is over the items present; ``accuracy_full_set`` counts missing items as wrong
    over the whole selection. They differ only for a partial run, which is then incomplete.
    """
    n_total = len(parsed)
    n_missing = sum(1 for p in parsed if p is None)
    n_present = n_total - n_missing
    lengths = [p.reasoning_length for p in parsed if p is not None and p.parsed]
    n_parsed = len(lengths)
    n_correct = sum(1 for c in correct if c)
    return {
        "accuracy": 100.0 * n_correct / n_present if n_present else math.nan,
        "accuracy_full_set": 100.0 * n_correct / n_total if n_total else math.nan,
        "length": (sum(lengths) / n_parsed) if n_parsed else None,
        "n_correct": n_correct,
        "n_parsed": n_parsed,
        "n_parse_failures": n_present - n_parsed,
        "n_missing": n_missing,
        "n_present": n_present,
        "n_total": n_total,
    }
