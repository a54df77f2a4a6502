"""Judge cost estimates: token accounting checked against published judge files, per-preset prices."""

from __future__ import annotations

import gzip
import json
import statistics

import pytest

from harness.benchmarks import get_spec
from harness.benchmarks.alpaca_eval import protocol as ae
from harness.benchmarks.arena_hard import protocol as ah
from harness.benchmarks.arena_hard.tokens import count_tokens
from harness.benchmarks.mt_bench import protocol as mt
from harness.judges.base import JudgeRequest
from harness.judges.cost import (
    count_prompt_tokens,
    estimate_for_preset,
    estimate_items,
    estimate_requests,
    format_estimates,
)
from harness.judges.presets import get_preset

OFFICIAL = "official_files"


def _alpaca_rows(shared_dir):
    for path in sorted((shared_dir / OFFICIAL / "alpaca_eval/results").glob("*/weighted_alpaca_eval_gpt4_turbo/*.gz")):
        yield from (r for r in json.loads(gzip.decompress(path.read_bytes())) if r.get("raw_completion"))


def test_prompt_tokens_equal_what_openai_billed_alpaca_eval(shared_dir):
    """alpaca_eval records OpenAI's total_tokens (prompt + the 1 completion token) per annotation."""
    rows = list(_alpaca_rows(shared_dir))[:60]
    reqs = [ae.judge_request(r["instruction"], r["output_1"], r["output_2"])[0] for r in rows]
    counts, how = count_prompt_tokens(reqs)
    if how.startswith("approximate"):
        pytest.skip("no cl100k encoding here")
    assert counts == [int(r["raw_completion"]["total_tokens"]) - 1 for r in rows]


def test_typical_tokens_are_the_means_of_the_published_judgments(shared_dir):
    if count_tokens(["x"])[0] is None:
        pytest.skip("no cl100k encoding here")
    ae_prompt = statistics.mean(int(r["raw_completion"]["total_tokens"]) - 1 for r in _alpaca_rows(shared_dir))
    games = [g for p in sorted((shared_dir / OFFICIAL / "arena_hard/model_judgment/gpt-4-1106-preview").glob("*.jsonl"))
             for rec in map(json.loads, p.open()) for g in rec["games"] if g]
    ah_reqs = [JudgeRequest.from_messages("gpt-4-1106-preview", [{"role": "system", "content": ah.SYSTEM_PROMPT},
                                                                 {"role": "user", "content": g["user_prompt"]}])
               for g in games]
    grades = [json.loads(line) for p in sorted((shared_dir / OFFICIAL / "mt_bench").glob("*/model_judgment/*.gz"))
              for line in gzip.decompress(p.read_bytes()).decode().splitlines()]
    mt_reqs = [JudgeRequest.from_messages("gpt-4", mt.judge_messages(mt.PROMPTS[r["judge"][1]], r["user_prompt"]))
               for r in grades]
    measured = {
        "alpaca_eval": (ae_prompt, 1),
        "arena_hard": (statistics.mean(count_prompt_tokens(ah_reqs)[0]),
                       statistics.mean(count_tokens([g["judgment"] for g in games])[0])),
        "mt_bench": (statistics.mean(count_prompt_tokens(mt_reqs)[0]),
                     statistics.mean(count_tokens([r["judgment"] for r in grades])[0])),
    }
    for bench, (prompt, completion) in measured.items():
        assert get_spec(bench).judge.tokens_per_unit == (round(prompt), round(completion)), bench


def _reqs(n: int, max_tokens: int = 4096) -> list[JudgeRequest]:
    return [ah.judge_request(ah.game_messages(f"question {i}", "an answer " * i, "the baseline", i % 2),
                             max_tokens=max_tokens) for i in range(n)]


def test_estimate_prices_cache_batch_and_bounds():
    reqs = _reqs(6)
    cached = {r.cache_key() for r in reqs[:2]}
    est = estimate_requests(reqs, judge="x", benchmark="arena_hard", price=(10.0, 30.0), batch_price=(5.0, 15.0),
                            is_cached=lambda r: r.cache_key() in cached)
    prompt, _ = count_prompt_tokens(reqs[2:])
    assert (est.n_calls, est.n_cached, est.prompt_tokens) == (6, 2, sum(prompt))
    assert est.completion_tokens_expected == 4 * get_spec("arena_hard").judge.tokens_per_unit[1]
    assert est.completion_tokens_max == 4 * 4096
    assert est.cost_usd() == pytest.approx((sum(prompt) * 10 + est.completion_tokens_expected * 30) / 1e6)
    assert est.cost_usd(batch=True) == pytest.approx(est.cost_usd() / 2)
    assert est.cost_usd(upper_bound=True) == pytest.approx((sum(prompt) * 10 + 4 * 4096 * 30) / 1e6)
    capped = estimate_requests(_reqs(2, max_tokens=100), judge="x", benchmark="arena_hard", price=(1.0, 1.0))
    assert capped.completion_tokens_expected == 200 and capped.cost_usd(batch=True) is None
    d = est.to_dict()
    assert d["batch_cost_usd"] == pytest.approx(est.cost_usd() / 2) and d["cost_usd_max"] > d["cost_usd"]


def test_per_preset_estimates_and_the_dry_run_table():
    reqs = _reqs(4)
    turbo = estimate_for_preset(get_preset("gpt-4-1106-preview"), "arena_hard", requests=reqs)
    cheap = estimate_for_preset(get_preset("gpt-4.1"), "arena_hard", requests=reqs)
    open_ = estimate_for_preset(get_preset("llama-3.1-70b-instruct"), "arena_hard", requests=reqs)
    assert turbo.official and not cheap.official and turbo.prompt_tokens == cheap.prompt_tokens
    assert cheap.cost_usd() == pytest.approx((cheap.prompt_tokens * 2 + cheap.completion_tokens_expected * 8) / 1e6)
    assert turbo.cost_usd(batch=True) == pytest.approx(turbo.cost_usd() / 2)
    assert open_.cost_usd() is None and open_.batch_price_per_mtok is None
    items = estimate_for_preset(get_preset("gpt-4"), "mt_bench", n_items=80, n_cached_items=30)
    assert (items.n_calls, items.n_cached) == (160, 60)
    assert items.prompt_tokens == 100 * get_spec("mt_bench").judge.tokens_per_unit[0] and items.cost_usd(upper_bound=True) is None
    assert estimate_items("alpaca_eval", 805, judge="j", price=(10.0, 30.0)).completion_tokens_expected == 805
    table = format_estimates([turbo, cheap, open_, items]).splitlines()
    assert len(table) == 6 and table[2].startswith("| gpt-4-1106-preview | arena_hard | yes | 4 | 0 |")
    assert "| self-hosted | - | self-hosted |" in table[4] and table[5].endswith("| - |")
