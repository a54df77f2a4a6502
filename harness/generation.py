"""Benchmark-agnostic generation: items -> messages -> template -> token ids -> backend -> store.

Multi-turn items (MT-Bench) are generated turn by turn: turn ``t``'s prompt contains the
model's own outputs for turns ``< t`` (read back from the store, so a resumed run continues
the very same conversations). Every finished generation is appended to the store at once.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from harness.backends.base import Backend, GenerationRequest, SamplingParams
from harness.benchmarks.base import Benchmark, BenchmarkItem
from harness.errors import HarnessError
from harness.store import GenerationRecord, GenerationStore, generation_key
from harness.templates import ChatTemplate
from harness.timing import timed


def sampling_params_from(decoding: dict[str, Any], *, stop_token_ids: Sequence[int] = (),
                         temperature: float | None = None, top_p: float | None = None,
                         max_new_tokens: int | None = None, seed: int | None = None,
                         alpaca_eval_062_beam_quirk: bool = False) -> SamplingParams:
    """Model-config decoding params (``DecodingParams`` fields) plus CLI overrides -> SamplingParams.

    ``do_sample: false`` means greedy whatever the temperature says; an explicit
    ``temperature`` override decides sampling by itself (``> 0`` samples).
    """
    do_sample = bool(decoding.get("do_sample", False))
    temp = float(decoding.get("temperature", 0.0))
    if temperature is not None:
        temp, do_sample = float(temperature), float(temperature) > 0
    if temp < 0:
        raise HarnessError(f"temperature must be >= 0, got {temp}")
    mnt = int(max_new_tokens if max_new_tokens is not None else decoding.get("max_new_tokens", 4096))
    if mnt < 1:
        raise HarnessError(f"max_new_tokens must be >= 1, got {mnt}")
    if top_p is not None and not 0 < top_p <= 1:
        raise HarnessError(f"top_p must be in (0, 1], got {top_p}")
    # An explicit top_p is kept even for greedy params: items with their own temperature (MT-Bench's
    # per-category ones) sample with it.
    return SamplingParams(
        temperature=temp if do_sample else 0.0,
        top_p=float(top_p) if top_p is not None else float(decoding.get("top_p", 1.0)) if do_sample else 1.0,
        max_new_tokens=mnt,
        seed=int(seed if seed is not None else decoding.get("seed", 42)),
        stop_token_ids=tuple(sorted(set(int(i) for i in stop_token_ids))),
        alpaca_eval_062_beam_quirk=bool(alpaca_eval_062_beam_quirk),
    )


def max_new_tokens_override(benchmark: Benchmark, requested: int | None) -> int | None:
    """The user's --max-new-tokens, else a cap the benchmark protocol fixes itself (its spec's
    ``max_new_tokens``; lm-eval's GSM8K: 256), else None (the model config's value applies)."""
    return requested if requested is not None else benchmark.spec.max_new_tokens


def _key_params(params: SamplingParams) -> dict[str, Any]:
    d = params.to_dict()
    d.pop("seed")
    # Stop strings were never set; the empty list stays in the key so that stores written before
    # it was dropped from SamplingParams keep their keys (and nothing is generated twice).
    d["stop"] = []
    return d


def run_config_id(model_id: str, template_hash: str, params: SamplingParams) -> str:
    """Identity of a generate configuration; records and the generation manifest carry it."""
    blob = json.dumps({"model": model_id, "template": template_hash, "params": _key_params(params),
                       "seed": params.seed}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class Progress:
    total: int
    cached: int = 0
    done: int = 0

    @property
    def remaining(self) -> int:
        return self.total - self.cached - self.done


class _Bar:
    """tqdm bar showing done / cached / remaining (stderr; silent when disabled)."""

    def __init__(self, progress: Progress, enabled: bool, desc: str) -> None:
        self.p = progress
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=progress.total, initial=progress.cached, desc=desc, file=sys.stderr,
                            dynamic_ncols=True)
            self.refresh()

    def refresh(self, redraw: bool = True) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"done={self.p.done} cached={self.p.cached} remaining={self.p.remaining}",
                                     refresh=redraw)

    def update(self) -> None:
        if self.bar is not None:
            self.refresh(redraw=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _item_params(item: BenchmarkItem, params: SamplingParams, temperature_overridden: bool) -> SamplingParams:
    """Per-item temperature (MT-Bench's per-category temperatures) unless the CLI set one."""
    t = item.metadata.get("temperature") if item.metadata else None
    if t is None or temperature_overridden:
        return params
    t = float(t)
    return replace(params, temperature=t, top_p=params.top_p if t > 0 else 1.0)


def per_item_temperatures(items: Sequence[BenchmarkItem], params: SamplingParams,
                          temperature_overridden: bool) -> dict[str, int] | None:
    """For manifests: how many items decode at each per-item temperature (MT-Bench's per-category
    ones), which replace the params' temperature for those items; None when there are none."""
    if temperature_overridden:
        return None
    counts: dict[str, int] = {}
    for it in items:
        if it.metadata and it.metadata.get("temperature") is not None:
            t = str(_item_params(it, params, False).temperature)
            counts[t] = counts.get(t, 0) + 1
    return dict(sorted(counts.items())) or None


@dataclass
class _GenerationRun:
    """What every (item, turn, sample) of one ``generate`` call shares: its key and its record."""

    benchmark: Benchmark
    backend: Backend
    template: ChatTemplate
    model_name: str
    model_id: str
    params: SamplingParams
    temperature_overridden: bool
    position: dict[str, int]
    config_id: str

    def key_of(self, item: BenchmarkItem, turn: int, sample: int) -> tuple[str, SamplingParams]:
        p = _item_params(item, self.params, self.temperature_overridden)
        return generation_key(model_id=self.model_id, template_hash=self.template.sha256, params=_key_params(p),
                              seed=p.seed, item_id=item.item_id, turn=turn, sample_index=sample), p

    def request(self, key: str, item: BenchmarkItem, turn: int, sample: int, p: SamplingParams, tokenizer: Any,
                previous: list[str]) -> GenerationRequest:
        messages = self.benchmark.messages_for_turn(item, turn, previous)
        rendered = self.template.render_to_ids(tokenizer, messages)
        # Distinct samples of one prompt need distinct seeds; the key holds both.
        return GenerationRequest(request_id=key, prompt_token_ids=rendered.token_ids,
                                 params=replace(p, seed=p.seed + sample), prompt_text=rendered.text,
                                 messages=tuple(messages))

    def record(self, res: Any, item: BenchmarkItem, turn: int, sample: int, prompt_text: str,
               p: SamplingParams) -> GenerationRecord:
        return GenerationRecord(
            key=res.request_id, item_id=item.item_id, item_index=self.position[item.item_id], turn=turn,
            sample_index=sample, model=self.model_name, model_id=self.model_id, benchmark=self.benchmark.name,
            prompt=prompt_text, output=res.text, num_prompt_tokens=res.num_prompt_tokens,
            num_output_tokens=res.num_output_tokens, finish_reason=res.finish_reason,
            seconds=round(res.seconds, 4), params=_key_params(p), seed=p.seed, template=self.template.id,
            template_hash=self.template.sha256, backend=self.backend.name, run_config=self.config_id,
            created=time.time())


@timed("generate")
def generate(*, benchmark: Benchmark, items: Sequence[BenchmarkItem], backend: Backend, tokenizer: Any,
             template: ChatTemplate, model_name: str, model_id: str, params: SamplingParams,
             store: GenerationStore, num_samples: int = 1, temperature_overridden: bool = False,
             progress: bool = True) -> list[GenerationRecord]:
    """Generate every (item, turn, sample) not yet in ``store``; return all their records in order.
    Turn by turn: a later turn's prompt holds the stored answers of the earlier ones."""
    if num_samples < 1:
        raise HarnessError("--num-samples must be >= 1")
    ids = [it.item_id for it in items]
    if len(set(ids)) != len(ids):
        raise HarnessError(f"benchmark {benchmark.name!r} has duplicate item ids")
    stored = store.load()
    run = _GenerationRun(benchmark, backend, template, model_name, model_id, params, temperature_overridden,
                         {it.item_id: i for i, it in enumerate(items)}, run_config_id(model_id, template.sha256, params))
    max_turns = max((len(it.turns) for it in items), default=0)
    units = [(it, t, s) for t in range(max_turns) for it in items if len(it.turns) > t for s in range(num_samples)]
    prog = Progress(total=len(units), cached=sum(1 for it, t, s in units if run.key_of(it, t, s)[0] in stored))
    bar = _Bar(prog, progress, f"{benchmark.name} [{model_name}]")
    order: list[str] = []
    try:
        for turn in range(max_turns):
            requests: list[GenerationRequest] = []
            meta: dict[str, tuple[BenchmarkItem, int, str, SamplingParams]] = {}
            for item, s in ((it, s) for it in items if len(it.turns) > turn for s in range(num_samples)):
                key, p = run.key_of(item, turn, s)
                order.append(key)
                if key not in stored:
                    previous = [stored[run.key_of(item, t, s)[0]].output for t in range(turn)]
                    requests.append(run.request(key, item, turn, s, p, tokenizer, previous))
                    meta[key] = (item, s, requests[-1].prompt_text, p)
            for res in backend.generate(requests):
                item, s, prompt_text, p = meta[res.request_id]
                stored[res.request_id] = record = run.record(res, item, turn, s, prompt_text, p)
                store.append(record)
                prog.done += 1
                bar.update()
            missing = [k for k in meta if k not in stored]
            if missing:  # later turns would lack their history
                raise HarnessError(f"backend {backend.name!r} returned no result for {len(missing)} prompt(s)")
    finally:
        bar.close()
    return [stored[k] for k in order]
