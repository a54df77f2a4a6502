"""Optional style control (length + markdown), as newer arena-hard-auto ``show_result.py
--control-features length markdown`` does it; off by default (v0.1 numbers have none).

Per battle (model vs baseline on one question, repeated with the verdict's weight):
length feature ``(Lm - Lb) / (Lm + Lb)``; markdown densities (headers, list items, bold spans,
counted after removing fenced code blocks, divided by the answer's token length)
``(Dm - Db) / (Dm + Db + 1)``; each feature standardised over battles (mean, unbiased std).
A Bradley-Terry model on ``[+1 model, -1 baseline] + features`` (natural-log logits, outcome 1
when the model wins, ties 0.5) is fitted per bootstrap round; the score is the median over
rounds of sigmoid(c_model - c_baseline), the CI its 5% / 95% quantiles.

Differences from upstream, recorded in the scores: token lengths are cl100k (upstream's
markdown metadata uses o200k), the fit is the exact MLE (upstream stops torch LBFGS after 50
iterations), rounds are seeded, and an empty answer gets markdown densities of 0.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from harness.errors import HarnessError
from harness.stats import bootstrap_weights, fit_logistic_batched

CODE_BLOCK = re.compile("```([^`]*)```")


def markdown_counts(answer: str) -> tuple[int, int, int]:
    """(headers, list items, bold spans) of ``answer`` without its fenced code blocks."""
    for block in CODE_BLOCK.findall(answer):
        answer = answer.replace(block, "")
    headers = sum(len(re.findall(rf"^#{{{k}}}\s", answer, re.MULTILINE)) for k in range(1, 7))
    lists = len(re.findall(r"^\s*\d+\.\s", answer, re.MULTILINE)) + len(re.findall(r"^\s*[-*+]\s", answer, re.MULTILINE))
    bold = len(re.findall(r"\*\*[^*\n]+\*\*", answer)) + len(re.findall(r"__[^_\n]+__", answer))
    return headers, lists, bold


def _features(model_meta: dict[str, Any], base_meta: dict[str, Any]) -> list[float]:
    lm, lb = float(model_meta["tokens"]), float(base_meta["tokens"])
    out = [(lm - lb) / (lm + lb) if lm + lb > 0 else 0.0]
    for j in range(3):
        dm = model_meta["md"][j] / lm if lm > 0 else 0.0
        db = base_meta["md"][j] / lb if lb > 0 else 0.0
        out.append((dm - db) / (dm + db + 1))
    return out


def style_controlled_score(battle_rows: list[dict[str, Any]], model_meta: dict[str, dict[str, Any]],
                           base_meta: dict[str, dict[str, Any]], controls: tuple[str, ...] = ("length", "markdown"),
                           num_rounds: int = 100, seed: int = 42) -> dict[str, Any]:
    """Style-controlled win rate vs the baseline from v0.1 battle rows (baseline is model_a)."""
    cols = {"length": [0], "markdown": [1, 2, 3]}
    unknown = set(controls) - set(cols)
    if unknown or not controls:
        raise HarnessError(f"style controls must be among {sorted(cols)}, got {sorted(controls)}")
    keep = sorted(j for c in controls for j in cols[c])
    feats = np.array([_features(model_meta[r["question_id"]], base_meta[r["question_id"]]) for r in battle_rows])
    feats = feats[:, keep]
    std = feats.std(axis=0, ddof=1) if len(feats) > 1 else np.zeros(feats.shape[1])
    feats = np.where(std > 0, (feats - feats.mean(axis=0)) / np.where(std > 0, std, 1.0), 0.0)
    y = np.array([{"model_b": 1.0, "model_a": 0.0, "tie": 0.5}[r["winner"]] for r in battle_rows])
    design = np.hstack([np.tile([1.0, -1.0], (len(y), 1)), feats])  # [model, baseline, features]
    weights = bootstrap_weights(len(y), num_rounds, seed)
    coef = fit_logistic_batched(design, y, weights)
    wr = 100.0 / (1.0 + np.exp(-(coef[:, 0] - coef[:, 1])))
    return {
        "score": float(np.quantile(wr, 0.5)), "ci": [float(np.quantile(wr, 0.05)), float(np.quantile(wr, 0.95))],
        "feature_coefs_median": np.median(coef[:, 2:], axis=0).tolist(), "controls": list(controls),
        "num_rounds": num_rounds, "seed": seed,
    }
