"""Benchmark registry, lazy: names map to ``module:Class`` strings."""

from __future__ import annotations

import importlib

from harness.errors import did_you_mean

BENCHMARKS: dict[str, str] = {
    "alpaca_eval": "harness.benchmarks.alpaca_eval:AlpacaEval2",
    "arena_hard": "harness.benchmarks.arena_hard:ArenaHard",
    "mt_bench": "harness.benchmarks.mt_bench:MTBench",
    "gsm8k": "harness.benchmarks.zeroeval:GSM8KZeroEval",
    "mmlu": "harness.benchmarks.zeroeval:MMLUReduxZeroEval",
    "gsm8k_lmeval": "harness.benchmarks.gsm8k_lmeval:GSM8KLmEval",
}


def get_benchmark_class(name: str) -> type:
    if name not in BENCHMARKS:
        raise did_you_mean(name, BENCHMARKS, what="benchmark")
    module_name, _, attr = BENCHMARKS[name].partition(":")
    return getattr(importlib.import_module(module_name), attr)
