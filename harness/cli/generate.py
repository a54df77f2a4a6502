"""`simpo-harness generate`: decode a model on a benchmark into the generation store (resumable)."""

from __future__ import annotations

import argparse

from harness.cli import options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    options.add_model_flag(parser)
    options.add_benchmark_flags(parser, multi=False)
    options.add_generation_flags(parser)
    options.add_store_flags(parser)


def run(args: argparse.Namespace) -> int:
    from harness.pipeline.jobs import ModelSession
    from harness.pipeline.runner import run_job

    gen = options.generation_settings(args)
    store = options.store_settings(args)
    session = ModelSession(args.model, store, gen.template)
    job = session.job(args.benchmark, gen)
    outcome = run_job(job, session, None, gen, store, stages=("generate",), command="generate").generation
    assert outcome is not None
    print(f"{outcome.total} generations ({outcome.new} new, {outcome.total - outcome.new} cached) -> "
          f"{job.run_dir.generations}")
    return 0
