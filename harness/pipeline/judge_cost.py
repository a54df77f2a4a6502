"""What judging a job will cost, before it runs: the planner's one estimate, and ``--dry-run``'s
table of the same job under every judge preset.

Before the answers exist, token counts come from each benchmark spec's ``JudgeSpec.tokens_per_unit``
(for the three judged benchmarks the mean tokens per call of the published official judgments,
``tokens_measured``) through :mod:`harness.judges.cost`. Prices: the preset's (list and
Batch API), else OpenAI's list price for OpenAI's endpoint; a self-hosted judge (``--serve-judge``,
a ``--judge-base-url`` server, an open preset) has no API price, the embedded judge costs $0.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from harness.pipeline.settings import SERVED_ENDPOINT_PREFIX, JudgeSettings
from harness.store.judgments import OPENAI_ENDPOINT, JudgeId

if TYPE_CHECKING:
    from harness.benchmarks.spec import BenchmarkSpec
    from harness.judges.cost import CostEstimate
    from harness.judges.presets import JudgePreset
    from harness.pipeline.jobs import Job

SELECTED = " (selected)"


def judge_prices(spec: BenchmarkSpec, settings: JudgeSettings
                 ) -> tuple[str, tuple[float, float] | None, tuple[float, float] | None]:
    """(name shown, list price, Batch API price) per 1M tokens of the judge of ``settings`` on ``spec``."""
    from harness.judges.client import batch_price_for, is_priced_endpoint, price_for

    assert spec.judge is not None
    model = settings.model_for(spec.judge.default_model)
    preset = settings.preset
    if preset is not None and spec.name in preset.benchmarks:
        return preset.name, preset.price(), preset.price(batch=True)
    if settings.embedded or settings.serve_judge or not is_priced_endpoint(settings.judge_base_url):
        return model, None, None
    return model, price_for(model), batch_price_for(model)


def judge_estimate(spec: BenchmarkSpec, n_items: int, n_cached_items: int, settings: JudgeSettings) -> CostEstimate:
    """The estimate of judging ``n_items`` items of ``spec`` (``n_cached_items`` already judged) with
    the judge of ``settings``: the one place the planner gets judge tokens and cost from."""
    from harness.judges.cost import estimate_items

    assert spec.judge is not None
    judge = settings.judge_id(spec.judge.default_model)
    name, price, batch_price = judge_prices(spec, settings)
    return estimate_items(spec.name, n_items, judge=name, price=price, batch_price=batch_price,
                          official=spec.judge.is_official(judge.model, judge.endpoint),
                          n_cached_items=n_cached_items)


def preset_judge_id(preset: JudgePreset) -> JudgeId:
    """The judge a preset is when run by the harness: OpenAI's endpoint, or its ``--serve-judge`` label."""
    endpoint = OPENAI_ENDPOINT if preset.serving.kind == "openai" else f"{SERVED_ENDPOINT_PREFIX}{preset.name}"
    return JudgeId(preset.model, endpoint)


def preset_estimates(spec: BenchmarkSpec, n_items: int, judged: Callable[[JudgeId], int],
                     settings: JudgeSettings) -> list[CostEstimate]:
    """The selected judge's estimate (marked), then every shipped preset covering ``spec``;
    ``judged(judge_id)`` counts the items that judge has already judged (cached, free)."""
    from harness.judges.cost import estimate_for_preset
    from harness.judges.presets import load_presets

    assert spec.judge is not None
    mine = judge_estimate(spec, n_items, judged(settings.judge_id(spec.judge.default_model)), settings)
    out = [dataclasses.replace(mine, judge=mine.judge + SELECTED)]
    selected = settings.preset.name if settings.preset is not None else None
    for preset in load_presets().values():
        if spec.name not in preset.benchmarks or preset.name == selected:
            continue
        out.append(estimate_for_preset(preset, spec.name, n_items=n_items,
                                       n_cached_items=judged(preset_judge_id(preset))))
    return out


def dry_run_costs(jobs: Sequence[Job], settings: JudgeSettings) -> str:
    """``--dry-run``'s judge cost table: each judged job under the selected judge and every preset."""
    from harness.judges.cost import format_estimates
    from harness.pipeline.runner import judged_items

    rows: list[CostEstimate] = []
    for job in jobs:
        if not job.spec.needs_judge:
            continue
        rows += preset_estimates(job.spec, len(job.items), lambda jid, job=job: judged_items(job, jid), settings)
    if not rows:
        return ""
    head = "judge cost by judge preset (estimated from the published judgments' typical tokens per call; " \
           "cached items are free" + ("; --judge-batch: the batch column applies)" if settings.batch else ")")
    return head + "\n" + format_estimates(rows)
