"""The benchmark registry: every spec names its implementation, and both agree."""

from __future__ import annotations

import subprocess
import sys

import pytest

import harness.benchmarks as benchmarks
from harness.benchmarks.spec import BenchmarkSpec, DataSpec, MetricSpec
from harness.errors import HarnessError


@pytest.mark.parametrize("name", list(benchmarks.REGISTRY))
def test_every_spec_and_its_implementation_agree(name):
    spec = benchmarks.get_spec(name)
    cls = spec.load_class()
    assert spec.name == name and cls.spec is spec and cls().name == name
    assert spec.metrics and len(set(spec.metric_keys)) == len(spec.metric_keys)
    assert spec.data.subdirs and spec.n_items > 0
    assert (spec.judge is not None) == cls().needs_judge


def test_metric_keys_are_owned_once_by_the_tables_benchmarks():
    owners = benchmarks.metric_specs()
    assert owners["ae2_lc"][0].name == "alpaca_eval" and owners["gsm"][0].name == "gsm8k"  # not gsm8k_lmeval


def test_a_registry_line_that_names_another_spec_is_refused(monkeypatch):
    monkeypatch.setitem(benchmarks.REGISTRY, "wrong", "harness.benchmarks.mt_bench.spec:SPEC")
    with pytest.raises(HarnessError, match="declares 'mt_bench', not 'wrong'"):
        benchmarks.get_spec("wrong")


def test_listing_specs_imports_no_implementation():
    code = ("import sys, harness.benchmarks as b; b.all_specs(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'numpy', 'torch', 'sklearn')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_register_and_unregister_a_spec():
    spec = BenchmarkSpec(name="extra", title="x", impl="x:Y", description="", n_items=1,
                         data=DataSpec(subdirs=("extra",), files="", public=""), metrics=(MetricSpec("x", "X", 1),))
    benchmarks.register(spec)
    try:
        assert benchmarks.get_spec("extra") is spec and "extra" in benchmarks.names()
    finally:
        benchmarks.unregister("extra")
    with pytest.raises(HarnessError, match="unknown benchmark 'extra'"):
        benchmarks.get_spec("extra")
