"""The planner's judge estimate (one place): measured tokens per call, the preset's or OpenAI's
prices, batch price with --judge-batch, no API price for self-hosted judges; and the per-preset rows."""

from __future__ import annotations

import pytest

from harness.benchmarks import get_spec
from harness.judges.presets import get_preset
from harness.pipeline.judge_cost import judge_estimate as estimate
from harness.pipeline.judge_cost import preset_estimates, preset_judge_id
from harness.pipeline.settings import JudgeSettings
from harness.store.judgments import OPENAI_ENDPOINT


def test_measured_tokens_and_preset_prices(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    spec = get_spec("arena_hard")
    est = estimate(spec, 500, 100, JudgeSettings(judge_preset="gpt-4.1"))
    per_in, per_out = get_spec("arena_hard").judge.tokens_per_unit
    assert (est.judge, est.n_calls, est.n_cached) == ("gpt-4.1", 1000, 200)
    assert (est.prompt_tokens, est.completion_tokens_expected) == (800 * per_in, 800 * per_out)
    assert est.cost_usd() == pytest.approx((800 * per_in * 2 + 800 * per_out * 8) / 1e6)
    assert est.cost_usd(batch=True) == pytest.approx(est.cost_usd() / 2) and est.official is False
    official = estimate(spec, 500, 0, JudgeSettings())
    assert official.official and official.judge == "gpt-4-1106-preview" and official.price_per_mtok == (10.0, 30.0)
    local = estimate(spec, 500, 0, JudgeSettings(judge_base_url="http://127.0.0.1:8000/v1"))
    assert local.cost_usd() is None and not local.official  # self-hosted under a GPT-4 name: no GPT-4 price
    served = estimate(spec, 500, 0, JudgeSettings(judge_preset="qwen2.5-72b-instruct", serve_judge=True))
    assert served.cost_usd() is None and served.judge == "qwen2.5-72b-instruct"


def test_a_benchmark_without_measurements_uses_its_spec(toy):
    est = estimate(toy, 6, 2, JudgeSettings(judge_base_url="http://127.0.0.1:8000/v1"))
    assert (est.n_calls, est.prompt_tokens, est.completion_tokens_expected) == (6, 4 * 20, 4 * 5)
    assert "rough" in est.token_source


def test_preset_rows_count_each_presets_own_cached_items(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    spec = get_spec("mt_bench")
    judged = {preset_judge_id(get_preset("gpt-4")): 30}
    rows = preset_estimates(spec, 80, lambda jid: judged.get(jid, 0), JudgeSettings(judge_preset="gpt-4.1"))
    by_name = {r.judge: r for r in rows}
    assert list(by_name)[0] == "gpt-4.1 (selected)"
    assert set(by_name) == {"gpt-4.1 (selected)", "gpt-4", "gpt-4-1106-preview", "llama-3.1-70b-instruct",
                            "qwen2.5-72b-instruct"}
    assert by_name["gpt-4"].n_cached == 60 and by_name["gpt-4"].official and by_name["gpt-4.1 (selected)"].n_cached == 0
    assert preset_judge_id(get_preset("qwen2.5-72b-instruct")).endpoint == "vllm-serve:qwen2.5-72b-instruct"
    assert preset_judge_id(get_preset("gpt-4")).endpoint == OPENAI_ENDPOINT
