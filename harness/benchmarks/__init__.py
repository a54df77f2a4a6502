"""The benchmark registry, lazy: one line per benchmark names the module holding its spec.

A spec (:class:`harness.benchmarks.spec.BenchmarkSpec`) is plain data, so listing benchmarks or
building the CLI imports no implementation; ``get_benchmark(name)`` imports the one in use.
A new benchmark is a package with a ``spec.py`` and one line here; tests may :func:`register`
a spec of their own.
"""

from __future__ import annotations

import importlib
from typing import Any

from harness.benchmarks.spec import BenchmarkSpec
from harness.errors import HarnessError, did_you_mean

# name -> "module:attribute" of its BenchmarkSpec
REGISTRY: dict[str, str] = {
    "alpaca_eval": "harness.benchmarks.alpaca_eval.spec:SPEC",
    "arena_hard": "harness.benchmarks.arena_hard.spec:SPEC",
    "mt_bench": "harness.benchmarks.mt_bench.spec:SPEC",
    "gsm8k": "harness.benchmarks.zeroeval.spec:GSM8K",
    "mmlu": "harness.benchmarks.zeroeval.spec:MMLU",
    "gsm8k_lmeval": "harness.benchmarks.gsm8k_lmeval.spec:SPEC",
}
_EXTRA: dict[str, BenchmarkSpec] = {}


def register(spec: BenchmarkSpec) -> None:
    """Add a benchmark defined outside the package (e.g. a test's toy benchmark)."""
    _EXTRA[spec.name] = spec


def unregister(name: str) -> None:
    _EXTRA.pop(name, None)


def names() -> list[str]:
    return [*REGISTRY, *(n for n in _EXTRA if n not in REGISTRY)]


def get_spec(name: str) -> BenchmarkSpec:
    if name in _EXTRA:
        return _EXTRA[name]
    if name not in REGISTRY:
        raise did_you_mean(name, names(), what="benchmark")
    module_name, _, attr = REGISTRY[name].partition(":")
    spec = getattr(importlib.import_module(module_name), attr)
    if spec.name != name:
        raise HarnessError(f"benchmark registry: {REGISTRY[name]} declares {spec.name!r}, not {name!r}")
    return spec


def all_specs() -> list[BenchmarkSpec]:
    return [get_spec(n) for n in names()]


def judge_specs() -> dict[str, Any]:
    """benchmark name -> its ``JudgeSpec``, for every judged benchmark."""
    return {s.name: s.judge for s in all_specs() if s.judge is not None}


def get_benchmark(name: str, **kwargs: Any) -> Any:
    """An instance of benchmark ``name`` (did-you-mean on typos)."""
    return get_spec(name).create(**kwargs)


def metric_specs() -> dict[str, tuple[BenchmarkSpec, Any]]:
    """metric key -> (spec of the benchmark that reports it, its MetricSpec), tables' benchmarks first."""
    out: dict[str, tuple[BenchmarkSpec, Any]] = {}
    for spec in sorted(all_specs(), key=lambda s: not s.in_tables):
        for metric in spec.metrics:
            out.setdefault(metric.key, (spec, metric))
    return out


def decoding_keys() -> set[str]:
    return {s.decoding_key for s in all_specs()}
