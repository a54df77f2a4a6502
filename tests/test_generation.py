"""Orchestration tests on the tiny Llama (transformers backend), including the SIGKILL resume test."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.backends.base import SamplingParams
from harness.benchmarks.base import BenchmarkItem
from harness.errors import HarnessError
from harness.generation import generate, per_item_temperatures, sampling_params_from
from harness.store import GenerationStore
from harness.templates import get_template
from tests.helpers.tiny_model import build_tiny_llama
from tests.helpers.toy_benchmark import ToyBenchmark

REPO_ROOT = Path(__file__).resolve().parents[1]


def run_toy(model_dir: str, results: str, n: int, max_new_tokens: int, batch_size: int) -> None:
    """Entry point of the resume test's subprocess."""
    from harness.backends.transformers_backend import TransformersBackend
    from harness.model_loading import resolve_model

    model = resolve_model(model_dir, template="llama3")
    backend = TransformersBackend(model.source, batch_size=batch_size, local_files_only=True)
    params = sampling_params_from({}, max_new_tokens=max_new_tokens, stop_token_ids=[4, 1])
    bench = ToyBenchmark(n=n)
    generate(benchmark=bench, items=bench.load_items(), backend=backend, tokenizer=backend.tokenizer,
             template=get_template("llama3"), model_name=model.name, model_id=model.model_id, params=params,
             store=GenerationStore(Path(results) / "generations.jsonl"), progress=False)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="module")
def backend(tiny):
    from harness.backends.transformers_backend import TransformersBackend

    return TransformersBackend(str(tiny), batch_size=4, local_files_only=True)


class CountingBackend:
    def __init__(self, inner) -> None:
        self.inner, self.name, self.calls = inner, inner.name, 0

    def generate(self, requests):
        self.calls += len(requests)
        yield from self.inner.generate(requests)


def _run(backend, tmp_path, *, n=6, params=None, bench=None):
    bench = bench or ToyBenchmark(n=n)
    params = params or sampling_params_from({}, max_new_tokens=12, stop_token_ids=[4, 1])
    return generate(benchmark=bench, items=bench.load_items(), backend=backend, tokenizer=backend.tokenizer,
                    template=get_template("llama3"), model_name="tiny", model_id="local:tiny@x", params=params,
                    store=GenerationStore(tmp_path / "generations.jsonl"), progress=False)


def test_multi_turn_prompts_contain_previous_outputs(backend, tmp_path):
    records = _run(backend, tmp_path)
    assert [(r.item_id, r.turn) for r in records] == [
        ("q0", 0), ("q1", 0), ("q2", 0), ("q3", 0), ("q4", 0), ("q5", 0), ("q0", 1), ("q2", 1), ("q4", 1)]
    by = {(r.item_id, r.turn): r for r in records}
    for i in (0, 2, 4):
        t0, t1 = by[(f"q{i}", 0)], by[(f"q{i}", 1)]
        assert t1.prompt.startswith(t0.prompt + t0.output.strip() + "<|eot_id|>")
        assert t1.prompt.endswith("and why?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    r = records[0]
    assert r.prompt.startswith("<|begin_of_text|>") and r.prompt.count("<|begin_of_text|>") == 1
    assert r.finish_reason in {"stop", "length"} and 0 < r.num_output_tokens <= 12
    assert r.template_hash == get_template("llama3").sha256 and r.backend == "transformers"
    assert len({r.key for r in records}) == len(records)


def test_rerun_is_served_from_the_store(backend, tmp_path):
    first = _run(backend, tmp_path)
    counting = CountingBackend(backend)
    counting.tokenizer = backend.tokenizer
    again = _run(counting, tmp_path)
    assert counting.calls == 0 and again == first
    # More items: only the new ones are decoded.
    more = _run(counting, tmp_path, n=8)
    assert counting.calls == 3 and more[:6] == first[:6]
    assert len((tmp_path / "generations.jsonl").read_text().splitlines()) == 12


def test_sampling_is_reproducible_per_seed_and_sample(backend, tmp_path):
    params = sampling_params_from({"do_sample": True, "temperature": 1.0}, max_new_tokens=8, stop_token_ids=[4])
    bench = ToyBenchmark(n=2)
    kw = dict(benchmark=bench, items=bench.load_items(), backend=backend, tokenizer=backend.tokenizer,
              template=get_template("llama3"), model_name="tiny", model_id="m", params=params, progress=False)
    a = generate(store=GenerationStore(tmp_path / "a.jsonl"), num_samples=2, **kw)
    b = generate(store=GenerationStore(tmp_path / "b.jsonl"), num_samples=2, **kw)
    assert [r.output for r in a] == [r.output for r in b]
    assert {r.sample_index for r in a} == {0, 1} and len({r.key for r in a}) == len(a)


def test_sampling_params_from_config_and_overrides():
    greedy = sampling_params_from({"temperature": 0.9, "do_sample": False})
    assert greedy.temperature == 0.0 and greedy.max_new_tokens == 4096 and greedy.seed == 42
    sampled = sampling_params_from({"temperature": 0.9, "do_sample": True, "top_p": 0.95}, stop_token_ids=[9, 3, 9])
    assert (sampled.temperature, sampled.top_p, sampled.stop_token_ids) == (0.9, 0.95, (3, 9))
    quirk = sampling_params_from({"temperature": 0.9, "do_sample": True}, alpaca_eval_062_beam_quirk=True)
    assert quirk.alpaca_eval_062_beam_quirk and quirk.temperature == 0.9
    over = sampling_params_from({"temperature": 0.0}, temperature=0.7, max_new_tokens=5, seed=1)
    assert (over.temperature, over.max_new_tokens, over.seed) == (0.7, 5, 1)
    with pytest.raises(HarnessError, match="max_new_tokens"):
        sampling_params_from({}, max_new_tokens=0)
    with pytest.raises(HarnessError, match="top_p"):
        sampling_params_from({}, top_p=5.0)


def test_explicit_top_p_reaches_items_with_their_own_temperature():
    """MT-Bench: greedy config params, but per-category temperatures sample; --top-p must apply."""
    params = sampling_params_from({"temperature": 0.0, "do_sample": False}, top_p=0.5)
    items = [BenchmarkItem(item_id="w", turns=("a",), metadata={"temperature": 0.7}),
             BenchmarkItem(item_id="m", turns=("b",), metadata={"temperature": 0.0}),
             BenchmarkItem(item_id="x", turns=("c",))]
    from harness.generation import _item_params

    assert (_item_params(items[0], params, False).temperature, _item_params(items[0], params, False).top_p) == (0.7, 0.5)
    assert _item_params(items[1], params, False).temperature == 0.0
    # the manifest says which temperatures the items really decode at
    assert per_item_temperatures(items, params, temperature_overridden=False) == {"0.0": 1, "0.7": 1}
    assert per_item_temperatures(items, params, temperature_overridden=True) is None
    assert per_item_temperatures(items[2:], params, temperature_overridden=False) is None


def test_quirk_makes_sampling_greedy(backend, tmp_path):
    greedy = _run(backend, tmp_path / "g", n=2)
    quirk = sampling_params_from({"do_sample": True, "temperature": 5.0}, max_new_tokens=12, stop_token_ids=[4, 1],
                                 alpaca_eval_062_beam_quirk=True)
    quirked = _run(backend, tmp_path / "q", n=2, params=quirk)
    assert [r.output for r in quirked] == [r.output for r in greedy]
    assert quirked[0].key != greedy[0].key and quirked[0].params["alpaca_eval_062_beam_quirk"]


def test_per_item_temperature_from_metadata(backend, tmp_path):
    class Temps(ToyBenchmark):
        def load_items(self, data_dir=None, limit=None):
            return [BenchmarkItem("w", ("write a poem",), metadata={"temperature": 0.7}),
                    BenchmarkItem("m", ("solve 2+2",), metadata={"temperature": 0.0})]

    records = _run(backend, tmp_path, bench=Temps())
    assert records[0].params["temperature"] == 0.7 and records[1].params["temperature"] == 0.0


def test_a_backend_that_drops_requests_is_an_error(backend, tmp_path):
    class Dropping:
        name, tokenizer = "dropping", backend.tokenizer

        def generate(self, requests):
            yield from backend.generate(requests[:1])

    with pytest.raises(HarnessError, match="returned no result for 5 prompt"):
        _run(Dropping(), tmp_path)
    assert len(GenerationStore(tmp_path / "generations.jsonl").load()) == 1  # the finished one is kept


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_resume_after_sigkill_matches_uninterrupted_run(tiny, tmp_path):
    n, mnt = 20, 16
    code = ("import sys; from tests.test_generation import run_toy; "
            "run_toy(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))")
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}

    def cmd(results: Path) -> list[str]:
        return [sys.executable, "-c", code, str(tiny), str(results), str(n), str(mnt), "1"]

    killed = tmp_path / "killed"
    proc = subprocess.Popen(cmd(killed), cwd=REPO_ROOT, env=env)
    gen = killed / "generations.jsonl"
    deadline = time.time() + 120
    while _lines(gen) < 4 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    written = _lines(gen)
    total = n + n // 2  # 10 two-turn items
    assert 4 <= written < total, f"kill landed after {written} of {total} records"

    subprocess.run(cmd(killed), cwd=REPO_ROOT, env=env, check=True, timeout=300)
    full = tmp_path / "full"
    run_toy(str(tiny), str(full), n, mnt, 1)  # the uninterrupted reference run, in-process

    resumed = [json.loads(x) for x in gen.read_text().splitlines()]
    reference = [json.loads(x) for x in (full / "generations.jsonl").read_text().splitlines()]
    assert len(resumed) == len(reference) == total
    assert len({r["key"] for r in resumed}) == total  # no duplicates

    def strip(r):
        return {k: v for k, v in r.items() if k not in ("seconds", "created")}

    by_key = {r["key"]: strip(r) for r in reference}
    assert {r["key"]: strip(r) for r in resumed} == by_key


def test_default_params_dataclass_roundtrip():
    assert SamplingParams().to_dict()["stop_token_ids"] == []
