"""`simpo-harness generate`: decode a model on a benchmark into the generation store (resumable)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli.checks import DTYPES, require_positive
from harness.errors import HarnessError

DEFAULT_MODEL = "smollm2-135m-instruct"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"registry name, HF repo id or local checkpoint directory (default: {DEFAULT_MODEL})")
    parser.add_argument("--benchmark", required=True, help="alpaca_eval, arena_hard, mt_bench, gsm8k, mmlu, gsm8k_lmeval")
    parser.add_argument("--backend", choices=("vllm", "transformers", "openai"),
                        help="decoding backend (default: vllm if importable and the model is not a GGUF, else transformers)")
    parser.add_argument("--limit", type=int, help="only the first N items")
    parser.add_argument("--data-dir", type=Path, help="benchmark data directory (default: the public source)")
    parser.add_argument("--results-dir", type=Path, help="results root (default: $SIMPO_HARNESS_RESULTS or results)")
    parser.add_argument("--template", help="chat template id or .jinja path (required for a local checkpoint "
                        "without simpo_harness.yaml; overrides the model config)")
    parser.add_argument("--authors-exact", action="store_true",
                        help="use the SimPO authors' exact AlpacaEval/Arena-Hard prompt strings where they differ")
    parser.add_argument("--batch-size", type=int, default=8, help="transformers batch size (default 8)")
    parser.add_argument("--num-samples", type=int, default=1, help="samples per prompt (default 1)")
    parser.add_argument("--temperature", type=float, help="override the model config's temperature (0 = greedy)")
    parser.add_argument("--top-p", type=float, help="override the model config's top_p")
    parser.add_argument("--max-new-tokens", type=int, help="override the model config's max_new_tokens")
    parser.add_argument("--seed", type=int, help="override the model config's seed")
    parser.add_argument("--alpaca-eval-062-quirk", action="store_true",
                        help="reproduce alpaca-eval 0.6.2's vLLM decoder: do_sample became beam search of "
                        "width 1 (greedy). Recorded in the manifest.")
    parser.add_argument("--dtype", default="auto", choices=DTYPES, help="model dtype (default auto)")
    parser.add_argument("--tensor-parallel-size", type=int, default=1, help="vllm: GPUs per model replica")
    parser.add_argument("--data-parallel-size", type=int, default=1, help="vllm: replicas through Ray")
    parser.add_argument("--api-base", help="openai backend: server URL, e.g. http://localhost:8000/v1")
    parser.add_argument("--api-key-env", default="OPENAI_API_KEY",
                        help="openai backend: environment variable holding the API key (never stored)")
    parser.add_argument("--openai-mode", choices=("completions", "chat"), default="completions",
                        help="openai backend: send token ids to /completions, or messages to /chat/completions")
    parser.add_argument("--concurrency", type=int, default=8, help="openai backend: parallel requests")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _backend_options(args: argparse.Namespace, backend: str, tokenizer: object) -> dict:
    if backend == "transformers":
        return {"tokenizer": tokenizer}  # already loaded; the backend would load it again
    if backend == "vllm":
        return {"tensor_parallel_size": args.tensor_parallel_size, "data_parallel_size": args.data_parallel_size}
    if backend == "openai":
        if not args.api_base:
            raise HarnessError("--api-base is required with --backend openai")
        return {"base_url": args.api_base, "api_key_env": args.api_key_env, "concurrency": args.concurrency,
                "mode": args.openai_mode}
    return {}


def run(args: argparse.Namespace) -> int:
    from harness.benchmarks import get_benchmark_class
    from harness.generation import (
        generate,
        max_new_tokens_override,
        per_item_temperatures,
        run_config_id,
        sampling_params_from,
    )
    from harness.jsonl import write_json_atomic
    from harness.manifest import base_manifest
    from harness.model_loading import (
        build_backend,
        check_results_owner,
        default_backend,
        load_tokenizer,
        resolve_model,
        stop_token_ids_for,
    )
    from harness.paths import default_results_dir
    from harness.results import RunDir
    from harness.store import GENERATION_MANIFEST, GenerationStore
    from harness.templates import get_template

    require_positive(args, "limit", "batch_size", "num_samples", "max_new_tokens", "tensor_parallel_size", "data_parallel_size", "concurrency")
    bench = get_benchmark_class(args.benchmark)()
    model = resolve_model(args.model, template=args.template)
    if not model.template:
        raise HarnessError(f"model {args.model!r} has no chat template; pass --template")
    template = get_template(model.template, benchmark=args.benchmark, authors_exact=args.authors_exact)
    items = bench.load_items(args.data_dir, args.limit)
    if not items:
        raise HarnessError(f"benchmark {args.benchmark!r} has no items")
    backend_name = args.backend or default_backend(model)
    tokenizer = load_tokenizer(model)
    params = sampling_params_from(
        model.decoding_for(args.benchmark), stop_token_ids=stop_token_ids_for(model, tokenizer),
        temperature=args.temperature, top_p=args.top_p, seed=args.seed,
        max_new_tokens=max_new_tokens_override(bench, args.max_new_tokens),
        alpaca_eval_062_beam_quirk=args.alpaca_eval_062_quirk,
    )
    run_dir = RunDir(args.results_dir or default_results_dir(), model.name, args.benchmark)
    check_results_owner(model, run_dir.path)
    run_dir.ensure()
    manifest = base_manifest(
        command="generate", model=model.name, model_id=model.model_id, model_source=model.source,
        revision=model.revision, benchmark=args.benchmark, backend=backend_name, template=template.id,
        template_hash=template.sha256, authors_exact=args.authors_exact, params=params.to_dict(),
        seed=params.seed, alpaca_eval_062_beam_quirk=args.alpaca_eval_062_quirk, num_samples=args.num_samples,
        n_items=len(items), limit=args.limit, run_config=run_config_id(model.model_id, template.sha256, params),
        per_item_temperatures=per_item_temperatures(items, params, args.temperature is not None),
    )
    write_json_atomic(run_dir.path / GENERATION_MANIFEST, manifest)
    store = GenerationStore(run_dir.generations)
    before = len(store.load())
    backend = build_backend(backend_name, model, batch_size=args.batch_size, dtype=args.dtype,
                            **_backend_options(args, backend_name, tokenizer))
    try:
        records = generate(benchmark=bench, items=items, backend=backend, tokenizer=tokenizer, template=template,
                           model_name=model.name, model_id=model.model_id, params=params, store=store,
                           num_samples=args.num_samples, temperature_overridden=args.temperature is not None,
                           progress=not args.no_progress)
    finally:
        backend.close()
    new = len(store.load()) - before
    print(f"{len(records)} generations ({new} new, {len(records) - new} cached) -> {run_dir.generations}")
    return 0
