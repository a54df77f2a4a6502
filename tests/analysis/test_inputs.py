from __future__ import annotations

from pathlib import Path

from harness.analysis.inputs import analysis_inputs


def test_defaults_point_at_shared_beside_the_checkout(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (tmp_path / "shared" / "alpaca_eval_validation_data").mkdir(parents=True)
    (tmp_path / "shared" / "official_files").mkdir()
    cfg = analysis_inputs(env={}, repo_root=repo)
    assert cfg.results_dir == repo / "results" and cfg.figures_dir == repo / "results" / "figures"
    assert cfg.data_dir == tmp_path / "shared" / "alpaca_eval_validation_data"
    assert cfg.official_dir == tmp_path / "shared" / "official_files"
    assert cfg.arena_data_dir is None  # absent: the public copy is used


def test_environment_overrides(tmp_path: Path) -> None:
    env = {"SIMPO_HARNESS_RESULTS": str(tmp_path / "r"), "SIMPO_HARNESS_DATA_DIR": str(tmp_path / "d"),
           "SIMPO_HARNESS_ARENA_DATA_DIR": str(tmp_path / "a"), "SIMPO_HARNESS_OFFICIAL_FILES": str(tmp_path / "o"),
           "SIMPO_HARNESS_FIGURES": str(tmp_path / "f")}
    cfg = analysis_inputs(env=env, repo_root=tmp_path)
    assert (cfg.results_dir, cfg.data_dir, cfg.arena_data_dir, cfg.official_dir, cfg.figures_dir) == tuple(
        tmp_path / k for k in "rdaof")
    assert analysis_inputs(env={"SIMPO_HARNESS_RESULTS": str(tmp_path / "r")}, repo_root=tmp_path).figures_dir == (
        tmp_path / "r" / "figures")
