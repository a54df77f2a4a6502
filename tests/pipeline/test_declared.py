"""A benchmark and a backend defined only in tests go through generate -> judge -> score -> table with no
product file touched: each declares itself in one place (its spec / its Options and create)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import pytest
from pydantic import Field

import harness.backends as backends
from harness.backends.base import Backend, BackendOptions, GenerationRequest, GenerationResult
from harness.cli import main
from harness.judges.local_server import LocalJudgeServer, Reply
from tests.helpers.tiny_model import build_tiny_llama


class ToyOptions(BackendOptions):
    toy_answer: str = Field("forty-two", description="what the toy backend answers")


class ToyBackend(Backend):
    name: ClassVar[str] = "toy"
    Options: ClassVar[type[BackendOptions]] = ToyOptions

    @classmethod
    def create(cls, model: Any, options: BackendOptions, *, tokenizer: Any = None) -> ToyBackend:
        assert isinstance(options, ToyOptions)
        return cls(options.toy_answer)

    def __init__(self, answer: str) -> None:
        self.answer = answer

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        for req in requests:
            yield GenerationResult(request_id=req.request_id, text=f"{self.answer} ({len(req.prompt_token_ids)})",
                                   num_prompt_tokens=len(req.prompt_token_ids), num_output_tokens=2,
                                   finish_reason="stop", seconds=0.0)


@pytest.fixture()
def toy_backend():
    saved = dict(backends.BACKENDS)
    backends.register("toy", ToyBackend)
    yield
    backends.BACKENDS.clear()
    backends.BACKENDS.update(saved)


def test_toy_benchmark_and_backend_end_to_end(toy, toy_backend, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = build_tiny_llama(tmp_path / "tiny")
    results = tmp_path / "results"
    common = ["--benchmark", "toy", "--results-dir", str(results), "--no-progress"]
    assert "--toy-answer" in _help("generate") and "--toy-answer" in _help("run")  # flags derived from Options
    assert main(["generate", "--model", str(model), "--template", "llama3", "--backend", "toy",
                 "--toy-answer", "seven", *common]) == 0
    with LocalJudgeServer(lambda body: Reply(content="Clear. [[7]]")) as judge:
        assert main(["judge", "--model", "tiny", "--judge-base-url", judge.base_url, *common]) == 0
        assert judge.request_count == 6
    assert main(["score", "--model", "tiny", *common]) == 0
    scores = json.loads((results / "tiny" / "toy" / "scores.json").read_text())
    assert scores["metrics"] == {"toy_score": 7.0} and scores["status"] == "complete"
    capsys.readouterr()
    assert main(["table", "--models", "tiny", "--results-dir", str(results)]) == 0
    table = capsys.readouterr().out
    assert "Toy (repro)" in table and "7.00" in table
    assert main(["benchmarks", "show", "toy", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"][0]["key"] == "toy_score"
    # a flag of another backend is refused, not silently ignored
    assert main(["generate", "--model", str(model), "--template", "llama3", "--backend", "transformers",
                 "--toy-answer", "x", *common]) == 2
    assert "--toy-answer applies to --backend toy, not 'transformers'" in capsys.readouterr().err


def _help(command: str) -> str:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):
        main([command, "--help"])
    return buf.getvalue()
