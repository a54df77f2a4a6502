"""AlpacaEval 2 data: the 805 instructions with the gpt4_1106_preview reference, model-output and
annotation files, published GLM weights, instruction difficulty and the gamed-outputs file.

Everything is looked for in ``--data-dir`` first (either flat, or laid out like tatsu-lab/alpaca_eval's
``results/`` with ``model_outputs/``, ``annotations/``, ``glm_weights/`` sub-folders, which is how
``../shared/alpaca_eval_validation_data`` is organised), then on the public hub when online. The hub
is reached with ``huggingface_hub`` into its own user cache, never into site-packages.
"""

from __future__ import annotations

import math
import os
import socket
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from harness.benchmarks.alpaca_eval.spec import SPEC
from harness.errors import HarnessError
from harness.paths import data_roots, find_data_file
from harness.store.jsonl import read_records

HUB_REPO = "tatsu-lab/alpaca_eval"
REFERENCE_GENERATOR = "gpt4_1106_preview"
REFERENCE_FILES = (
    f"{REFERENCE_GENERATOR}.model_outputs.json.gz",
    f"{REFERENCE_GENERATOR}.model_outputs.json",
    f"model_outputs/{REFERENCE_GENERATOR}.model_outputs.json.gz",
    f"model_outputs/{REFERENCE_GENERATOR}.model_outputs.json",
    f"results/{REFERENCE_GENERATOR}/model_outputs.json",
    "alpaca_eval_gpt4_baseline.json",
)
CHECKOUT_PACKAGE = "src/alpaca_eval"  # --data-dir may be a tatsu-lab/alpaca_eval checkout
GLM_WEIGHT_FILES = (  # newest-first is wrong here: v0.6.2 is what the pinned package shipped
    f"glm_weights/baseline_{REFERENCE_GENERATOR}.v0.6.2.csv",
    f"glm_weights/baseline_{REFERENCE_GENERATOR}.main.csv",
    f"baseline_{REFERENCE_GENERATOR}.csv",
    f"{CHECKOUT_PACKAGE}/metrics/weights/weighted_alpaca_eval_gpt4_turbo/length_controlled_v1/"
    f"baseline_{REFERENCE_GENERATOR}.csv",
)
LEADERBOARD_FILES = (
    "leaderboards/weighted_alpaca_eval_gpt4_turbo_leaderboard.v0.6.2.csv",
    "leaderboards/weighted_alpaca_eval_gpt4_turbo_leaderboard.main.csv",
    f"{CHECKOUT_PACKAGE}/leaderboards/data_AlpacaEval_2/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv",
)
GAMED_FILE = "df_gamed.csv"
DIFFICULTY_FILE = "instruction_difficulty.csv"


def find_file(data_dir: Path | None, candidates: tuple[str, ...]) -> Path | None:
    """The first of ``candidates`` under the benchmark's data roots (``alpaca_eval/`` etc., then flat)."""
    if data_dir is None:
        return None
    return find_data_file(Path(data_dir), SPEC.data.subdirs, candidates)


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False")


@lru_cache(maxsize=1)
def _hub_reachable() -> bool:
    """A 3-second TCP probe, so an offline machine answers at once instead of retrying downloads."""
    try:
        with socket.create_connection(("huggingface.co", 443), timeout=3):
            return True
    except OSError:
        return False


@cache
def hub_file(filename: str) -> Path | None:
    """Download one file of the tatsu-lab/alpaca_eval dataset repo; None when offline/unreachable."""
    if _hub_offline() or not _hub_reachable():
        return None
    try:
        from huggingface_hub import hf_hub_download

        return Path(hf_hub_download(repo_id=HUB_REPO, filename=filename, repo_type="dataset", etag_timeout=5))
    except Exception:  # noqa: BLE001 - any network/hub failure means "not available"
        return None


def load_reference(data_dir: Path | None = None) -> tuple[list[dict[str, Any]], str]:
    """The 805 AlpacaEval instructions with the gpt4_1106_preview outputs, and where they came from."""
    path = find_file(data_dir, REFERENCE_FILES)
    if path is None and data_dir is None:
        path = hub_file("alpaca_eval_gpt4_baseline.json")
    if path is None:
        where = f"in --data-dir {data_dir}" if data_dir else "on the hub (offline?)"
        raise HarnessError(
            f"AlpacaEval reference outputs not found {where}; expected one of "
            f"{', '.join(REFERENCE_FILES[:3])}" + ("" if data_dir else " (pass --data-dir)")
        )
    records = read_records(path)
    for key in ("instruction", "output"):
        if any(key not in r for r in records):
            raise HarnessError(f"{path}: every record needs {key!r}")
    instructions = [r["instruction"] for r in records]
    if len(set(instructions)) != len(instructions):
        raise HarnessError(f"{path}: duplicate instructions; AlpacaEval keys rows by instruction")
    return records, str(path)


def load_published_weights(data_dir: Path | None) -> list[tuple[Path, pd.DataFrame]]:
    """Published GLM weight tables (one row per leaderboard model), v0.6.2 first."""
    out = []
    for rel in GLM_WEIGHT_FILES:
        p = find_file(data_dir, (rel,))
        if p is not None:
            out.append((p, pd.read_csv(p, index_col=0)))
    return out


def published_leaderboard_row(data_dir: Path | None, generator: str) -> tuple[dict[str, Any], Path] | None:
    """The generator's row of the published AlpacaEval 2 leaderboard (v0.6.2 first), if in ``data_dir``."""
    for rel in LEADERBOARD_FILES:
        p = find_file(data_dir, (rel,))
        if p is not None:
            table = pd.read_csv(p, index_col=0)
            if generator in table.index:
                return table.loc[generator].to_dict(), p
    return None


def _difficulty_from_glm_preferences(data_dir: Path) -> tuple[pd.Series, str] | None:
    """Recover per-instruction difficulty from published ``glm_preference`` columns.

    alpaca_eval stores ``glm_preference = sigmoid(theta + phi * difficulty_i)`` for each row (the LC
    prediction at zero length difference), and publishes the model's (theta, phi) in the GLM weight
    table, so ``difficulty_i = (logit(glm_preference_i) - theta) / phi``. Two such files must agree.
    """
    weights = load_published_weights(data_dir)
    folder = next((r / "annotations" for r in data_roots(Path(data_dir), SPEC.data.subdirs)
                   if (r / "annotations").is_dir()), None)
    files = sorted(folder.glob("*glm_preference*.annotations.json*")) if folder is not None else []
    if not weights or not files:
        return None
    table = weights[0][1]
    recovered = []
    for f in files:
        rows = read_records(f)
        model = rows[0].get("generator_2")
        if model not in table.index or any(r.get("glm_preference") is None for r in rows):
            continue
        w = table.loc[model] - table.loc[REFERENCE_GENERATOR]
        theta, phi = w["not_gamed_baseline.astype(float)"], w["instruction_difficulty"]
        if phi == 0:
            continue
        vals = [(math.log(p / (1 - p)) - theta) / phi for p in (float(r["glm_preference"]) for r in rows)]
        recovered.append((f.name, pd.Series(vals)))
    if not recovered:
        return None
    if len(recovered) > 1:
        spread = max((s - recovered[0][1]).abs().max() for _, s in recovered[1:])
        if spread > 1e-5:
            raise HarnessError(f"instruction difficulty recovered from {data_dir} is inconsistent ({spread:.2g})")
    mean = sum(s for _, s in recovered) / len(recovered)
    return mean, "recovered from glm_preference of " + ", ".join(n for n, _ in recovered)


def load_instruction_difficulty(data_dir: Path | None) -> tuple[pd.Series | None, str]:
    """Instruction difficulty (by row position) and a description of its source, or (None, why)."""
    p = find_file(data_dir, (DIFFICULTY_FILE, f"glm_weights/{DIFFICULTY_FILE}"))
    if p is not None:
        return pd.read_csv(p, index_col=0).squeeze("columns"), str(p)
    gamed = find_file(data_dir, (GAMED_FILE, f"glm_weights/{GAMED_FILE}"))
    if gamed is not None:
        df = pd.read_csv(gamed)
        return df.drop_duplicates("index")["instruction_difficulty"], str(gamed)
    if data_dir is not None:
        rec = _difficulty_from_glm_preferences(Path(data_dir))
        if rec is not None:
            return rec
    hub = hub_file(DIFFICULTY_FILE)
    if hub is not None:
        return pd.read_csv(hub, index_col=0).squeeze("columns"), f"hub:{HUB_REPO}/{DIFFICULTY_FILE}"
    return None, f"{DIFFICULTY_FILE} not in --data-dir and the hub is unreachable"


def find_gamed_file(data_dir: Path | None) -> tuple[Path | None, str]:
    """The official gamed-outputs file needed for a full LC refit, or (None, why not)."""
    p = find_file(data_dir, (GAMED_FILE, f"glm_weights/{GAMED_FILE}"))
    if p is not None:
        return p, str(p)
    hub = hub_file(GAMED_FILE)
    if hub is not None:
        return hub, f"hub:{HUB_REPO}/{GAMED_FILE}"
    where = f"--data-dir {data_dir}" if data_dir else "no --data-dir given"
    return None, f"the gamed-outputs file {GAMED_FILE} ({HUB_REPO}) is absent ({where}) and the hub is unreachable"


def find_published_outputs(data_dir: Path | None, generator: str) -> Path | None:
    return find_file(
        data_dir,
        (
            f"model_outputs/{generator}.model_outputs.json.gz",
            f"model_outputs/{generator}.model_outputs.json",
            f"results/{generator}/model_outputs.json",
            f"annotations/{generator}.annotations.json.gz",  # output_2 of published annotations
            f"results/{generator}/weighted_alpaca_eval_gpt4_turbo/annotations.json",
            f"results/{generator}/model_outputs.json.gz",
            f"results/{generator}/weighted_alpaca_eval_gpt4_turbo/annotations.json.gz",
        ),
    )
