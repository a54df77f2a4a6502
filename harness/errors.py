"""User-facing errors.

Any mistake a user can make (unknown model, malformed file, missing data) raises
:class:`HarnessError`; the CLI prints its message on one line and exits non-zero,
never a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class HarnessError(Exception):
    """An error caused by user input or environment, reported without a traceback."""

    exit_code: int = 2


class IncompleteError(HarnessError):
    """Work that is not finished (failed judge calls, missing judgments): exit 1, and a rerun resumes."""

    exit_code = 1


def did_you_mean(name: str, choices: Iterable[str], what: str = "name", *, where: str | None = None,
                 list_known: bool = False) -> HarnessError:
    """Build an 'unknown X' error with close-match suggestions (``where``: " in <where>" after the
    name; ``list_known``: without a close match, name the choices)."""
    choices = sorted(set(choices))
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
    if not close:
        lowered = name.lower()
        close = [c for c in choices if lowered in c.lower()][:3]
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    if not close and list_known and choices:
        hint = f" (known: {', '.join(choices[:12])}{', ...' if len(choices) > 12 else ''})"
    place = f" in {where}" if where else ""
    return HarnessError(f"unknown {what} {name!r}{place}{hint}")
