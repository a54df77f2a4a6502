"""Batched, left-padded decoding with transformers: the CPU fallback and the reference for vLLM.

Greedy requests are batched (sorted by length to limit padding). Sampled requests are
decoded one at a time under their own seed, so a sample does not depend on which other
requests shared its batch (transformers has no per-row generator).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from harness.backends.base import Backend, BackendOptions, GenerationRequest, GenerationResult, SamplingParams
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.model_loading import ResolvedModel

Dtype = Literal["auto", "float32", "bfloat16", "float16"]


class TransformersOptions(BackendOptions):
    batch_size: int = Field(8, ge=1, description="prompts decoded together (default 8)")
    dtype: Dtype = Field("auto", description="model dtype (default auto: on CPU the model config's cpu_dtype, "
                         "float32 unless it says otherwise)")


def cpu_dtype(model: ResolvedModel | None) -> str:
    """The dtype ``auto`` means on a CPU for ``model``: its registry config's ``cpu_dtype``, else float32."""
    return getattr(getattr(model, "config", None), "cpu_dtype", None) or "float32"


def resolved_dtype(dtype: str, device: str, model: ResolvedModel | None = None) -> str:
    """``--dtype`` as a name: ``auto`` is :func:`cpu_dtype` on CPU and the checkpoint's own dtype elsewhere."""
    if dtype == "auto":
        return "auto" if device != "cpu" else cpu_dtype(model)
    return dtype


def _torch_dtype(dtype: str, device: str, model: ResolvedModel | None = None) -> Any:
    import torch

    name = resolved_dtype(dtype, device, model)
    return name if name == "auto" else getattr(torch, name)


class TransformersBackend(Backend):
    name: ClassVar[str] = "transformers"
    Options: ClassVar[type[BackendOptions]] = TransformersOptions

    @classmethod
    def create(cls, model: ResolvedModel, options: BackendOptions, *, tokenizer: Any = None) -> TransformersBackend:
        """The backend on the process's shared copy of the model (:func:`harness.model_loading.load_causal_lm`),
        so the embedded local judge that follows reuses the weights instead of loading them again."""
        import torch

        from harness.model_loading import hf_kwargs, load_causal_lm, load_tokenizer

        assert isinstance(options, TransformersOptions)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        return cls(model.source, batch_size=options.batch_size, dtype=options.dtype, device=device,
                   tokenizer=tokenizer or load_tokenizer(model),
                   model=load_causal_lm(model, dtype=_torch_dtype(options.dtype, device, model), device=device),
                   **hf_kwargs(model))

    @classmethod
    def manifest_options(cls, model: ResolvedModel, options: BackendOptions) -> dict[str, Any]:
        """The options and the dtype they mean on a CPU (on a GPU ``auto`` is the checkpoint's own
        dtype). No torch import: a rerun with nothing to decode stays light."""
        assert isinstance(options, TransformersOptions)
        return {**options.model_dump(mode="json"), "dtype_on_cpu": resolved_dtype(options.dtype, "cpu", model)}

    def __init__(self, model_path: str, *, batch_size: int = 8, dtype: str = "auto", device: str | None = None,
                 revision: str | None = None, trust_remote_code: bool = False, gguf_file: str | None = None,
                 local_files_only: bool = False, model: Any = None, tokenizer: Any = None) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if batch_size < 1:
            raise HarnessError("--batch-size must be >= 1")
        self.batch_size = batch_size
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        kw: dict[str, Any] = {"trust_remote_code": trust_remote_code, "local_files_only": local_files_only}
        if revision:
            kw["revision"] = revision
        if gguf_file:
            kw["gguf_file"] = gguf_file
        torch_dtype = _torch_dtype(dtype, self.device)
        try:
            self.tokenizer = tokenizer or AutoTokenizer.from_pretrained(model_path, **kw)
            self.model = model or AutoModelForCausalLM.from_pretrained(model_path, dtype=torch_dtype, **kw)
        except OSError as exc:
            raise HarnessError(f"cannot load model {model_path}: {str(exc).splitlines()[0]}") from None
        self.model.to(self.device).eval()
        pad = self.tokenizer.pad_token_id
        if pad is None:
            pad = self.tokenizer.eos_token_id if self.tokenizer.eos_token_id is not None else 0
        self.pad_token_id = int(pad)

    # -- decoding ---------------------------------------------------------------------------------
    def _generation_config(self, params: SamplingParams) -> Any:
        from transformers import GenerationConfig

        greedy = params.greedy
        eos = list(params.stop_token_ids) or None
        cfg = GenerationConfig(
            max_new_tokens=params.max_new_tokens, do_sample=not greedy, num_beams=1,
            eos_token_id=eos, pad_token_id=self.pad_token_id,
            temperature=None if greedy else params.temperature, top_p=None if greedy else params.top_p,
            top_k=None,
        )
        return cfg

    def _run_batch(self, batch: list[GenerationRequest]) -> list[GenerationResult]:
        import torch

        params = batch[0].params
        start = time.perf_counter()
        width = max(len(r.prompt_token_ids) for r in batch)
        ids = torch.full((len(batch), width), self.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for i, r in enumerate(batch):
            n = len(r.prompt_token_ids)
            ids[i, width - n:] = torch.tensor(r.prompt_token_ids, dtype=torch.long)
            mask[i, width - n:] = 1
        if not params.greedy:
            torch.manual_seed(params.seed)
        with torch.inference_mode():
            out = self.model.generate(input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                                      generation_config=self._generation_config(params))
        elapsed = time.perf_counter() - start
        stops = set(params.stop_token_ids)
        results = []
        for i, r in enumerate(batch):
            new = out[i, width:].tolist()
            finish, cut, n_out = "length", len(new), len(new)
            for j, tok in enumerate(new):
                if tok in stops:
                    finish, cut, n_out = "stop", j, j + 1  # like vLLM, the stop token is counted
                    break
            tokens = new[:cut]
            text = self.tokenizer.decode(tokens, skip_special_tokens=True)
            results.append(GenerationResult(
                request_id=r.request_id, text=text, num_prompt_tokens=len(r.prompt_token_ids),
                num_output_tokens=n_out, finish_reason=finish, seconds=elapsed,
                extra={"token_ids": tokens, "batch_size": len(batch)},
            ))
        return results

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        groups: dict[SamplingParams, list[GenerationRequest]] = {}
        for r in requests:
            # Greedy output does not depend on the seed: batch those requests together.
            key = replace(r.params, seed=0) if r.params.greedy else r.params
            groups.setdefault(key, []).append(r)
        for params, reqs in groups.items():
            if not params.greedy:
                for r in reqs:  # one at a time, each under its own seed
                    yield from self._run_batch([r])
                continue
            reqs = sorted(reqs, key=lambda r: -len(r.prompt_token_ids))
            for i in range(0, len(reqs), self.batch_size):
                yield from self._run_batch(reqs[i: i + self.batch_size])

    def close(self) -> None:
        self.model = None
