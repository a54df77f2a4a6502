"""The generic import layer: located records, judge-prompt splitting, deterministic keys, the
format registry, and re-judging imported outputs with another judge."""

from __future__ import annotations

import gzip
import json

import pytest

from harness.benchmarks.arena_hard import protocol as ah_protocol
from harness.benchmarks.mt_bench import protocol as mt_protocol
from harness.errors import HarnessError
from harness.importing import format_module, formats
from harness.importing.files import read_located, split_formatted
from harness.importing.records import RunBuilder
from harness.judges.local_server import LocalJudgeServer, Reply
from tests.helpers.imports import OFFICIAL, cli, score, stored


def test_formats_come_from_the_specs():
    assert formats() == {"alpaca_eval": ["alpaca_eval"], "arena_hard": ["arena_hard"], "fastchat": ["mt_bench"],
                         "zeroeval": ["gsm8k", "mmlu"]}
    for fmt in formats():
        module = format_module(fmt)
        assert fmt == module.FORMAT and module.LAYOUT.startswith(fmt) and callable(module.read)
    with pytest.raises(HarnessError, match="unknown format 'fastchta'; did you mean 'fastchat'"):
        format_module("fastchta")


def test_located_records_name_their_place(tmp_path):
    path = tmp_path / "x.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write('{"a": 1}\n\n{"a": "two", "b": true}\n')
    first, second = read_located(path)
    assert (first.where, second.where, second.index) == ("line 1", "line 3", 1)
    assert second.ident("a") == "two" and first.ident("a") == "1"
    with pytest.raises(HarnessError, match=r"x.jsonl.gz:line 3: field 'b' must be a string, got true"):
        second.text("b")
    with pytest.raises(HarnessError, match=r"line 1: field 'c' is missing \(is this a thing\?\)"):
        first.text("c", "a thing")
    (tmp_path / "y.json").write_text('[{"a": 1}, 3]')
    with pytest.raises(HarnessError, match=r"y.json:record 2: expected a JSON object, got int"):
        read_located(tmp_path / "y.json")


@pytest.mark.parametrize("template", [ah_protocol.PROMPT_TEMPLATE, *(p.prompt_template for p in mt_protocol.PROMPTS.values())])
def test_judge_prompts_split_back_into_their_fields(template):
    import re

    names = dict.fromkeys(re.findall(r"{(\w+)}", template))
    values = {n: f"text of {n}\nwith [[brackets]] and {{braces}}" for n in names}
    assert split_formatted(template, template.format(**values)) == values
    assert split_formatted(template, "something else") is None


def test_known_fields_anchor_the_split():
    """A first answer that continues the conversation ("### User: ...") holds the template's next
    marker: split alone it is cut short; with the questions known (MT-Bench's data) it is whole."""
    prompt = mt_protocol.SINGLE_V1_MULTI_TURN
    values = {"question_1": "Q1?", "answer_1": "A1.\n\n### User:\nand more?\n\n### Assistant A:\nmore.",
              "question_2": "Q2?", "answer_2": "A2."}
    text = prompt.prompt_template.format(**values)
    blind = split_formatted(prompt.prompt_template, text)
    assert blind is not None and blind["answer_1"] == "A1." and blind["question_2"] != "Q2?"
    assert split_formatted(prompt.prompt_template, text, {"question_1": "Q1?", "question_2": "Q2?"}) == values
    assert split_formatted(prompt.prompt_template, text, {"question_1": "other"}) == blind  # known does not fit


def test_keys_depend_on_content_only():
    def build(outputs: list[str]):
        b = RunBuilder("fmt", "tool", "m", "mt_bench")
        for i, o in enumerate(outputs):
            b.add_output(str(i), o, f"file:line {i + 1}")
        return b.build()

    a, b, c = build(["x", "y"]), build(["x", "y"]), build(["x", "z"])
    assert [g.key for g in a.generations] == [g.key for g in b.generations] and a.run_config == b.run_config
    assert a.run_config != c.run_config and not {g.key for g in a.generations} & {g.key for g in c.generations}
    assert all(g.run_config == a.run_config for g in a.generations)


def _grader(body: dict) -> Reply:
    return Reply("Looks fine. Rating: [[5]]")


def test_imported_outputs_are_re_judged_with_another_judge(shared_dir, tmp_path, capsys):
    """`judge` on an imported FastChat run: the new judge's rows sit beside gpt-4's; scores never mix them."""
    src = shared_dir / OFFICIAL / "mt_bench/wgm20+FastChat__fb2f2c17"
    model = "NeuralMarcoro14-7B"
    folder = tmp_path / "in"
    (folder / "model_answer").mkdir(parents=True)
    (folder / "model_answer" / f"{model}.jsonl").write_text((src / "model_answer" / f"{model}.jsonl").read_text())
    with gzip.open(src / "model_judgment/gpt-4_single.jsonl.gz", "rt") as fh:
        rows = [r for r in map(json.loads, fh) if r["model"] == model]
    (folder / "model_judgment").mkdir()
    (folder / "model_judgment/gpt-4_single.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    results = tmp_path / "results"
    assert cli("import", "--format", "fastchat", folder, "--results-dir", results) == 0
    with LocalJudgeServer(_grader, model_names=("grader",)) as srv:
        assert cli("judge", "--model", model, "--benchmark", "mt_bench", "--limit", "3", "--judge-base-url",
                   srv.base_url, "--judge-model", "grader", "--reference-model", "gpt-4", "--results-dir", results) == 0
        assert srv.request_count == 6
    capsys.readouterr()
    assert cli("score", "--model", model, "--benchmark", "mt_bench", "--results-dir", results) == 2
    assert "judgments by 2 judges" in capsys.readouterr().err
    rc, s = score(results, model, "mt_bench", "--judge-model", "gpt-4")
    assert rc == 0 and s["metrics"]["mt_bench"] == pytest.approx(7.571875)
    rc, s = score(results, model, "mt_bench", "--judge-model", "grader", "--allow-incomplete")
    assert rc == 0 and s["metrics"]["mt_bench"] == 5.0 and s["status"] == "incomplete"
    assert len(stored(results, model, "mt_bench")[1]) == 166
