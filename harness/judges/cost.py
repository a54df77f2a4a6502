"""What judging will cost, before it runs (``--dry-run``), per judge preset, at list and batch price.

- Prompt tokens are counted the way OpenAI bills chat completions for the GPT-4 family: cl100k
  tokens of each message's role and content, 3 more per message and 3 to prime the reply. On the
  published AlpacaEval 2 annotations this gives alpaca_eval's recorded ``total_tokens`` exactly
  (tested). Open judges have their own tokenizers; for them the count is a cl100k approximation
  (and they have no price: self-hosted).
- Completion tokens: the expected count per call is the benchmark spec's ``JudgeSpec.tokens_per_unit``
  (for the judged benchmarks the mean of the published official judgments, recomputed from
  ``../shared`` by the tests), capped by each request's ``max_tokens``; the upper bound is
  ``max_tokens`` itself.
- Cached requests are counted but cost nothing. The Batch API price is half the list price.

After a run, the clients' ``usage`` says what was spent (``BatchRunUsage`` priced as batch).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from harness.judges.base import JudgeRequest

if TYPE_CHECKING:
    from harness.benchmarks.spec import JudgeSpec
    from harness.judges.presets import JudgePreset

TOKENS_PER_MESSAGE = 3
REPLY_PRIMING_TOKENS = 3


@dataclass(frozen=True)
class CostEstimate:
    judge: str  # preset name or model id
    benchmark: str | None
    official: bool | None  # the benchmark's official judge?
    n_calls: int
    n_cached: int
    prompt_tokens: int  # of the calls to make (cached ones excluded)
    completion_tokens_expected: int
    completion_tokens_max: int | None  # None when estimated from typical counts only
    price_per_mtok: tuple[float, float] | None
    batch_price_per_mtok: tuple[float, float] | None
    token_source: str

    def cost_usd(self, *, batch: bool = False, upper_bound: bool = False) -> float | None:
        price = self.batch_price_per_mtok if batch else self.price_per_mtok
        out = self.completion_tokens_max if upper_bound else self.completion_tokens_expected
        if price is None or out is None:
            return None
        return (self.prompt_tokens * price[0] + out * price[1]) / 1e6

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "cost_usd": self.cost_usd(), "cost_usd_max": self.cost_usd(upper_bound=True),
                "batch_cost_usd": self.cost_usd(batch=True),
                "batch_cost_usd_max": self.cost_usd(batch=True, upper_bound=True)}


def count_prompt_tokens(requests: Sequence[JudgeRequest]) -> tuple[list[int], str]:
    """Billed prompt tokens per request (cl100k chat accounting) and how they were counted."""
    from harness.benchmarks.arena_hard.tokens import cl100k_encoding

    enc, how = cl100k_encoding()
    if enc is None:  # about 4 characters per token in English text
        def count(text: str) -> int:
            return max(1, round(len(text) / 4)) if text else 0
        how = f"approximate: 4 characters per token (no cl100k: {how})"
    else:
        def count(text: str) -> int:
            return len(enc.encode(text, disallowed_special=()))
        how = "cl100k chat accounting"
    return [sum(TOKENS_PER_MESSAGE + count(role) + count(content) for role, content in r.messages)
            + REPLY_PRIMING_TOKENS for r in requests], how


def _judge_spec(benchmark: str | None) -> JudgeSpec | None:
    """``benchmark``'s judge as its spec declares it (None: no benchmark, or one without a judge)."""
    from harness.benchmarks import judge_specs

    return judge_specs().get(benchmark) if benchmark is not None else None


def estimate_requests(requests: Sequence[JudgeRequest], *, judge: str, price: tuple[float, float] | None,
                      batch_price: tuple[float, float] | None = None, benchmark: str | None = None,
                      official: bool | None = None, is_cached: Callable[[JudgeRequest], bool] | None = None,
                      completion_tokens: int | None = None) -> CostEstimate:
    """Cost of sending ``requests`` (those ``is_cached`` says are cached are free).

    ``completion_tokens`` per call defaults to the benchmark's typical count (else ``max_tokens``)."""
    todo = [r for r in requests if not (is_cached and is_cached(r))]
    prompt, how = count_prompt_tokens(todo)
    spec = _judge_spec(benchmark)
    typical = completion_tokens if completion_tokens is not None else spec.tokens_per_unit[1] if spec else None
    expected = sum(r.max_tokens if typical is None else min(typical, r.max_tokens) for r in todo)
    return CostEstimate(judge, benchmark, official, len(requests), len(requests) - len(todo), sum(prompt), expected,
                        sum(r.max_tokens for r in todo), price, batch_price, how)


def estimate_items(benchmark: str, n_items: int, *, judge: str, price: tuple[float, float] | None,
                   batch_price: tuple[float, float] | None = None, official: bool | None = None,
                   n_cached_items: int = 0, typical: tuple[int, int] | None = None,
                   calls_per_item: int | None = None) -> CostEstimate:
    """Cost of judging ``n_items`` items before their answers exist, from the typical token counts.

    ``typical`` (prompt, completion) tokens per call and ``calls_per_item`` default to the
    benchmark spec's (``JudgeSpec.tokens_per_unit``, ``units_per_item``)."""
    judge_spec = _judge_spec(benchmark)
    if judge_spec is None:
        raise ValueError(f"{benchmark} has no judge")
    measured = typical is None and judge_spec.tokens_measured
    per_in, per_out = judge_spec.tokens_per_unit if typical is None else typical
    calls = calls_per_item if calls_per_item is not None else judge_spec.units_per_item
    todo = max(n_items - n_cached_items, 0) * calls
    source = "typical tokens per call of the published official judgments" if measured else \
        "the benchmark spec's rough tokens per call"
    return CostEstimate(judge, benchmark, official, n_items * calls, n_items * calls - todo, todo * per_in,
                        todo * per_out, None, price, batch_price, source)


def estimate_for_preset(preset: JudgePreset, benchmark: str, *, requests: Sequence[JudgeRequest] | None = None,
                        n_items: int | None = None, n_cached_items: int = 0,
                        is_cached: Callable[[JudgeRequest], bool] | None = None) -> CostEstimate:
    """The estimate for ``preset`` judging ``benchmark``: from the requests when they can be built
    (they are re-targeted at the preset first), else from a number of items."""
    common: dict[str, Any] = {"judge": preset.name, "price": preset.price(), "batch_price": preset.price(batch=True),
                              "official": preset.official_for(benchmark)}
    if requests is not None:
        reqs = [preset.apply(benchmark, r) for r in requests]
        return estimate_requests(reqs, benchmark=benchmark, is_cached=is_cached, **common)
    if n_items is None:
        raise ValueError("give requests or n_items")
    preset.judging(benchmark)  # a preset without this benchmark is an error here too
    return estimate_items(benchmark, n_items, n_cached_items=n_cached_items, **common)


def _usd(value: float | None, self_hosted: bool) -> str:
    if value is None:
        return "self-hosted" if self_hosted else "unknown"
    return f"${value:,.2f}"


def format_estimates(estimates: Sequence[CostEstimate]) -> str:
    """A markdown table for ``--dry-run``: one row per (judge, benchmark)."""
    rows = ["| judge | benchmark | official | calls | cached | prompt Mtok | output Mtok (est.) | cost | batch cost "
            "| cost at max_tokens |", "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for e in estimates:
        hosted = e.price_per_mtok is None
        official = "yes" if e.official else ("no" if e.official is not None else "-")
        batch = _usd(e.cost_usd(batch=True), False) if e.batch_price_per_mtok else "-"
        rows.append(f"| {e.judge} | {e.benchmark or '-'} | {official} | {e.n_calls} | {e.n_cached} "
                    f"| {e.prompt_tokens / 1e6:.3f} | {e.completion_tokens_expected / 1e6:.3f} "
                    f"| {_usd(e.cost_usd(), hosted)} | {batch} "
                    f"| {_usd(e.cost_usd(upper_bound=True), hosted) if e.completion_tokens_max is not None else '-'} |")
    return "\n".join(rows)
