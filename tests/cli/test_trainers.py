"""`simpo-harness trainers list|show`."""

from __future__ import annotations

import json

from harness.cli import main


def test_list(capsys):
    assert main(["trainers", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [
        "SFT", "RRHF", "SLiC-HF", "DPO", "IPO", "CPO", "KTO", "ORPO", "R-DPO", "SimPO"]
    assert "needs ref" in lines[3] and "γ" in lines[-1]


def test_show_simpo_prints_ratio_and_absolute_gamma(capsys):
    assert main(["trainers", "show", "simpo"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.strip().startswith("Llama3-Instruct "))
    assert row.split() == ["Llama3-Instruct", "2.5", "0.55", "1.375", "1e-06"]
    assert "trl.experimental CPOTrainer" in out


def test_show_json_and_typo(capsys):
    assert main(["trainers", "show", "R-DPO", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "R-DPO" and data["reference_free"] is False
    assert main(["trainers", "show", "DPOO"]) == 2
    assert "did you mean 'DPO'" in capsys.readouterr().err
