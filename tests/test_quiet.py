"""Quiet by default: library bars, warnings and logs are hidden unless -v; the harness's own are not."""

from __future__ import annotations

import os
import sys
import warnings

import pytest

from harness.quiet import VERBOSE_ENV, command_output, is_verbose, quiet_libraries


def _warn_from(module_name: str, message: str) -> None:
    """Raise a warning attributed to ``module_name`` (as a library's own call would be)."""
    code = compile(f"import warnings\nwarnings.warn({message!r}, FutureWarning)", module_name, "exec")
    exec(code, {"__name__": module_name})  # noqa: S102 - a fixed snippet


def test_quiet_command_hides_library_warnings_keeps_the_harness_ones_and_restores(monkeypatch):
    monkeypatch.delenv("TRANSFORMERS_VERBOSITY", raising=False)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with command_output(verbose=False):
            assert os.environ["TRANSFORMERS_VERBOSITY"] == "error" and not is_verbose()
            _warn_from("somelib.module", "library deprecation")
            _warn_from("harness.something", "our own warning")
        assert "TRANSFORMERS_VERBOSITY" not in os.environ  # restored
        _warn_from("somelib.module", "after the command")
    assert [str(w.message) for w in seen] == ["our own warning", "after the command"]


def test_verbose_command_shows_everything(monkeypatch):
    monkeypatch.delenv("TRANSFORMERS_VERBOSITY", raising=False)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with command_output(verbose=True):
            assert is_verbose() and "TRANSFORMERS_VERBOSITY" not in os.environ
            _warn_from("somelib.module", "library deprecation")
    assert [str(w.message) for w in seen] == ["library deprecation"]
    assert not is_verbose()


def test_no_progress_turns_every_bar_off_and_back(monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    with command_output(verbose=False, progress=False):
        assert os.environ["TQDM_DISABLE"] == "1"
    assert "TQDM_DISABLE" not in os.environ


def test_quiet_libraries_swallows_library_stderr_unless_verbose(monkeypatch, capsys):
    from tqdm import tqdm

    own = tqdm(total=2, desc="harness stage", file=sys.stderr, disable=False)  # created before: keeps its stream
    monkeypatch.delenv(VERBOSE_ENV, raising=False)
    with quiet_libraries():
        for _ in tqdm(range(3), desc="Loading weights"):  # a library's bar (stream resolved now)
            pass
        print("library chatter", file=sys.stderr)
        warnings.warn("library warning", UserWarning, stacklevel=1)
        own.update(1)
    own.close()
    err = capsys.readouterr().err
    assert "Loading weights" not in err and "library chatter" not in err and "library warning" not in err
    assert "harness stage" in err
    monkeypatch.setenv(VERBOSE_ENV, "1")
    with quiet_libraries():
        print("library chatter", file=sys.stderr)
    assert "library chatter" in capsys.readouterr().err


def test_quiet_libraries_restores_transformers_bars_and_verbosity(monkeypatch):
    logging = pytest.importorskip("transformers.utils.logging")
    monkeypatch.delenv(VERBOSE_ENV, raising=False)
    logging.enable_progress_bar()
    level = logging.get_verbosity()
    with quiet_libraries():
        assert not logging.is_progress_bar_enabled() and logging.get_verbosity() == logging.ERROR
    assert logging.is_progress_bar_enabled() and logging.get_verbosity() == level
