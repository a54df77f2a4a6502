"""Decoding throughput: our backends vs the raw library calls, printed as ratios from one run.

    python bench/decode.py                       # tiny random Llama built on the fly
    python bench/decode.py --model DIR --template llama3 --n-prompts 128 --max-new-tokens 128

* transformers: our batched, left-padded backend vs one-prompt-at-a-time ``model.generate``.
* vllm (where it imports): our ``VLLMBackend`` (token-id prompts, chunked) vs a raw
  ``vllm.LLM.generate`` on the same token ids and the same engine.
tokens/s counts generated tokens (prompt tokens excluded). Greedy, fp32 on CPU.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from harness.backends.base import GenerationRequest, SamplingParams  # noqa: E402
from harness.model_loading import resolve_model, stop_token_ids_for  # noqa: E402
from harness.templates import get_template  # noqa: E402

TOPICS = ["water", "numbers", "a small town", "python code", "the best plan", "a poem", "old books", "time"]


def _prompts(n: int) -> list[list[dict[str, str]]]:
    return [[{"role": "user", "content": f"question {i}: " + " and ".join(TOPICS[: 1 + i % len(TOPICS)]) * (1 + i % 3)
              + "?"}] for i in range(n)]


def _tps(tokens: int, seconds: float) -> float:
    return tokens / seconds if seconds > 0 else float("nan")


def bench_transformers(model, tok, reqs, batch_size: int) -> tuple[float, float]:
    import torch

    from harness.backends.transformers_backend import TransformersBackend

    backend = TransformersBackend(model.source, batch_size=batch_size, dtype="float32",
                                  local_files_only=model.local_files_only, gguf_file=model.gguf_file)
    list(backend.generate(reqs[:2]))  # warm-up
    t0 = time.perf_counter()
    ours = sum(r.num_output_tokens for r in backend.generate(reqs))
    t_ours = time.perf_counter() - t0
    gen_cfg = backend._generation_config(reqs[0].params)
    t0 = time.perf_counter()
    base = 0
    with torch.inference_mode():
        for r in reqs:
            ids = torch.tensor([r.prompt_token_ids])
            out = backend.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), generation_config=gen_cfg)
            new = out[0, ids.shape[1]:].tolist()
            stops = [i for i, t in enumerate(new) if t in r.params.stop_token_ids]
            base += stops[0] + 1 if stops else len(new)
    t_base = time.perf_counter() - t0
    return _tps(ours, t_ours), _tps(base, t_base)


def bench_vllm(model, reqs) -> tuple[float, float]:
    from vllm.inputs import TokensPrompt

    from harness.backends.vllm_backend import VLLMBackend, to_vllm_sampling_params

    backend = VLLMBackend(model.weights_path, tokenizer=model.source, dtype="float32", max_model_len=2048)
    list(backend.generate(reqs[:2]))  # warm-up
    t0 = time.perf_counter()
    ours = sum(r.num_output_tokens for r in backend.generate(reqs))
    t_ours = time.perf_counter() - t0
    llm = backend.engines[0].llm
    t0 = time.perf_counter()
    outs = llm.generate([TokensPrompt(prompt_token_ids=list(r.prompt_token_ids)) for r in reqs],
                        to_vllm_sampling_params(reqs[0].params), use_tqdm=False)
    raw = sum(len(o.outputs[0].token_ids) for o in outs)
    t_raw = time.perf_counter() - t0
    backend.close()
    return _tps(ours, t_ours), _tps(raw, t_raw)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="model name or checkpoint dir (default: a tiny random Llama)")
    ap.add_argument("--template", default=None)
    ap.add_argument("--n-prompts", type=int, default=32)
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--skip-vllm", action="store_true")
    args = ap.parse_args()

    if args.model is None:
        from tests.helpers.tiny_model import build_tiny_llama

        args.model = str(build_tiny_llama(Path(tempfile.mkdtemp()) / "tiny-llama"))
        args.template = args.template or "llama3"
    model = resolve_model(args.model, template=args.template)
    from harness.model_loading import load_tokenizer

    tok = load_tokenizer(model)
    tpl = get_template(model.template)
    params = SamplingParams(max_new_tokens=args.max_new_tokens, stop_token_ids=stop_token_ids_for(model, tok))
    reqs = [GenerationRequest(f"r{i}", tpl.render_to_ids(tok, m).token_ids, params)
            for i, m in enumerate(_prompts(args.n_prompts))]
    print(f"model={model.name} prompts={len(reqs)} max_new_tokens={args.max_new_tokens} "
          f"batch_size={args.batch_size}")
    ours, base = bench_transformers(model, tok, reqs, args.batch_size)
    print(f"transformers: ours {ours:.1f} tok/s | one-at-a-time generate {base:.1f} tok/s | ratio {ours / base:.2f}x")
    if args.skip_vllm or importlib.util.find_spec("vllm") is None:
        print("vllm: not importable here (skipped)")
        return 0
    ours, raw = bench_vllm(model, reqs)
    print(f"vllm: ours {ours:.1f} tok/s | raw LLM.generate {raw:.1f} tok/s | ratio {ours / raw:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
