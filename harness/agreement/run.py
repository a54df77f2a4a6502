"""The orchestration behind ``judge-agreement``: sources, sample, work directory, cost, judging.

Work directory: ``<results>/judge_agreement/<benchmark>/<judge model>@<endpoint>/`` holds the judge
cache (``judge_cache.sqlite``, shared by every sample of that judge: a larger sample or another
seed pays only for new inputs), the Batch API state file when ``--judge-batch`` is used, and per
sample (size and seed) ``report_n<N>_seed<S>.json`` and ``units_n<N>_seed<S>.jsonl`` (both
verdicts of every unit). The directory is locked while a process judges in it. A killed run
resumes from the cache; ``--dry-run`` reads the cache (read-only) to price only what is missing.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.agreement.analysis import NO_VERDICT, compare
from harness.agreement.base import AgreementProtocol, NewVerdict, Unit, protocol_for
from harness.agreement.sample import Collection, collect, draw
from harness.pipeline.settings import JudgeSettings
from harness.store.judgments import JudgeId

if TYPE_CHECKING:
    from harness.benchmarks.base import JudgeOptions
    from harness.judges.cost import CostEstimate

AGREEMENT_DIR = "judge_agreement"
BOOTSTRAP_SEED = 42


@dataclass(frozen=True)
class AgreementJob:
    benchmark: str
    sources: tuple[Path, ...] = ()  # published files or directories (default: default_sources())
    sample: int = 200
    seed: int = 0
    rounds: int = 2000  # bootstrap rounds of the score-shift CIs


@dataclass(frozen=True)
class Prepared:
    job: AgreementJob
    protocol: AgreementProtocol
    collection: Collection
    units: list[Unit]
    options: JudgeOptions
    judge: JudgeId
    work: Path

    @property
    def stem(self) -> str:
        return f"n{self.job.sample}_seed{self.job.seed}"


def default_sources() -> list[Path]:
    """The published files the analysis uses (``$SIMPO_HARNESS_OFFICIAL_FILES``, ``$SIMPO_HARNESS_DATA_DIR``,
    or ``../shared`` beside the checkout), where present."""
    from harness.analysis.inputs import analysis_inputs

    inputs = analysis_inputs()
    return [p for p in (inputs.official_dir, inputs.data_dir) if p is not None]


def work_dir(results_dir: Path, benchmark: str, judge: JudgeId) -> Path:
    from harness.store.layout import safe_name

    return Path(results_dir) / AGREEMENT_DIR / benchmark / safe_name(f"{judge.model}@{judge.endpoint}")


def prepare(job: AgreementJob, settings: JudgeSettings, results_dir: Path, data_dir: Path | None = None) -> Prepared:
    """Read the sources and draw the sample (no judge call, nothing written)."""
    from harness.benchmarks import get_spec
    from harness.pipeline.judge_stage import check_judge_covers, judge_options_for

    protocol = protocol_for(job.benchmark)
    spec = get_spec(job.benchmark)
    assert spec.judge is not None
    check_judge_covers(settings, [job.benchmark])
    sources = list(job.sources) or default_sources()
    collection = collect(protocol, sources)
    units = draw(collection.units, job.sample, job.seed)
    judge = settings.judge_id(spec.judge.default_model)
    return Prepared(job=job, protocol=protocol, collection=collection, units=units,
                    options=judge_options_for(settings, spec, data_dir), judge=judge,
                    work=work_dir(results_dir, job.benchmark, judge))


def cached_keys(cache: Path) -> set[str]:
    """The request keys in a judge cache, read-only (a missing cache is empty; nothing is created)."""
    if not cache.is_file():
        return set()
    try:
        with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as db:
            return {row[0] for row in db.execute("SELECT key FROM judge_calls")}
    except sqlite3.Error:
        return set()


def estimates(prep: Prepared, settings: JudgeSettings, results_dir: Path) -> list[CostEstimate]:
    """Cost of the sample's first judge calls for the selected judge and for every preset covering
    the benchmark; inputs already in that judge's cache are free."""
    import dataclasses

    from harness.benchmarks import get_spec
    from harness.judges.cost import estimate_for_preset, estimate_requests
    from harness.judges.presets import load_presets
    from harness.pipeline.judge_cost import SELECTED, judge_prices, preset_judge_id
    from harness.store.layout import JUDGE_CACHE

    bench = prep.job.benchmark
    spec = get_spec(bench)
    assert spec.judge is not None
    reqs = prep.protocol.requests(prep.units, prep.options)
    preset = settings.preset
    sent = [preset.apply(bench, r) for r in reqs] if preset is not None else reqs
    mine = cached_keys(prep.work / JUDGE_CACHE)
    name, price, batch_price = judge_prices(spec, settings)
    out = [estimate_requests(sent, judge=name + SELECTED, price=price, batch_price=batch_price, benchmark=bench,
                             official=spec.judge.is_official(prep.judge.model, prep.judge.endpoint),
                             is_cached=lambda r: r.cache_key(prep.judge.endpoint) in mine)]
    for other in load_presets().values():
        if bench not in other.benchmarks or (preset is not None and other.name == preset.name):
            continue
        jid = preset_judge_id(other)
        keys = cached_keys(work_dir(results_dir, bench, jid) / JUDGE_CACHE)
        est = estimate_for_preset(other, bench, requests=reqs, is_cached=lambda r, k=keys, e=jid.endpoint:
                                  r.cache_key(e) in k)
        out.append(dataclasses.replace(est, official=spec.judge.is_official(jid.model, jid.endpoint)))
    return out


def _unit_rows(protocol: AgreementProtocol, units: Sequence[Unit], verdicts: Sequence[NewVerdict]) -> list[dict]:
    return [{"key": u.key, "model": u.model, "item_id": u.item_id, "source": u.source, "published_judge": u.judge,
             "published": u.published, "published_label": protocol.label(u.published),
             "new": v.value, "new_label": None if v.error else (protocol.label(v.value) or NO_VERDICT),
             "error": v.error, "cached": v.cached} for u, v in zip(units, verdicts, strict=True)]


def run_agreement(prep: Prepared, settings: JudgeSettings, *, progress: bool = True, wait: bool = False
                  ) -> dict[str, Any]:
    """Judge the sample (cached, resumable), compare, and write the report and the unit rows."""
    from harness.benchmarks import get_spec
    from harness.manifest import base_manifest
    from harness.pipeline.judge_stage import JudgeSession, judge_manifest
    from harness.store import run_lock
    from harness.store.jsonl import write_json_atomic, write_jsonl_atomic
    from harness.store.layout import JUDGE_CACHE

    job = prep.job
    spec = get_spec(job.benchmark)
    recorded = judge_manifest(settings, spec)  # a drifted preset prompt fails before any call
    with run_lock(prep.work, wait=wait):
        session = JudgeSession(settings, progress=progress)
        try:
            session.use(prep.work / JUDGE_CACHE, f"{job.benchmark} agreement", benchmark=job.benchmark)
            verdicts = prep.protocol.judge(session, prep.units, prep.options)
            usage = session.usage()
        finally:
            session.close()
        result = compare(prep.protocol, prep.units, verdicts, rounds=job.rounds, seed=BOOTSTRAP_SEED)
        report = {
            "benchmark": job.benchmark, "status": "incomplete" if result["n_failed"] else "complete",
            "judge": {"model": prep.judge.model, "endpoint": prep.judge.endpoint, **recorded},
            "published_judges": dict(Counter(u.judge for u in prep.units)),
            "sample": {"requested": job.sample, "n": len(prep.units), "seed": job.seed,
                       "n_available": len(prep.collection.units), "n_duplicate_inputs": prep.collection.n_duplicates,
                       "n_models": len({u.model for u in prep.units}), "files": prep.collection.files},
            "bootstrap": {"rounds": job.rounds, "seed": BOOTSTRAP_SEED, "confidence": 0.95},
            "usage": usage, **result,
            "work_dir": str(prep.work),
            "manifest": base_manifest(command="judge-agreement"),
        }
        write_jsonl_atomic(prep.work / f"units_{prep.stem}.jsonl", _unit_rows(prep.protocol, prep.units, verdicts))
        write_json_atomic(prep.work / f"report_{prep.stem}.json", report)
    return report
