"""The flags every command shares, declared once, and their typed settings.

``generate``, ``run`` and ``study`` take the model/generation group and every backend's options
(derived from each backend's ``Options`` model); ``judge``, ``run``, ``study`` and
``judge-agreement`` take the judge group (``--judge PRESET``, ``--serve-judge``, ``--judge-batch``,
all ``--judge-*``, plus ``--local-judge`` and ``--reference-model``), checked for contradictions by
:func:`check_judge_settings`; every command that touches results takes the store group.
"""

from __future__ import annotations

import argparse
import os
import typing
from pathlib import Path
from typing import Any

from harness.cli.checks import require_positive
from harness.errors import HarnessError
from harness.pipeline.settings import DEFAULT_MODEL, GenerationSettings, JudgeSettings, StoreSettings


def add_model_flag(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    if required:
        parser.add_argument("--model", required=True, help="model name (as its results are stored) or checkpoint dir")
    else:
        parser.add_argument("--model", default=DEFAULT_MODEL, help="registry name, HF repo id or local checkpoint "
                            f"directory (default: {DEFAULT_MODEL}, the embedded default)")


def add_benchmark_flags(parser: argparse.ArgumentParser, *, multi: bool, default: str | None = None) -> None:
    from harness.benchmarks import names

    listed = ", ".join(names())
    if multi:
        parser.add_argument("--benchmarks", help=f"comma-separated, from: {listed}"
                            + (f" (default: {default})" if default else ""))
        parser.add_argument("--benchmark", dest="benchmarks_single", help="a single benchmark (same as --benchmarks B)")
    else:
        parser.add_argument("--benchmark", required=True, help=f"one of: {listed}")


def benchmark_names(args: argparse.Namespace, default: str) -> list[str]:
    """The benchmarks of ``--benchmarks``/``--benchmark``, checked (did-you-mean) before any work."""
    from harness.benchmarks import get_spec

    if getattr(args, "benchmarks_single", None) and args.benchmarks:
        raise HarnessError("give either --benchmarks or --benchmark, not both")
    raw = getattr(args, "benchmarks_single", None) or args.benchmarks or default
    found = [b.strip() for b in raw.split(",") if b.strip()]
    if not found:
        raise HarnessError("--benchmarks needs at least one benchmark")
    for name in found:
        get_spec(name)
    return list(dict.fromkeys(found))


def _argparse_type(annotation: Any) -> dict[str, Any]:
    base = annotation
    if typing.get_origin(annotation) is not typing.Literal and typing.get_args(annotation):  # X | None
        base = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(base) is typing.Literal:
        return {"choices": typing.get_args(base)}
    if base in (int, float):
        return {"type": base}
    return {"type": str}


def add_generation_flags(parser: argparse.ArgumentParser) -> None:
    from harness.backends import BACKENDS, flag_of, option_fields

    g = parser.add_argument_group("generation")
    g.add_argument("--backend", choices=tuple(BACKENDS),
                   help="decoding backend (default: vllm if importable and the model is not a GGUF, else transformers)")
    g.add_argument("--template", help="chat template id or .jinja path (required for a local checkpoint without "
                   "simpo_harness.yaml; overrides the model config)")
    g.add_argument("--authors-exact", action="store_true",
                   help="the SimPO authors' exact AlpacaEval/Arena-Hard prompt strings where they differ")
    g.add_argument("--limit", type=int, help="only the first N items of each benchmark")
    g.add_argument("--num-samples", type=int, default=1, help="samples per prompt (default 1)")
    g.add_argument("--temperature", type=float, help="override the model config's temperature (0 = greedy)")
    g.add_argument("--top-p", type=float, help="override the model config's top_p")
    g.add_argument("--max-new-tokens", type=int, help="override the model config's max_new_tokens")
    g.add_argument("--seed", type=int, help="override the model config's seed")
    g.add_argument("--alpaca-eval-062-quirk", action="store_true",
                   help="reproduce alpaca-eval 0.6.2's vLLM decoder: do_sample became beam search of width 1 "
                   "(greedy); recorded in the manifest")
    b = parser.add_argument_group("backend options (each applies to the backends named in its help)")
    for name, (info, owners) in option_fields().items():
        b.add_argument(flag_of(name, info), dest=f"backend_{name}", default=None, metavar=name.upper(),
                       **_argparse_type(info.annotation),
                       help=f"[{'/'.join(owners)}] {info.description or ''}")


def generation_settings(args: argparse.Namespace) -> GenerationSettings:
    from harness.backends import build_options, default_backend, option_fields

    require_positive(args, "limit", "num_samples", "max_new_tokens")
    given = {name: getattr(args, f"backend_{name}", None) for name in option_fields()}
    settings = GenerationSettings(
        backend=args.backend, backend_options=given, template=args.template, authors_exact=args.authors_exact,
        limit=args.limit, num_samples=args.num_samples, temperature=args.temperature, top_p=args.top_p,
        max_new_tokens=args.max_new_tokens, seed=args.seed, alpaca_eval_062_quirk=args.alpaca_eval_062_quirk)
    build_options(args.backend or default_backend(), given)  # a bad option fails now, before any work
    return settings


def _preset_names() -> str:
    from harness.judges.presets import PRESETS_DIR

    return ", ".join(sorted(p.stem for p in PRESETS_DIR.glob("*.yaml")))  # names only: nothing parsed for --help


def add_judge_flags(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("judge")
    g.add_argument("--judge", dest="judge_preset", metavar="PRESET",
                   help="judge preset: a name, NAME@VERSION or a preset .yaml; fixes the judge model, decoding and "
                   f"pinned prompts, recorded with its hash in every manifest (shipped: {_preset_names()})")
    g.add_argument("--serve-judge", action="store_true",
                   help="start vLLM's OpenAI-compatible server on 127.0.0.1 for the open --judge preset for this "
                   "command (stopped at the end); needs vLLM installed")
    g.add_argument("--judge-batch", action="store_true",
                   help="send the uncached judge requests of each job through OpenAI's Batch API as one batch (about "
                   "half the price, results within 24 h); the batch id is stored in the results directory first, "
                   "so a killed command run again resumes waiting instead of paying again")
    g.add_argument("--judge-batch-poll", type=float, default=30.0,
                   help="seconds between polls of a submitted judge batch (default 30)")
    g.add_argument("--judge-model", help="judge model id (default: the preset's, else each benchmark's official judge)")
    g.add_argument("--judge-base-url", help="OpenAI-compatible judge endpoint, e.g. http://127.0.0.1:8000/v1 "
                   "(default: api.openai.com when the API key is set, else the embedded local judge)")
    g.add_argument("--judge-api-key-env", default="OPENAI_API_KEY",
                   help="environment variable holding the judge API key (never stored; default OPENAI_API_KEY)")
    g.add_argument("--local-judge", default=DEFAULT_MODEL,
                   help=f"registry model served as the embedded local judge (default: {DEFAULT_MODEL})")
    g.add_argument("--reference-model", help="MT-Bench reference answers to grade against, by model name "
                   "(default: the preset's, else the judge's, as FastChat; gpt-4 for the embedded local judge)")
    g.add_argument("--judge-concurrency", type=int, default=16, help="parallel judge requests (default 16)")
    g.add_argument("--judge-max-retries", type=int, default=8,
                   help="retries per judge request on 429/5xx/timeouts/malformed answers (default 8)")
    g.add_argument("--judge-timeout", type=float, default=120.0, help="seconds per judge request (default 120)")
    g.add_argument("--judge-backoff", type=float, default=1.0,
                   help="initial retry backoff in seconds, doubled per attempt (default 1)")


def judge_settings(args: argparse.Namespace) -> JudgeSettings:
    require_positive(args, "judge_concurrency")
    if args.judge_max_retries < 0:
        raise HarnessError("--judge-max-retries must be >= 0")
    if args.judge_timeout <= 0 or args.judge_backoff < 0:
        raise HarnessError("--judge-timeout must be > 0 and --judge-backoff >= 0")
    if getattr(args, "judge_batch_poll", 30.0) <= 0:
        raise HarnessError("--judge-batch-poll must be > 0")
    settings = JudgeSettings(
        judge_model=args.judge_model, judge_base_url=args.judge_base_url, judge_api_key_env=args.judge_api_key_env,
        local_judge=args.local_judge, reference_model=args.reference_model, concurrency=args.judge_concurrency,
        max_retries=args.judge_max_retries, timeout=args.judge_timeout, backoff=args.judge_backoff,
        judge_preset=getattr(args, "judge_preset", None), serve_judge=getattr(args, "serve_judge", False),
        batch=getattr(args, "judge_batch", False), batch_poll_s=getattr(args, "judge_batch_poll", 30.0))
    check_judge_settings(settings, live=not getattr(args, "dry_run", False))
    return settings


def check_judge_settings(s: JudgeSettings, *, live: bool = True) -> None:
    """Contradictory judge flags fail now, as one line, before any generation or judging (``live``
    False, a dry run: what only judging itself needs, vLLM or an API key, is not required)."""
    preset = s.preset  # an unknown preset name is a did-you-mean error here
    if s.judge_base_url is not None and not s.judge_base_url.startswith(("http://", "https://")):
        raise HarnessError(f"--judge-base-url {s.judge_base_url!r} is not an http(s) URL "
                           "(e.g. http://127.0.0.1:8000/v1)")
    if live and s.embedded and s.judge_model and s.judge_model != s.local_judge:
        raise HarnessError(f"--judge-model {s.judge_model} needs ${s.judge_api_key_env} or --judge-base-url; without "
                           f"them the embedded local judge ({s.local_judge}) judges, chosen with --local-judge")
    if s.serve_judge:
        if preset is None:
            raise HarnessError("--serve-judge needs --judge PRESET (an open-model preset, e.g. llama-3.1-70b-instruct)")
        if s.judge_base_url:
            raise HarnessError("give --serve-judge or --judge-base-url, not both (--serve-judge starts its own server)")
        from harness.judges.serve import require_vllm, server_command

        server_command(preset, 0)  # an OpenAI preset cannot be served: says so
        if live:  # a dry run plans a GPU job from anywhere
            require_vllm(preset)
    if preset is not None:
        if s.judge_model and s.judge_model != preset.model:
            raise HarnessError(f"--judge {preset.name} sends the model id {preset.model!r}; --judge-model "
                               f"{s.judge_model!r} contradicts it (drop one of the two)")
        if preset.serving.kind == "vllm" and not s.serve_judge and not s.judge_base_url:
            raise HarnessError(f"judge preset {preset.name!r} is an open model served by vLLM: pass --serve-judge "
                               "to start it here, or --judge-base-url URL of the server that serves it")
        if live and preset.serving.kind == "openai" and not s.judge_base_url and not os.environ.get(s.judge_api_key_env):
            raise HarnessError(f"judge preset {preset.name!r} is served by OpenAI: set ${s.judge_api_key_env} (keys "
                               "are read from the environment only) or pass --judge-base-url")
    if s.batch:
        if s.serve_judge or (preset is not None and preset.serving.kind != "openai"):
            raise HarnessError("--judge-batch is OpenAI's Batch API; a self-hosted (vLLM) judge has no batch endpoint")
        if s.embedded:
            raise HarnessError(f"--judge-batch needs OpenAI's Batch API: set ${s.judge_api_key_env} (or pass "
                               "--judge-base-url of a server with the files and batches endpoints)")


def add_store_flags(parser: argparse.ArgumentParser, *, incomplete: bool = False, dry_run: bool = False) -> None:
    g = parser.add_argument_group("results and data")
    g.add_argument("--results-dir", type=Path, help="results root (default: $SIMPO_HARNESS_RESULTS or results)")
    g.add_argument("--data-dir", type=Path, help="benchmark data directory, one subfolder per benchmark "
                   "(see `simpo-harness benchmarks list`; default: the public sources)")
    g.add_argument("--wait", action="store_true",
                   help="wait for another process working on the same results directory instead of stopping")
    g.add_argument("--no-progress", action="store_true", help="no progress bars")
    if incomplete:
        g.add_argument("--allow-incomplete", action="store_true",
                       help="exit 0 even when a score is incomplete (it is still marked incomplete)")
    if dry_run:
        g.add_argument("--dry-run", action="store_true", help="print the plan (counts, cached, cost) and stop")


def store_settings(args: argparse.Namespace) -> StoreSettings:
    from harness.paths import default_results_dir

    return StoreSettings(results_dir=args.results_dir or default_results_dir(), data_dir=args.data_dir,
                         progress=not args.no_progress, wait=args.wait,
                         allow_incomplete=getattr(args, "allow_incomplete", False),
                         dry_run=getattr(args, "dry_run", False))


def print_or_write(text: str, output: Path | None) -> int:
    """A rendered result to stdout, or atomically to ``--output`` (then one 'wrote' line)."""
    if output is None:
        print(text, end="")
        return 0
    from harness.store.jsonl import write_text_atomic

    write_text_atomic(output, text)
    print(f"wrote {output}")
    return 0
