"""A study environment shared by a test module: 3 tiny checkpoints, the AlpacaEval data of
tests/helpers/run_env.py, the toy judged benchmark, one judge server and (for the Ray tests) one
local Ray cluster (``ray.init(num_cpus=2)``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.judges.local_server import LocalJudgeServer, Reply, hashed_preference_responder
from harness.store.jsonl import read_jsonl
from tests.helpers.run_env import write_alpaca_data
from tests.helpers.tiny_model import build_tiny_llama

N_ALPACA = 4
BENCHMARKS = ("alpaca_eval", "toy")


def study_responder(body: dict[str, Any]) -> Reply:
    """The toy benchmark's [[x]] ratings (from a hash of the prompt), else AlpacaEval's m/M preference."""
    text = str(body["messages"][-1]["content"])
    if text.startswith("Grade the answer"):
        digest = hashlib.sha256(text.encode()).digest()
        return Reply(content=f"[[{1 + digest[0] % 10}]]")
    return hashed_preference_responder(body)


@dataclass
class StudyEnv:
    root: Path
    models: list[Path]
    data_dir: Path
    judge: LocalJudgeServer
    kill_marker: Path

    def study_file(self, name: str = "tiny-study", **extra: Any) -> Path:
        study = {
            "name": name,
            "models": [{"model": str(m), "template": "llama3"} for m in self.models],
            "benchmarks": ["alpaca_eval", {"name": "toy", "max_new_tokens": 6}],
            "data_dir": str(self.data_dir),
            "generation": {"backend": "transformers", "max_new_tokens": 8, "backend_options": {"batch_size": 2}},
            "judge": {"judge_base_url": self.judge.base_url, "backoff": 0.01},
            "plugins": ["tests.study.plugins"],
            **extra,
        }
        path = self.root / f"{name}.yaml"
        path.write_text(yaml.safe_dump(study), encoding="utf-8")
        return path


@pytest.fixture(scope="module")
def study_env(tmp_path_factory) -> StudyEnv:
    import harness.benchmarks as benchmarks
    from tests.helpers.toy_benchmark import TOY

    root = tmp_path_factory.mktemp("study")
    models = [build_tiny_llama(root / f"tiny{i}", seed=i) for i in range(3)]
    data = write_alpaca_data(root / "data", N_ALPACA)
    registered = TOY.name not in benchmarks.names()
    if registered:
        benchmarks.register(TOY)
    with pytest.MonkeyPatch.context() as mp, LocalJudgeServer(study_responder) as judge:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.delenv("OPENAI_API_KEY", raising=False)
        yield StudyEnv(root, models, data, judge, root / "kill-armed")
    if registered:
        benchmarks.unregister(TOY.name)


@pytest.fixture(scope="module")
def ray_cluster(study_env):
    """One local Ray cluster per module: 2 CPUs, workers marked for tests/study/plugins.py."""
    import ray

    from tests.study.plugins import KILL_ENV, WORKER_ENV

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAY_USAGE_STATS_ENABLED", "0")  # nothing leaves this machine
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
                 object_store_memory=100 * 1024 ** 2, runtime_env={"env_vars": {
                     WORKER_ENV: "1", KILL_ENV: str(study_env.kill_marker), "HF_HUB_OFFLINE": "1"}})
        yield ray
        ray.shutdown()


def run_dirs(results: Path) -> list[Path]:
    return sorted(p.parent for p in results.glob("*/*/generations.jsonl"))


def snapshot(results: Path) -> dict[str, Any]:
    """Everything a study's numbers depend on, per run directory: outputs by key, judgments by item, metrics."""
    out: dict[str, Any] = {}
    for run in run_dirs(results):
        gens = list(read_jsonl(run / "generations.jsonl"))
        notes = list(read_jsonl(run / "annotations.jsonl"))
        scores = json.loads((run / "scores.json").read_text(encoding="utf-8"))
        out[f"{run.parent.name}/{run.name}"] = {
            "outputs": {g["key"]: g["output"] for g in gens},
            "judgments": sorted((str(a["item_id"]), str(a.get("preference", a.get("score")))) for a in notes),
            "metrics": scores["metrics"], "status": scores["status"]}
    return out


def assert_no_duplicates(results: Path) -> None:
    for run in run_dirs(results):
        keys = [g["key"] for g in read_jsonl(run / "generations.jsonl")]
        assert len(keys) == len(set(keys)), f"duplicate generations in {run}"
        judged = [(a["item_id"], a.get("judge_model"), a.get("judge_endpoint")) for a in read_jsonl(run / "annotations.jsonl")]
        assert len(judged) == len(set(judged)), f"duplicate judgments in {run}"
