"""Quiet by default: the harness draws one progress bar per stage; libraries draw nothing.

Without ``-v/--verbose`` a command shows no third-party progress bars (transformers' "Loading
weights", the GGUF "Converting and de-quantizing" bar, datasets' map bars, checkpoint "Writing
model shards"), no third-party warnings (deprecations, FutureWarnings, UserWarnings) and no
library log lines below ERROR. ``-v`` leaves all of them as the libraries print them.

Two layers, because libraries read their switches at different times:

- :func:`command_output` wraps a whole CLI command: it sets the libraries' environment switches
  (read when they are first imported, which in a command is after this point) and the warning
  filters, and restores both afterwards (tests run many commands in one process).
- :func:`quiet_libraries` wraps the calls that draw bars (model and checkpoint loading and
  saving): it turns the bars of already-imported libraries off and sends whatever they still
  write to ``sys.stderr`` nowhere, unless verbose. The harness's own bars hold their stream
  from before, so they keep drawing.

Importing this module imports nothing heavy.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from collections.abc import Callable, Iterator

VERBOSE_ENV = "SIMPO_HARNESS_VERBOSE"
# environment switches of the libraries the harness drives, as (name, value when quiet)
LIBRARY_SWITCHES: tuple[tuple[str, str], ...] = (
    ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),  # huggingface_hub, and transformers' own bars
    ("HF_DATASETS_DISABLE_PROGRESS_BARS", "1"),
    ("TRANSFORMERS_VERBOSITY", "error"),
    ("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1"),
    ("DATASETS_VERBOSITY", "error"),
)
OWN_MODULES = r"(harness|trainers|bench|tests)(\.|$)"


def is_verbose() -> bool:
    """Whether library output is wanted (``-v``; inherited by subprocesses through the environment)."""
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


def quiet_warnings() -> None:
    """Hide warnings raised outside the harness (call inside ``warnings.catch_warnings``)."""
    warnings.filterwarnings("ignore")
    warnings.filterwarnings("default", module=OWN_MODULES)


@contextlib.contextmanager
def command_output(verbose: bool, progress: bool = True) -> Iterator[None]:
    """Library output for one command: none unless ``verbose``; ``progress=False`` (--no-progress)
    also turns every tqdm bar off, the harness's included."""
    switches = dict(LIBRARY_SWITCHES) if not verbose else {}
    switches[VERBOSE_ENV] = "1" if verbose else ""
    if not progress:
        switches.update(TQDM_DISABLE="1", HF_HUB_DISABLE_PROGRESS_BARS="1", HF_DATASETS_DISABLE_PROGRESS_BARS="1")
    saved = {n: os.environ.get(n) for n in switches}
    os.environ.update(switches)
    try:
        with warnings.catch_warnings():
            if not verbose:
                quiet_warnings()
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# (module, "is it on?", "turn on", "turn off") of the bar switches of libraries already imported
_BAR_SWITCHES = (
    ("transformers.utils.logging", "is_progress_bar_enabled", "enable_progress_bar", "disable_progress_bar"),
    ("datasets.utils.logging", "is_progress_bar_enabled", "enable_progress_bar", "disable_progress_bar"),
)


def _disable_library_bars() -> list[Callable[[], object]]:
    """Turn off the bars of imported libraries that draw them; returns the calls that turn them back on."""
    undo: list[Callable[[], object]] = []
    for name, is_on, on, off in _BAR_SWITCHES:
        module = sys.modules.get(name)
        if module is not None and all(hasattr(module, a) for a in (is_on, on, off)) and getattr(module, is_on)():
            getattr(module, off)()
            undo.append(getattr(module, on))
    return undo


@contextlib.contextmanager
def quiet_libraries() -> Iterator[None]:
    """Silence the library calls inside (bars, warnings, stderr prints) unless verbose."""
    if is_verbose():
        yield
        return
    undo = _disable_library_bars()
    logging_module = sys.modules.get("transformers.utils.logging")
    level = logging_module.get_verbosity() if logging_module is not None else None
    if logging_module is not None:
        logging_module.set_verbosity_error()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            quiet_warnings()
            yield
    finally:
        for restore in undo:
            restore()
        if logging_module is not None and level is not None:
            logging_module.set_verbosity(level)
