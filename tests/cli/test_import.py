"""`simpo-harness import` / `export` as a user meets them: the help, bad input (one line naming the
file, line and field; exit 2; nothing written), re-imports, native runs, --force."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from harness.store.jsonl import append_jsonl, read_jsonl, write_json_atomic
from tests.helpers.imports import OFFICIAL, cli, manifest, score, stored, tree

WGM = "mt_bench/wgm20+FastChat__fb2f2c17"
MODEL = "NeuralMarcoro14-7B"


def _lines(path: Path, n: int | None = None) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return rows[:n]


@pytest.fixture()
def fastchat(shared_dir, tmp_path) -> Path:
    """A small FastChat folder: one model's answers and its first 8 judgments (real rows)."""
    src = shared_dir / OFFICIAL / WGM
    folder = tmp_path / "mt_bench"
    append_jsonl(folder / "model_answer" / f"{MODEL}.jsonl", _lines(src / "model_answer" / f"{MODEL}.jsonl"))
    rows = [r for r in _lines(src / "model_judgment/gpt-4_single.jsonl.gz") if r["model"] == MODEL][:8]
    append_jsonl(folder / "model_judgment" / "gpt-4_single.jsonl", rows)
    return folder


def _import(path: Path, results: Path, *extra: str) -> int:
    return cli("import", "--format", "fastchat", path, "--results-dir", results, *extra)


def test_help_documents_every_format_and_its_layout(capsys):
    from harness.importing import formats

    with pytest.raises(SystemExit):
        cli("import", "--help")
    out = capsys.readouterr().out
    assert set(formats()) == {"alpaca_eval", "arena_hard", "fastchat", "zeroeval"}
    for fmt, layout in (("alpaca_eval", "results/<model>/model_outputs.json(.gz)"),
                        ("arena_hard", "model_judgment/<judge>/<model>.jsonl"),
                        ("fastchat", "model_judgment/<judge>_single.jsonl(.gz)"),
                        ("zeroeval", "result_dirs/<task>/<model>.json(.gz)")):
        assert f"\n{fmt} (benchmark" in out and layout in out


def test_import_score_reimport(fastchat, tmp_path, capsys):
    results = tmp_path / "results"
    assert _import(fastchat, results) == 0
    assert capsys.readouterr().out.startswith(f"new: {MODEL} mt_bench: 80 items, 8 judgments by gpt-4")
    capsys.readouterr()
    rc, s = score(results, MODEL, "mt_bench")
    assert rc == 1 and "imported files: `judge` or `generate` what they lack" in capsys.readouterr().err  # not "rerun"
    rc, s = score(results, MODEL, "mt_bench", "--allow-incomplete")
    assert rc == 0 and s["status"] == "incomplete" and "8 of 160 turns scored" in s["incomplete"]["reason"]
    before = tree(results)
    capsys.readouterr()
    assert _import(fastchat, results) == 0  # the same files again: nothing written
    assert capsys.readouterr().out.startswith(f"unchanged: {MODEL}")
    assert tree(results) == before


def test_more_judgments_for_the_same_answers_are_added(fastchat, shared_dir, tmp_path, capsys):
    results = tmp_path / "results"
    assert _import(fastchat / "model_answer", results) == 0
    assert stored(results, MODEL, "mt_bench")[1] == []
    assert _import(fastchat, results) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"judgments added: {MODEL}")
    assert len(stored(results, MODEL, "mt_bench")[1]) == 8
    assert len(manifest(results, MODEL, "mt_bench")["source_files"]) == 2


@pytest.mark.parametrize("case", ["other format", "other benchmark", "missing field", "bad type", "twice",
                                  "not json", "second path bad"])
def test_bad_input_is_one_line_and_writes_nothing(case, fastchat, shared_dir, tmp_path, capsys):
    results = tmp_path / "results"
    judgments = fastchat / "model_judgment" / "gpt-4_single.jsonl"
    rows = _lines(judgments)
    argv: list = ["--format", "fastchat", fastchat]
    if case == "other format":  # an alpaca_eval annotations file given as FastChat
        ann = shared_dir / OFFICIAL / "alpaca_eval/results/phi-2/weighted_alpaca_eval_gpt4_turbo/annotations.json.gz"
        argv, expect = ["--format", "fastchat", ann], f"{ann}:record 1: not a FastChat llm_judge file"
    elif case == "other benchmark":
        gsm = shared_dir / OFFICIAL / "zeroeval/gsm/gemma-2-9b-it.json.gz"
        argv, expect = ["--format", "zeroeval", gsm, "--benchmark", "mmlu"], \
            f"{gsm}:record 1: field 'dataset' is 'gsm' (gsm8k), not --benchmark mmlu"
    elif case in ("missing field", "bad type"):
        del rows[2]["score"]
        if case == "bad type":
            rows[2]["score"], rows[2]["turn"] = 7, "two"
        judgments.write_text("".join(json.dumps(r) + "\n" for r in rows))
        expect = f"{judgments}:line 3: field " + ("'score' is missing" if case == "missing field" else
                                                  "'turn' must be an integer, got \"two\"")
    elif case == "twice":  # the same model in a second folder, one answer changed
        other = tmp_path / "other" / "model_answer" / f"{MODEL}.jsonl"
        answers = _lines(fastchat / "model_answer" / f"{MODEL}.jsonl")
        answers[4]["choices"][0]["turns"][1] = "another answer"
        append_jsonl(other, answers)
        argv = ["--format", "fastchat", fastchat, other]
        expect = (f"{other}:line 5: field 'choices' of model {MODEL!r}, question {answers[4]['question_id']} differs "
                  f"from {fastchat / 'model_answer' / MODEL}.jsonl:line 5: the model is given twice with different content")
    elif case == "not json":
        judgments.write_text(judgments.read_text() + "{not json\n")
        expect = f"{judgments}:line 9: not valid JSON"
    else:
        argv = ["--format", "fastchat", fastchat, tmp_path / "missing"]
        expect = f"no such file or folder: {tmp_path / 'missing'}"
    assert cli("import", *argv, "--results-dir", results) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"simpo-harness import: error: {expect}"), err
    assert len(err.strip().splitlines()) == 1 and not results.exists()


def test_a_native_run_is_not_overwritten_without_force(fastchat, tmp_path, capsys):
    results = tmp_path / "results"
    run = results / MODEL / "mt_bench"
    append_jsonl(run / "generations.jsonl", [{"key": "native", "item_id": "81", "turn": 0, "sample_index": 0,
                                              "model": MODEL, "output": "native answer", "run_config": "c"}])
    write_json_atomic(run / "generation_manifest.json", {"run_config": "c", "n_items": 80})
    before = tree(results)
    assert _import(fastchat, results) == 2
    assert "holds a native run" in capsys.readouterr().err and tree(results) == before
    assert _import(fastchat, results, "--force") == 0
    assert capsys.readouterr().out.startswith(f"replaced: {MODEL}")
    gens = list(read_jsonl(run / "generations.jsonl"))
    assert gens[0]["key"] == "native" and len(gens) == 161  # the native record stays in the log
    from harness.store import current_generations

    assert all(g.backend == "import:fastchat" for g in current_generations(run))
    assert score(results, MODEL, "mt_bench", "--allow-incomplete")[0] == 0


def test_another_import_under_the_same_name_needs_force(fastchat, shared_dir, tmp_path, capsys):
    results = tmp_path / "results"
    assert _import(fastchat, results) == 0
    other = tmp_path / "other" / f"{MODEL}.jsonl"
    answers = _lines(fastchat / "model_answer" / f"{MODEL}.jsonl")
    answers[0]["choices"][0]["turns"][0] = "changed"
    append_jsonl(other, answers)
    assert _import(other, results) == 2
    assert "already holds an import of other content" in capsys.readouterr().err
    assert _import(other, results, "--force") == 0


def test_model_rename_and_its_limits(fastchat, shared_dir, tmp_path, capsys):
    results = tmp_path / "results"
    assert _import(fastchat, results, "--model", "mine") == 0
    gens, rows = stored(results, "mine", "mt_bench")
    assert {g["model"] for g in gens} == {"mine"} and {r["model"] for r in rows} == {"mine"}
    capsys.readouterr()
    assert _import(shared_dir / OFFICIAL / WGM, results, "--model", "mine2") == 2
    assert "--model names one model, but the files hold several" in capsys.readouterr().err


def test_export_needs_a_stored_run(tmp_path, capsys):
    assert cli("export", "--format", "fastchat", "--model", "nobody", "--results-dir", tmp_path, "--out",
               tmp_path / "x") == 2
    assert "no results for model 'nobody'" in capsys.readouterr().err
    assert cli("export", "--format", "zeroeval", "--model", "nobody", "--results-dir", tmp_path, "--out",
               tmp_path / "x") == 2
    assert "pass --benchmark" in capsys.readouterr().err


def test_the_same_model_from_two_folders(shared_dir, tmp_path, capsys):
    """Two ZeroEval folders holding one model: the same content imports once; different content is refused."""
    from harness.store.jsonl import read_records

    records = read_records(shared_dir / OFFICIAL / "zeroeval/gsm/gemma-2-9b-it.json.gz")[:5]
    write_json_atomic(tmp_path / "a/gsm/gemma-2-9b-it.json", records)
    write_json_atomic(tmp_path / "b/gsm/gemma-2-9b-it.json", records)
    results = tmp_path / "results"
    assert cli("import", "--format", "zeroeval", tmp_path / "a", tmp_path / "b", "--results-dir", results) == 0
    assert len(stored(results, "gemma-2-9b-it", "gsm8k")[0]) == 5
    records[3] = {**records[3], "output": ["changed"]}
    write_json_atomic(tmp_path / "b/gsm/gemma-2-9b-it.json", records)
    other = tmp_path / "results2"
    assert cli("import", "--format", "zeroeval", tmp_path / "a", tmp_path / "b", "--results-dir", other) == 2
    err = capsys.readouterr().err
    assert (f"error: {tmp_path / 'b/gsm/gemma-2-9b-it.json'}:record 4: field 'output' of model 'gemma-2-9b-it', item "
            f"gsm8k-main-test-#3, turn 1 differs from {tmp_path / 'a/gsm/gemma-2-9b-it.json'}:record 4") in err
    assert not other.exists()
