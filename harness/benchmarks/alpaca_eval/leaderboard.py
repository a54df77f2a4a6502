"""The official AlpacaEval 2 leaderboard (weighted_alpaca_eval_gpt4_turbo), loaded like other data.

With a data dir it is read from ``<data_dir>/leaderboards/*.main.csv`` (the layout of
``../shared/alpaca_eval_validation_data``, also found in the benchmark's subfolders of a data root, as
its other data; a flat ``weighted_alpaca_eval_gpt4_turbo_leaderboard.csv`` also works); without one it is fetched once from tatsu-lab/alpaca_eval on GitHub into the user cache
(offline this fails with a one-line error saying which data dir to pass). The alpaca-eval 0.6.2 wheel
ships an older 149-row copy, which is not used.

Leaderboard rows are alpaca_eval model names (``Llama-3-Instruct-8B-SimPO``, ``mistral-orpo-beta``);
:func:`match_registry` maps registry models onto them by name or by the last part of their HF repo id.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import HarnessError
from harness.paths import download_cached

if TYPE_CHECKING:
    import pandas as pd

    from harness.registry.models import Registry

LEADERBOARD_NAME = "weighted_alpaca_eval_gpt4_turbo_leaderboard"
LEADERBOARD_URL = (
    "https://raw.githubusercontent.com/tatsu-lab/alpaca_eval/main/src/alpaca_eval/leaderboards/"
    f"data_AlpacaEval_2/{LEADERBOARD_NAME}.csv"
)
DATA_DIR_FILES = (f"leaderboards/{LEADERBOARD_NAME}.main.csv", f"{LEADERBOARD_NAME}.main.csv", f"{LEADERBOARD_NAME}.csv",
                  f"leaderboards/{LEADERBOARD_NAME}.csv")
OFFLINE_HINT = (f"pass the AlpacaEval data dir (data_dir= / --data-dir) holding leaderboards/{LEADERBOARD_NAME}.main.csv, "
                "e.g. ../shared/alpaca_eval_validation_data")
# CSV column -> our metric key (as in scores.json)
COLUMNS = {"win_rate": "ae2_wr", "length_controlled_winrate": "ae2_lc", "avg_length": "ae2_length"}
OPTIONAL_COLUMNS = ("standard_error", "lc_standard_error", "mode", "n_total")


def find_leaderboard_file(data_dir: Path | str) -> Path | None:
    """The leaderboard CSV in ``data_dir`` (or one of the benchmark's subfolders of it): the known names
    first, then any ``leaderboards/*.main.csv``."""
    from harness.benchmarks.alpaca_eval.spec import SPEC
    from harness.paths import data_roots

    for root in data_roots(Path(data_dir), SPEC.data.subdirs):
        for rel in DATA_DIR_FILES:
            if (root / rel).is_file():
                return root / rel
        others = sorted((root / "leaderboards").glob("*.main.csv"))
        if others:
            return others[0]
    return None


def read_leaderboard(path: Path | str) -> pd.DataFrame:
    """One row per leaderboard model: ``model``, ``ae2_wr``, ``ae2_lc``, ``ae2_length`` (+ SE, mode)."""
    import pandas as pd

    path = Path(path)
    try:
        raw = pd.read_csv(path, index_col=0)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise HarnessError(f"{path}: not a readable leaderboard CSV ({exc})") from None
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise HarnessError(f"{path}: not an AlpacaEval leaderboard (missing column(s) {', '.join(missing)})")
    out = raw[list(COLUMNS) + [c for c in OPTIONAL_COLUMNS if c in raw.columns]].rename(columns=COLUMNS)
    out = out.rename_axis("model").reset_index()
    out["model"] = out["model"].astype(str)
    for col in COLUMNS.values():
        out[col] = pd.to_numeric(out[col], errors="coerce")
    if out["model"].duplicated().any():
        raise HarnessError(f"{path}: duplicate model rows {sorted(out.loc[out['model'].duplicated(), 'model'])[:3]}")
    return out


def load_leaderboard(data_dir: Path | str | None = None) -> tuple[pd.DataFrame, str]:
    """The leaderboard and where it came from (a path, or the public URL's cached copy)."""
    if data_dir is not None:
        path = find_leaderboard_file(data_dir)
        if path is None:
            raise HarnessError(f"AlpacaEval leaderboard not found in data dir {data_dir} "
                               f"(expected leaderboards/{LEADERBOARD_NAME}.main.csv)")
        return read_leaderboard(path), str(path)
    path = download_cached(LEADERBOARD_URL, f"alpaca_eval/{LEADERBOARD_NAME}.csv", OFFLINE_HINT)
    return read_leaderboard(path), f"{LEADERBOARD_URL} (cached at {path})"


def match_registry(leaderboard: pd.DataFrame, registry: Registry | None = None) -> dict[str, str]:
    """Registry model name -> leaderboard model name (:func:`harness.analysis.runs.match_names`)."""
    from harness.analysis.runs import match_names

    return match_names(leaderboard["model"], registry)
