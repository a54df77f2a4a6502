from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.benchmarks.arena_hard.benchmark import protocol
from harness.benchmarks.arena_hard.protocol import battles_from_games, game_battles, get_score

LABELS = ["A>>B", "A>B", "A=B", "B>A", "B>>A"]

REAL_JUDGMENT = """My own answer to the prompt would be:

```python
def is_prime(n):
    return n > 1 and all(n % d for d in range(2, int(n ** 0.5) + 1))
```

Assistant A's answer is correct and concise. Assistant B's answer contains an off-by-one error in
the loop bound ([1, n) instead of [2, sqrt(n)]), which makes it return False for every input.

Both answers are relevant, but only A is helpful.

My final verdict is: Assistant A is significantly better: [[A>>B]]"""


@pytest.mark.parametrize(("text", "expected"), [
    (REAL_JUDGMENT, ("A>>B", False)),
    ('My final verdict is tie: [[A=B]].', ("A=B", False)),
    ("Verdict [[B>A]] ... as said, [[B>A]]", ("B>A", False)),          # repeated, same label
    ("First I thought [[A>B]] but actually [[B>A]]", (None, False)),  # conflicting: no retry
    ("I cannot decide between the two.", (None, True)),                 # nothing: ask again
    ("Final: [[A]]", ("A", False)),                                      # parsed, not a valid label
    ("Final: [[A<B]]", ("A<B", False)),                                  # parsed, dropped later
    ("[[ A>B ]]", (None, True)),                                         # spaces are not matched
    ("\n[[B>>A]]\n", ("B>>A", False)),
    ("", (None, True)),
])
def test_get_score_on_judge_outputs(text, expected):
    assert get_score(text) == expected


def test_prompts_are_the_official_v01_ones(shared_dir):
    cfg = yaml.safe_load((shared_dir / "data/simpo_eval/arenahard/configs/Llama-3-Instruct-8B-SimPO/"
                          "judge_config.yaml").read_text())
    assert cfg["system_prompt"] == protocol.SYSTEM_PROMPT
    assert cfg["prompt_template"] == [protocol.PROMPT_TEMPLATE]
    assert cfg["regex_pattern"] == protocol.REGEX_PATTERN
    assert cfg["judge_model"] == protocol.JUDGE_MODEL and cfg["baseline_model"] == protocol.BASELINE_MODEL
    assert cfg["temperature"] == protocol.TEMPERATURE and cfg["max_tokens"] == protocol.MAX_TOKENS


def test_games_swap_positions_and_keep_braces_in_answers():
    g0 = protocol.game_messages("Q {x}?", "MODEL {answer_1}", "BASE", 0)
    g1 = protocol.game_messages("Q {x}?", "MODEL {answer_1}", "BASE", 1)
    assert g0[0] == {"role": "system", "content": protocol.SYSTEM_PROMPT}
    a0 = g0[1]["content"]
    assert a0.index("BASE") < a0.index("MODEL {answer_1}") and "Q {x}?" in a0
    a1 = g1[1]["content"]
    assert a1.index("MODEL {answer_1}") < a1.index("BASE")
    # answers go into the judge prompt verbatim, special-token look-alikes included (as upstream)
    prompt = protocol.user_prompt("q<|end|>", "a<|end|>", "b<|im_end|>")
    assert "q<|end|>" in prompt and "a<|end|>" in prompt and "b<|im_end|>" in prompt


@pytest.mark.parametrize(("label", "game", "expected"), [
    ("A>>B", 0, ("model_a", 3)), ("A>B", 0, ("model_a", 1)), ("A=B", 0, ("tie", 1)),
    ("B>A", 0, ("model_b", 1)), ("B>>A", 0, ("model_b", 3)),
    ("A>>B", 1, ("model_b", 3)), ("A>B", 1, ("model_b", 1)), ("A=B", 1, ("tie", 1)),
    ("B>A", 1, ("model_a", 1)), ("B>>A", 1, ("model_a", 3)),
    (None, 0, None), ("A<B", 1, None), ("B=A", 0, None),
])
def test_game_labels_to_battles(label, game, expected):
    assert game_battles(label, game) == expected


def test_battles_from_games_weights_strong_verdicts():
    games = [{"item_id": "q1", "game": 0, "model": "m", "score": "B>>A"},
             {"item_id": "q1", "game": 1, "model": "m", "score": "A>B"},
             {"item_id": "q2", "game": 0, "model": "m", "score": None}]
    rows = battles_from_games(games)
    assert [r["winner"] for r in rows] == ["model_b"] * 4
    assert all(r["model_a"] == "gpt-4-0314" and r["model_b"] == "m" for r in rows)


_noise = st.text(alphabet=st.characters(blacklist_characters="[]"), max_size=200)


@settings(max_examples=200, deadline=None)
@given(_noise)
def test_text_without_brackets_asks_again(text):
    assert get_score(text) == (None, True)


@settings(max_examples=200, deadline=None)
@given(_noise, st.sampled_from(LABELS), _noise, st.integers(1, 3))
def test_one_distinct_label_is_found_wherever_it_is(before, label, after, repeats):
    text = before + f" [[{label}]] " * repeats + after
    assert get_score(text) == (label, False)


@settings(max_examples=200, deadline=None)
@given(_noise, st.lists(st.sampled_from(LABELS), min_size=2, max_size=4, unique=True))
def test_conflicting_labels_give_no_verdict_and_no_retry(noise, labels):
    text = noise + " ".join(f"[[{lab}]]" for lab in labels)
    assert get_score(text) == (None, False)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(LABELS))
def test_swapped_game_flips_the_winner(label):
    w0, k0 = game_battles(label, 0)
    w1, k1 = game_battles(label, 1)
    assert k0 == k1
    assert {w0, w1} == {"tie"} or {w0, w1} == {"model_a", "model_b"}
