"""`simpo-harness judge-agreement`: how far another judge agrees with the published judgments.

A seeded sample of published judgments (AlpacaEval 2 annotations, Arena-Hard judgment files,
FastChat MT-Bench judgments, or a results directory's ``annotations.jsonl``) goes, input for input,
to the judge chosen with the usual judge flags (``--judge-model`` with ``--judge-base-url``, or
``--judge PRESET``, ``--serve-judge``, ``--judge-batch``) through the normal judging path: cached
under ``<results>/judge_agreement/``, resumable, priced first with ``--dry-run``. The report gives
agreement (exact and ties-collapsed), Cohen's kappa, for MT-Bench the rating correlation and
shift, the score shift per model with a bootstrap CI, and the correlation of the model rankings.
Exit 1 when some judge calls failed (the report is marked incomplete; a rerun retries only those).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.cli import options
from harness.errors import HarnessError

DEFAULT_SAMPLE = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from harness.agreement.base import supported

    parser.add_argument("--benchmark", required=True, choices=supported(), help="the judged benchmark")
    parser.add_argument("--judgments", action="append", type=Path, metavar="PATH",
                        help="published judgment files or directories holding them, or results directories "
                        "(<results>/<model>/<benchmark>); repeatable (default: $SIMPO_HARNESS_OFFICIAL_FILES and "
                        "$SIMPO_HARNESS_DATA_DIR, else ../shared beside the checkout)")
    parser.add_argument("--sample", type=int, default=DEFAULT_SAMPLE,
                        help=f"published judgments to re-judge (default {DEFAULT_SAMPLE}; all if fewer)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    parser.add_argument("--bootstrap-rounds", type=int, default=2000,
                        help="bootstrap rounds of the score-shift CIs (default 2000)")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown", help="report format")
    options.add_judge_flags(parser)
    options.add_store_flags(parser, dry_run=True)


def run(args: argparse.Namespace) -> int:
    from harness.agreement.report import to_json, to_markdown
    from harness.agreement.run import AgreementJob, estimates, prepare, run_agreement
    from harness.cli.checks import require_positive
    from harness.judges.cost import format_estimates
    from harness.pipeline.settings import EMBEDDED_JUDGE_NOTE

    require_positive(args, "sample", "bootstrap_rounds")
    if args.seed < 0:
        raise HarnessError("--seed must be >= 0")
    judge = options.judge_settings(args)
    store = options.store_settings(args)
    job = AgreementJob(benchmark=args.benchmark, sources=tuple(args.judgments or ()), sample=args.sample,
                       seed=args.seed, rounds=args.bootstrap_rounds)
    prep = prepare(job, judge, store.results_dir, store.data_dir)
    print(f"{args.benchmark}: {len(prep.units)} of {len(prep.collection.units)} published judgments sampled "
          f"(seed {args.seed}) from {len(prep.collection.files)} files; judge {prep.judge.model} @ {prep.judge.endpoint}",
          file=sys.stderr)
    if judge.embedded:
        print("note: " + EMBEDDED_JUDGE_NOTE.format(judge=judge.local_judge, key_env=judge.judge_api_key_env),
              file=sys.stderr)
    if store.dry_run:
        print("judge cost of the sample by judge preset (first calls; inputs already cached are free)")
        print(format_estimates(estimates(prep, judge, store.results_dir)))
        return 0
    report = run_agreement(prep, judge, progress=store.progress, wait=store.wait)
    print(to_json(report) if args.format == "json" else to_markdown(report), end="")
    if report["status"] == "incomplete":
        print(f"simpo-harness judge-agreement: incomplete: {report['n_failed']} judge calls failed; rerun the same "
              "command to retry only those", file=sys.stderr)
        return 1
    return 0
