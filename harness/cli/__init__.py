"""`simpo-harness` command line.

Each sub-command lives in its own module under ``harness.cli`` exposing::

    def add_arguments(parser: argparse.ArgumentParser) -> None: ...
    def run(args: argparse.Namespace) -> int: ...

Only the module of the command being run is imported, so ``--help`` and the light
commands never import torch, vllm or trl. Every command takes ``-v/--verbose``; without it the
libraries' progress bars, warnings and logs are hidden (:mod:`harness.quiet`).
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
import warnings
from collections.abc import Sequence

from harness import __version__
from harness.errors import HarnessError, did_you_mean

# command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "models": ("harness.cli.models", "List and show released models in the registry."),
    "benchmarks": ("harness.cli.benchmarks", "List and show the benchmarks (items, judge, metrics, data)."),
    "trainers": ("harness.cli.trainers", "List preference-optimization methods and their hyperparameters."),
    "table": ("harness.cli.table", "Render published (and reproduced) comparison tables."),
    "compare": ("harness.cli.compare", "Paired significance tests of models on the same items."),
    "report": ("harness.cli.report", "Write one self-contained HTML report (table, comparisons, figures, items)."),
    "generate": ("harness.cli.generate", "Decode a model on a benchmark into the generation store."),
    "judge": ("harness.cli.judge", "Judge stored generations with an LLM judge."),
    "score": ("harness.cli.score", "Score stored generations/annotations (no model or API calls)."),
    "run": ("harness.cli.run", "Generate, judge and score end to end (resumable)."),
    "study": ("harness.cli.study", "Many models x benchmarks in one command, here or on a Ray cluster."),
    "import": ("harness.cli.import_", "Import the official tools' files (AlpacaEval, arena-hard-auto, FastChat, ZeroEval)."),
    "export": ("harness.cli.export", "Export stored generations and judgments in an official tool's layout."),
    "judge-agreement": ("harness.cli.judge_agreement", "Agreement of a judge with the published judgments."),
    "train": ("harness.cli.train", "Train a checkpoint with SimPO or a baseline from a recipe."),
}


def _top_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simpo-harness",
        description="Reproduce the SimPO paper's evaluation tables and compare checkpoints.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="commands:\n" + "\n".join(f"  {name:<10} {help_}" for name, (_, help_) in COMMANDS.items())
        + "\n\nRun 'simpo-harness COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"simpo-harness {__version__}")
    parser.add_argument("command", nargs="?", help="one of the commands below")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # alpaca-eval 0.6.2 imports pkg_resources (it needs setuptools<81) and warns on every import
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    top = _top_parser()
    if not argv or argv[0].startswith("-"):
        top.parse_args(argv)  # handles --help / --version and exits
        top.print_help()
        return 2
    name, rest = argv[0], argv[1:]
    try:
        if name not in COMMANDS:
            raise did_you_mean(name, COMMANDS, what="command")
        module_name, help_ = COMMANDS[name]
        module = importlib.import_module(module_name)
        parser = argparse.ArgumentParser(prog=f"simpo-harness {name}", description=help_)
        module.add_arguments(parser)
        parser.add_argument("-v", "--verbose", action="store_true",
                            help="show the libraries' own output (their progress bars, warnings and logs)")
        args = parser.parse_args(rest)
        from harness.quiet import command_output

        with command_output(args.verbose, progress=not getattr(args, "no_progress", False)):
            return int(module.run(args) or 0)
    except HarnessError as exc:
        print(f"simpo-harness {name}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):  # e.g. `simpo-harness models list | head`
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
            return 1
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            print(f"simpo-harness {name}: error: disk full while writing {exc.filename or 'results'}; completed work "
                  "is kept, free space and rerun", file=sys.stderr)
            return 2
        if exc.filename is None:
            raise
        # a path the user gave that cannot be read or written (a directory, a missing parent, ...)
        print(f"simpo-harness {name}: error: {exc.strerror or exc}: {exc.filename}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"simpo-harness {name}: interrupted; completed work is kept and a rerun resumes.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
