"""Shared checks of numeric command-line options, so a bad value is one error line before any work."""

from __future__ import annotations

import argparse

from harness.errors import HarnessError

DTYPES = ("auto", "float32", "bfloat16", "float16")


def positive_int(text: str) -> int:
    """argparse ``type=`` for counts that must be >= 1 (the bench scripts' options)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def require_positive(args: argparse.Namespace, *options: str) -> None:
    """Each named option (``dest`` spelling), when given, must be >= 1."""
    for dest in options:
        value = getattr(args, dest, None)
        if value is not None and value < 1:
            raise HarnessError(f"--{dest.replace('_', '-')} must be >= 1, got {value}")


