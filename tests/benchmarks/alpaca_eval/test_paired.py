from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harness.benchmarks.alpaca_eval.data import load_instruction_difficulty, load_reference
from harness.benchmarks.alpaca_eval.paired import (
    GlmWeights,
    difficulty_by_instruction,
    glm_weights,
    lc_adjusted_values,
    lc_predicted_values,
)
from harness.compare import compare_items
from harness.errors import HarnessError
from harness.store.jsonl import read_records as read_json_records

PUBLISHED_LC = {"claude-2": 28.155196141629148, "alpaca-7b": 5.875487163278986}


@pytest.fixture(scope="module")
def lc_inputs(shared_dir):
    data = shared_dir / "alpaca_eval_validation_data"
    difficulty, _ = load_instruction_difficulty(data)
    reference, _ = load_reference(data)
    table = pd.read_csv(data / "glm_weights/baseline_gpt4_1106_preview.v0.6.2.csv", index_col=0)
    rows = {m: read_json_records(shared_dir / f"official_files/alpaca_eval/results/{m}/weighted_alpaca_eval_gpt4_turbo/"
                                 "annotations.json.gz") for m in PUBLISHED_LC}
    return difficulty_by_instruction([r["instruction"] for r in reference], difficulty.tolist()), table, rows


def test_predicted_values_average_to_the_published_lc(lc_inputs):
    difficulty, table, rows = lc_inputs
    for model, lc in PUBLISHED_LC.items():
        values = lc_predicted_values([r["instruction"] for r in rows[model]], difficulty, glm_weights(table, model))
        assert len(values) == 805
        assert np.mean(list(values.values())) == pytest.approx(lc, abs=1e-6)


def test_adjusted_values_keep_the_verdict_noise(lc_inputs):
    difficulty, table, rows = lc_inputs
    predicted, adjusted = {}, {}
    for model in PUBLISHED_LC:
        w = glm_weights(table, model)
        predicted[model] = lc_predicted_values([r["instruction"] for r in rows[model]], difficulty, w)
        adjusted[model] = lc_adjusted_values(rows[model], difficulty, w)
        # LC plus the fit's mean residual (L1 penalty, gamed rows): close, not equal
        assert np.mean(list(adjusted[model].values())) == pytest.approx(PUBLISHED_LC[model], abs=0.2)
    fixed = compare_items("bootstrap_mean", predicted["claude-2"], predicted["alpaca-7b"], rounds=1000, seed=0)
    noisy = compare_items("bootstrap_mean", adjusted["claude-2"], adjusted["alpaca-7b"], rounds=1000, seed=0)
    assert fixed.estimate == pytest.approx(PUBLISHED_LC["claude-2"] - PUBLISHED_LC["alpaca-7b"], abs=1e-6)
    assert noisy.estimate == pytest.approx(fixed.estimate, abs=0.3)
    # re-predicting with fixed weights sees only the instruction mix: a much narrower interval
    assert (fixed.ci_high - fixed.ci_low) < 0.7 * (noisy.ci_high - noisy.ci_low)
    assert noisy.ci_low > 0


def test_adjusted_value_formula_on_a_tiny_example():
    rows = [{"instruction": "x", "output_1": "aaaa", "output_2": "aa", "preference": 2.0},
            {"instruction": "y", "output_1": "a", "output_2": "aaaaa", "preference": 1.0},
            {"instruction": "z", "output_1": "aa", "output_2": "aa", "preference": None}]
    w = GlmWeights(psi=-1.5, phi=0.8, theta=-0.5)
    difficulty = {"x": 0.2, "y": -0.4, "z": 0.0}
    got = lc_adjusted_values(rows, difficulty, w)
    sd = np.std([2, -4, 0], ddof=1)

    def sig(t: float) -> float:
        return 1 / (1 + np.exp(-t))

    assert set(got) == {"x", "y"}
    assert got["x"] == pytest.approx(100 * (1 - sig(-1.5 * np.tanh(2 / sd) + 0.16 - 0.5) + sig(0.16 - 0.5)))
    assert got["y"] == pytest.approx(100 * (0 - sig(-1.5 * np.tanh(-4 / sd) - 0.32 - 0.5) + sig(-0.32 - 0.5)))


def test_missing_weights_or_difficulty_are_user_errors():
    table = pd.DataFrame({"np.tanh(std_delta_len)": [0.0], "instruction_difficulty": [0.0],
                          "not_gamed_baseline.astype(float)": [0.0]}, index=["gpt4_1106_preview"])
    with pytest.raises(HarnessError, match="no GLM weights for 'mine'"):
        glm_weights(table, "mine")
    with pytest.raises(HarnessError, match="no difficulty"):
        lc_predicted_values(["unknown instruction"], {}, GlmWeights(0.0, 1.0, 0.0))
    with pytest.raises(HarnessError, match="difficulty has 1 values"):
        difficulty_by_instruction(["a", "b"], [0.1])
