"""`simpo-harness table`: the rendered tables equal the seed README's, cell by cell."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.store.layout import RunDir
from tests.helpers.seed_tables import parse_seed_tables


@pytest.fixture(scope="module")
def seed(shared_dir: Path) -> dict:
    tables = parse_seed_tables(shared_dir / "seed" / "SimPO_README.txt")
    assert set(tables) == {"gemma", "v0.2", "v0.1"}
    return tables


def _expected(table: dict, with_label: bool) -> list[list[str]]:
    out = []
    for row in table["rows"]:
        lead = [row["label"], row["repo"]] if with_label else [row["repo"]]
        out.append(lead + [row["cells"][h] for h in table["headers"]])
    return out


def _run(capsys, *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def _markdown_cells(text: str) -> tuple[list[list[str]], str]:
    lines = text.splitlines()
    return [[c.strip() for c in line.strip().strip("|").split(" | ")] for line in lines[2:]], lines[0]


def _latex_cells(text: str) -> list[list[str]]:
    lines = text.splitlines()
    body = lines[lines.index("\\midrule") + 1: lines.index("\\bottomrule")]
    return [[c.strip() for c in line.removesuffix("\\\\").split(" & ")] for line in body]


@pytest.mark.parametrize("paper", ["gemma", "v0.2", "v0.1"])
def test_rendered_tables_equal_the_seed_cell_by_cell(capsys, seed, paper):
    table = seed[paper]
    expected = _expected(table, with_label=paper != "gemma")
    assert len(expected) == {"gemma": 3, "v0.2": 9, "v0.1": 40}[paper]

    header, *body = csv.reader(io.StringIO(_run(capsys, "table", "--paper", paper, "--format", "csv")))
    assert header[-len(table["headers"]):] == table["headers"]
    assert body == expected

    md_body, md_header = _markdown_cells(_run(capsys, "table", "--paper", paper))
    assert [c.strip() for c in md_header.strip("|").split("|")][-len(table["headers"]):] == table["headers"]
    assert md_body == expected

    assert _latex_cells(_run(capsys, "table", "--paper", paper, "--format", "latex")) == expected


def test_output_file(tmp_path, capsys):
    out = tmp_path / "tables" / "v0.2.md"
    assert main(["table", "--paper", "v0.2", "--output", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert out.read_text() == _run(capsys, "table", "--paper", "v0.2")
    assert not list(out.parent.glob("*.tmp"))


def test_output_that_cannot_be_written_is_one_line_and_leaves_nothing(tmp_path, capsys):
    assert main(["table", "--paper", "v0.2", "--output", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["table", "--paper", "v0.2", "--output", str(tmp_path / "file" / "t.md")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("simpo-harness table: error:") and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.parent.iterdir() if p.name.endswith(".tmp")) == []


def test_non_numeric_metric_in_scores_is_an_error(tmp_path, capsys):
    run = RunDir(tmp_path, "my-ckpt", "mt_bench").ensure()
    run.scores.write_text(json.dumps({"metrics": {"mt_bench": "abc"}}))
    assert main(["table", "--models", "my-ckpt", "--results-dir", str(tmp_path)]) == 2
    assert "metrics.mt_bench must be a number" in capsys.readouterr().err


def test_models_option_takes_a_checkpoint_directory(tmp_path, capsys):
    ckpt = tmp_path / "ckpts" / "ck1"
    ckpt.mkdir(parents=True)
    (ckpt / "simpo_harness.yaml").write_text("name: my-simpo\ntemplate: llama3\n")
    run = RunDir(tmp_path / "results", "my-simpo", "mt_bench").ensure()
    run.scores.write_text(json.dumps({"metrics": {"mt_bench": 7.25}}))
    text = _run(capsys, "table", "--models", str(ckpt), "--results-dir", str(tmp_path / "results"), "--format", "csv")
    header, *body = csv.reader(io.StringIO(text))
    assert body[0][0] == "my-simpo" and body[0][header.index("MT-Bench (repro)")] == "7.25"


def test_results_dir_adds_reproduced_columns(tmp_path, capsys):
    run = RunDir(tmp_path, "Llama-3-Instruct-8B-SimPO-v0.2", "arena_hard").ensure()
    run.scores.write_text(json.dumps({"benchmark": "arena_hard", "model": "x", "metrics": {"ah": 35.04},
                                      "ci": {"ah": [33.0, 37.1]}, "details": {}, "n": 500}))
    text = _run(capsys, "table", "--paper", "v0.2", "--format", "csv", "--results-dir", str(tmp_path))
    header, *body = csv.reader(io.StringIO(text))
    assert header == ["Model", "Checkpoint", "AE2 LC", "AE2 WR", "AH", "AH (repro)", "AH 95% CI", "Δ AH"]
    assert body[-1][-4:] == ["36.5", "35.0", "[33.0, 37.1]", "-1.5"]
    assert body[0][-3:] == ["", "", ""]


def test_models_option(tmp_path, capsys):
    text = _run(capsys, "table", "--models", "gemma-2-9b-it-SimPO, princeton-nlp/Llama-3-Instruct-8B-SimPO",
                "--format", "csv")
    header, *body = csv.reader(io.StringIO(text))
    assert header[:4] == ["Model", "Setting", "Method", "Published in"] and "GSM" in header
    assert [r[0] for r in body] == ["gemma-2-9b-it-SimPO", "Llama-3-Instruct-8B-SimPO"]
    assert body[1][header.index("GSM")] == ""  # not published for v0.1


def test_errors_are_one_line(capsys):
    assert main(["table", "--models", "gemma-2-9b-it-SimPOO"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'gemma-2-9b-it-SimPO'" in err and err.count("\n") == 1
    assert main(["table", "--paper", "gemma", "--results-dir", "/nonexistent/results"]) == 2
    assert "results directory not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["table"])
    assert info.value.code == 2
