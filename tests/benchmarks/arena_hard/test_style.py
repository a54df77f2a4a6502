from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from harness.benchmarks.arena_hard.benchmark import ArenaHard
from harness.benchmarks.arena_hard.style import markdown_counts, style_controlled_score
from harness.benchmarks.base import JudgeOptions, ScoreOptions
from harness.errors import HarnessError
from harness.stats import bootstrap_indices
from harness.store.jsonl import read_jsonl
from harness.store.layout import RunDir
from tests.benchmarks.arena_hard.test_benchmark import MODEL, verdict_judge, write_generations
from tests.helpers.fake_judge import FakeJudgeClient

MD = """# Title
Intro with **bold** and __also bold__.
## Section
1. first
2. second
- bullet
* star
```python
# not a header inside code
- not a list
**not bold**
```
### Sub
text"""


def test_markdown_counts_skip_code_blocks():
    assert markdown_counts(MD) == (3, 4, 2)
    assert markdown_counts("plain text") == (0, 0, 0)


def _synthetic(n=120, seed=0):
    """Model answers that win exactly when they are long: style control should explain it away."""
    rng = np.random.default_rng(seed)
    rows, mm, bm = [], {}, {}
    for i in range(n):
        q = f"q{i}"
        long = bool(rng.random() < 0.5)
        mm[q] = {"tokens": int(rng.integers(400, 600)) if long else int(rng.integers(80, 120)),
                 "md": tuple(int(x) for x in rng.integers(0, 5, size=3))}
        bm[q] = {"tokens": int(rng.integers(250, 300)), "md": tuple(int(x) for x in rng.integers(0, 5, size=3))}
        for _ in range(2):
            u = rng.random()
            winner = ("model_b" if u < 0.8 else "model_a") if long else ("model_a" if u < 0.8 else "model_b")
            if rng.random() < 0.1:
                winner = "tie"
            rows += [{"question_id": q, "model_a": "gpt-4-0314", "model_b": MODEL, "winner": winner}]
    return rows, mm, bm


def _sklearn_reference(rows, mm, bm, num_rounds, seed):
    """Per-round scikit-learn fit of the same style-controlled BT (ties as two half-weight rows)."""
    from harness.benchmarks.arena_hard.style import _features

    f = np.array([_features(mm[r["question_id"]], bm[r["question_id"]]) for r in rows])
    f = (f - f.mean(axis=0)) / f.std(axis=0, ddof=1)
    x = np.hstack([np.tile([1.0, -1.0], (len(rows), 1)), f])
    y = np.array([{"model_b": 1.0, "model_a": 0.0, "tie": 0.5}[r["winner"]] for r in rows])
    out = []
    for idx in bootstrap_indices(len(rows), num_rounds, seed):
        xs, ys = x[idx], y[idx]
        xx = np.vstack([xs, xs])
        yy = np.concatenate([np.ones(len(ys)), np.zeros(len(ys))])
        ww = np.concatenate([ys, 1 - ys])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lr = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-10, max_iter=1000).fit(xx, yy, sample_weight=ww)
        c = lr.coef_[0]
        out.append(100 / (1 + np.exp(-(c[0] - c[1]))))
    return float(np.quantile(out, 0.5)), [float(np.quantile(out, 0.05)), float(np.quantile(out, 0.95))]


def test_style_control_matches_a_direct_fit_and_removes_the_length_effect():
    rows, mm, bm = _synthetic()
    sc = style_controlled_score(rows, mm, bm, ("length", "markdown"), num_rounds=20)
    score, ci = _sklearn_reference(rows, mm, bm, 20, 42)
    assert sc["score"] == pytest.approx(score, abs=1e-6)
    assert sc["ci"] == pytest.approx(ci, abs=1e-6)
    raw = 100 * np.mean([{"model_b": 1.0, "model_a": 0.0, "tie": 0.5}[r["winner"]] for r in rows])
    assert abs(sc["score"] - 50) < abs(raw - 50) or abs(sc["score"] - 50) < 5
    assert sc["feature_coefs_median"][0] > 0.5  # longer answers win


def test_bad_controls_are_rejected():
    rows, mm, bm = _synthetic(10)
    with pytest.raises(HarnessError, match="style controls"):
        style_controlled_score(rows, mm, bm, ("colour",))


def test_score_reports_style_control_when_asked(tmp_path, shared_dir):
    data_dir = shared_dir / "data" / "arena_hard_v0.1"
    items = ArenaHard().load_items(data_dir, limit=8)
    run = RunDir(tmp_path, MODEL, "arena_hard")
    write_generations(run, items, {it.item_id: ("GOOD " * 50 if i % 2 else "BAD") for i, it in enumerate(items)})
    ArenaHard().judge(run.path, FakeJudgeClient(verdict_judge), items, JudgeOptions())
    plain = ArenaHard(num_rounds=10).score(run.path, ScoreOptions())
    assert "style_control" not in plain["details"]
    styled = ArenaHard(data_dir, style_control=("length",), num_rounds=10).score(run.path, ScoreOptions())
    assert styled["metrics"] == plain["metrics"]  # the v0.1 number is unchanged
    assert styled["details"]["style_control"]["controls"] == ["length"]
    assert len(list(read_jsonl(run.annotations))) == 16
