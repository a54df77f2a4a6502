from __future__ import annotations

import io
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from harness.benchmarks.alpaca_eval import leaderboard
from harness.errors import HarnessError


def test_loads_the_data_dir_copy(ae_data_dir: Path, leaderboard_csv: Path) -> None:
    lb, source = leaderboard.load_leaderboard(ae_data_dir)
    raw = pd.read_csv(leaderboard_csv, index_col=0)
    assert source == str(leaderboard_csv)
    assert len(lb) == len(raw) == 223
    row = lb.set_index("model").loc["Llama-3-Instruct-8B-SimPO"]
    assert row["ae2_length"] == 1825
    assert row["ae2_lc"] == pytest.approx(raw.loc["Llama-3-Instruct-8B-SimPO", "length_controlled_winrate"])
    assert row["ae2_wr"] == pytest.approx(raw.loc["Llama-3-Instruct-8B-SimPO", "win_rate"])


def test_registry_models_matched_by_name(lb) -> None:
    matched = leaderboard.match_registry(lb[0])
    assert matched == {m: m for m in ("Llama-3-Instruct-8B-SimPO", "Meta-Llama-3-8B-Instruct", "Mistral-7B-Instruct-v0.2",
                                      "mistral-orpo-beta", "gemma-2-9b-it-SimPO", "gemma-2-9b-it-DPO")}


def test_offline_without_data_dir_is_one_line_naming_the_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def offline(*_a, **_k):
        raise OSError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(HarnessError) as exc:
        leaderboard.load_leaderboard(None)
    msg = str(exc.value)
    assert "\n" not in msg and "--data-dir" in msg and "leaderboards/" in msg and leaderboard.LEADERBOARD_URL in msg


def test_online_fetches_the_public_csv_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, leaderboard_csv: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calls = []

    def fake_urlopen(url: str, timeout: float):
        calls.append(url)
        return io.BytesIO(leaderboard_csv.read_bytes())

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    lb, source = leaderboard.load_leaderboard(None)
    lb2, _ = leaderboard.load_leaderboard(None)
    assert calls == [leaderboard.LEADERBOARD_URL]
    assert len(lb) == len(lb2) == 223 and leaderboard.LEADERBOARD_URL in source


def test_data_dir_without_leaderboard_or_with_a_bad_csv(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="leaderboard not found in data dir"):
        leaderboard.load_leaderboard(tmp_path)
    (tmp_path / "leaderboards").mkdir()
    (tmp_path / "leaderboards" / "other.main.csv").write_text(",win_rate\nm,1\n")
    with pytest.raises(HarnessError, match="missing column"):
        leaderboard.load_leaderboard(tmp_path)
