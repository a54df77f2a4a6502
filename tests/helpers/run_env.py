"""A tiny end-to-end `run` environment: a local tiny Llama, a small AlpacaEval data dir, helpers.

Used by the pipeline, `run` CLI and fault-tolerance tests. Nothing is downloaded: the model is
``build_tiny_llama``'s random-init Llama, the data dir holds a few instructions with reference
outputs in the file name ``harness.benchmarks.alpaca_eval.data`` looks for, and judges are
``harness.judges.local_server`` servers with the deterministic ``hashed_preference_responder``.

``completed_baseline`` runs one uninterrupted, fault-free evaluation per test process (cached),
which the tests compare against and copy instead of recomputing it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.benchmarks.alpaca_eval.data import REFERENCE_GENERATOR
from harness.store.jsonl import read_jsonl
from tests.helpers.tiny_model import build_tiny_llama

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL_NAME = "tiny"  # results/<model>/ for a local checkpoint is the directory's name
N_ITEMS = 6

_TOPICS = ("water", "food", "a book", "the world", "people", "a letter", "time", "a story", "python code",
           "math", "a plan", "an idea")


def reference_records(n: int = N_ITEMS) -> list[dict[str, Any]]:
    """``n`` AlpacaEval-format records: instruction + the gpt4_1106_preview reference output."""
    return [{"instruction": f"Please write {i + 1} good sentences about {_TOPICS[i % len(_TOPICS)]}.",
             "output": f"Here are {i + 1} sentences about {_TOPICS[i % len(_TOPICS)]}. " + "It is good. " * (i + 1),
             "dataset": "helpful_base" if i % 2 else "koala", "generator": REFERENCE_GENERATOR}
            for i in range(n)]


def write_alpaca_data(data_dir: Path, n: int = N_ITEMS) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / f"{REFERENCE_GENERATOR}.model_outputs.json").write_text(
        json.dumps(reference_records(n), indent=1), encoding="utf-8")
    return data_dir


@dataclass(frozen=True)
class RunEnv:
    model_dir: Path
    data_dir: Path

    def argv(self, results_dir: Path, judge_url: str | None, *extra: str) -> list[str]:
        """`run` arguments for this environment (greedy, 8 new tokens, batch size 1, fast judge retries)."""
        args = ["run", "--model", str(self.model_dir), "--template", "llama3", "--benchmarks", "alpaca_eval",
                "--data-dir", str(self.data_dir), "--results-dir", str(results_dir), "--max-new-tokens", "8",
                "--batch-size", "1", "--no-progress", "--judge-backoff", "0.01"]
        if judge_url:
            args += ["--judge-base-url", judge_url]
        return [*args, *extra]


def make_env(root: Path, n: int = N_ITEMS) -> RunEnv:
    model_dir = build_tiny_llama(root / MODEL_NAME)
    return RunEnv(model_dir=model_dir, data_dir=write_alpaca_data(root / "data", n))


def run_dir(results_dir: Path) -> Path:
    return results_dir / MODEL_NAME / "alpaca_eval"


def generations(results_dir: Path) -> list[dict[str, Any]]:
    return list(read_jsonl(run_dir(results_dir) / "generations.jsonl"))


def annotations(results_dir: Path) -> list[dict[str, Any]]:
    return list(read_jsonl(run_dir(results_dir) / "annotations.jsonl"))


def scores(results_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir(results_dir) / "scores.json").read_text(encoding="utf-8"))


def outputs_by_item(results_dir: Path) -> dict[str, str]:
    return {r["item_id"]: r["output"] for r in generations(results_dir)}


def preferences_by_item(results_dir: Path) -> dict[str, float]:
    return {r["item_id"]: r["preference"] for r in annotations(results_dir)}


def subprocess_env() -> dict[str, str]:
    """Environment for `python -m harness` children: offline, no API key, the repo importable."""
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])))
    return env


def run_cli(argv: list[str], *, timeout: float = 120, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m harness ARGV`` in a child process, capturing text output."""
    return subprocess.run([sys.executable, "-m", "harness", *argv], capture_output=True, text=True,
                          timeout=timeout, env=subprocess_env(), cwd=cwd or REPO_ROOT)


@dataclass(frozen=True)
class Baseline:
    env: RunEnv
    results_dir: Path
    judge_requests: int  # chat requests the fault-free judge received
    judge_port: int  # judgments are keyed by endpoint: a rerun must reach the same URL to reuse them

    @property
    def judge_url(self) -> str:
        return f"http://127.0.0.1:{self.judge_port}/v1"

    def judge_server(self, responder: Any = None, **kwargs: Any) -> Any:
        """A judge server at the baseline's endpoint (same port), so its judgments count as cached."""
        from harness.judges.local_server import LocalJudgeServer, hashed_preference_responder

        return LocalJudgeServer(responder or hashed_preference_responder, port=self.judge_port, **kwargs)

    def copy_results(self, dest: Path) -> Path:
        """A private copy of the completed results tree (tests must not touch the shared one)."""
        shutil.copytree(self.results_dir, dest)
        return dest


_BASELINE: dict[str, Baseline] = {}


def completed_baseline(root: Path) -> Baseline:
    """One uninterrupted, fault-free in-process `run` per test process (``root`` used on first call)."""
    if "b" not in _BASELINE:
        from harness.cli import main
        from harness.judges.local_server import LocalJudgeServer, hashed_preference_responder

        env = make_env(root)
        results = root / "results"
        saved = os.environ.get("HF_HUB_OFFLINE")
        os.environ["HF_HUB_OFFLINE"] = "1"  # the hub is never probed
        try:
            with LocalJudgeServer(hashed_preference_responder) as srv:
                rc = main(env.argv(results, srv.base_url))
                count, port = srv.request_count, srv.port
        finally:
            if saved is None:
                os.environ.pop("HF_HUB_OFFLINE", None)
            else:
                os.environ["HF_HUB_OFFLINE"] = saved
        if rc != 0:
            raise RuntimeError(f"baseline run failed with exit code {rc}")
        _BASELINE["b"] = Baseline(env=env, results_dir=results, judge_requests=count, judge_port=port)
    return _BASELINE["b"]
