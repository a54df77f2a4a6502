from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.benchmarks.base import BenchmarkItem
from harness.benchmarks.mt_bench.benchmark import MTBench, protocol
from harness.benchmarks.mt_bench.protocol import parse_rating, prompt_for

REAL = """The assistant's answer is accurate and addresses both parts of the question. It correctly
identifies the position after overtaking as second place, though the explanation is brief.

Rating: [[8]]"""


@pytest.mark.parametrize(("text", "expected"), [
    (REAL, 8),
    ("Rating: [[7.5]]", 7.5),
    ("Rating: [[10]]", 10),
    ("Rating: [[3.]]", 3.0),
    ("Rating: [5]", 5),                          # fallback pattern
    ("Scores [[4]] then [[9]]", 4),              # first match wins
    ("[6] and later [[2]]", 2),                  # the [[x]] pattern is tried first
    ("Rating: [[rating]]", -1),
    ("Rating: 8/10", -1),
    ("Rating: [[-3]]", -1),                      # no sign in the pattern
    ("Rating: [[ 7 ]]", -1),
    ("Rating: [[07]]", -1),                      # literal_eval rejects it
    ("Rating: [[15]]", 15),                      # out of range values are kept, as FastChat
    ("$ERROR$", -1),
    ("", -1),
])
def test_parse_rating(text, expected):
    got = parse_rating(text)
    assert got == expected and type(got) is type(expected)


def test_prompts_are_fastchats(shared_dir):
    official = {}
    for line in (shared_dir / "data/mt_bench/judge_prompts.jsonl").read_text().splitlines():
        d = json.loads(line)
        official[d["name"]] = d
    for name, p in protocol.PROMPTS.items():
        assert official[name]["system_prompt"] == p.system_prompt
        assert official[name]["prompt_template"] == p.prompt_template
        assert official[name]["output_format"] == "[[rating]]"


@pytest.mark.parametrize(("category", "turn", "name"), [
    ("writing", 0, "single-v1"), ("writing", 1, "single-v1-multi-turn"),
    ("math", 0, "single-math-v1"), ("math", 1, "single-math-v1-multi-turn"),
    ("reasoning", 1, "single-math-v1-multi-turn"), ("coding", 0, "single-math-v1"),
    ("stem", 0, "single-v1"), ("humanities", 1, "single-v1-multi-turn"),
])
def test_prompt_selection(category, turn, name):
    assert prompt_for(category, turn).name == name


def test_user_prompts_fill_the_official_fields():
    p = prompt_for("math", 1)
    text = protocol.user_prompt(p, ("Q1 {x}", "Q2"), ["A1", "A2 {y}"], ["R1", "R2"], 1)
    assert text.index("R1") < text.index("R2") < text.index("A1") < text.index("A2 {y}")
    assert "Q1 {x}" in text
    single = protocol.user_prompt(prompt_for("writing", 0), ("Q1",), ["A1"], None, 0)
    assert single.endswith("[The Start of Assistant's Answer]\nA1\n[The End of Assistant's Answer]")
    msgs = protocol.judge_messages(prompt_for("writing", 0), single)
    assert msgs == [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": single}]


@pytest.mark.parametrize(("category", "temp"), [
    ("writing", 0.7), ("roleplay", 0.7), ("extraction", 0.0), ("math", 0.0), ("coding", 0.0),
    ("reasoning", 0.0), ("stem", 0.1), ("humanities", 0.1), ("unknown", 0.7),
])
def test_temperature_for(category, temp):
    assert MTBench.temperature_for(BenchmarkItem(item_id="1", turns=("q",), category=category)) == temp


_noise = st.text(alphabet=st.characters(blacklist_characters="[]"), max_size=200)


@settings(max_examples=200, deadline=None)
@given(_noise)
def test_no_brackets_means_no_rating(text):
    assert parse_rating(text) == -1


@settings(max_examples=200, deadline=None)
@given(_noise, st.integers(1, 10), _noise, st.booleans())
def test_rating_found_anywhere(before, rating, after, double):
    token = f"[[{rating}]]" if double else f"[{rating}]"
    assert parse_rating(before + token + after) == rating


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 9), st.integers(0, 9), _noise)
def test_decimal_ratings(whole, frac, noise):
    assert parse_rating(f"{noise} Rating: [[{whole}.{frac}]]") == pytest.approx(whole + frac / 10)
