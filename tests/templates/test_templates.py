"""Golden tests: our rendering equals the SimPO authors' templates byte for byte."""

from __future__ import annotations

import dataclasses
import gzip
import json
import shutil
from pathlib import Path

import pytest

from harness import templates as T
from harness.errors import HarnessError
from tests.helpers.tiny_model import build_tiny_llama

ALPACA_TXT = {"llama3.txt": "llama3", "llama3-nobos.txt": "llama3-nobos",
              "mistral_base.txt": "mistral-base", "mistral_instruct.txt": "mistral-instruct"}
ARENA_JINJA = {"llama3.jinja": "llama3", "gemma.jinja": "gemma2",
               "mistral_base.jinja": "mistral-base", "mistral_instruct.jinja": "mistral-instruct"}
CHAT_JSON = {"llama3": "llama3", "mistral-instruct": "mistral-instruct", "mistral-base": "mistral-base"}


@pytest.fixture(scope="module")
def alpaca_instructions(shared_dir: Path) -> list[str]:
    path = shared_dir / "alpaca_eval_validation_data/model_outputs/gpt4_1106_preview.model_outputs.json.gz"
    with gzip.open(path) as fh:
        rows = json.loads(fh.read())
    assert len(rows) == 805
    return [r["instruction"] for r in rows]


@pytest.fixture(scope="module")
def conversations(shared_dir: Path) -> list[list[dict[str, str]]]:
    """Arena-Hard prompts (single turn) and MT-Bench two-turn conversations with reference answers."""
    convs = []
    for line in (shared_dir / "data/arena_hard_v0.1/question.jsonl").read_text().splitlines():
        convs.append([{"role": "user", "content": json.loads(line)["prompt"]}])
    refs = {}
    for line in (shared_dir / "data/simpo_eval/mt-bench/gpt-4-1106-preview.jsonl").read_text().splitlines():
        r = json.loads(line)
        refs[r["question_id"]] = r["choices"][0]["turns"]
    for line in (shared_dir / "data/mt_bench/question.jsonl").read_text().splitlines():
        q = json.loads(line)
        # GPT-4-Turbo reference answers where the authors have one, else a padded stand-in.
        answer = refs.get(q["question_id"], ["  A stand-in answer.\n\n"])[0]
        convs.append([{"role": "user", "content": q["turns"][0]}, {"role": "assistant", "content": answer},
                      {"role": "user", "content": q["turns"][1]}])
    assert len(convs) == 580
    return convs


@pytest.mark.parametrize("filename", sorted(ALPACA_TXT))
def test_alpaca_eval_templates_byte_exact(shared_dir, alpaca_instructions, filename):
    txt = (shared_dir / "data/simpo_eval/alpacaeval2/templates" / filename).read_text(encoding="utf-8")
    tpl = T.get_template(ALPACA_TXT[filename], benchmark="alpaca_eval", authors_exact=True)
    for instruction in alpaca_instructions:
        ours = tpl.render([{"role": "user", "content": instruction}])
        assert ours == txt.format(instruction=instruction), instruction[:80]


def test_llama3_default_trims_where_authors_alpaca_template_does_not(shared_dir, alpaca_instructions):
    txt = (shared_dir / "data/simpo_eval/alpacaeval2/templates/llama3.txt").read_text(encoding="utf-8")
    default = T.get_template("llama3")
    differ = [i for i in alpaca_instructions if default.render([{"role": "user", "content": i}])
              != txt.format(instruction=i)]
    assert differ and all(i != i.strip() for i in differ)


@pytest.mark.parametrize("filename", sorted(ARENA_JINJA))
def test_arena_hard_templates_byte_exact(shared_dir, conversations, filename):
    source = (shared_dir / "data/simpo_eval/arenahard/templates" / filename).read_text(encoding="utf-8")
    tpl = T.get_template(ARENA_JINJA[filename], benchmark="arena_hard", authors_exact=True)
    for conv in conversations:
        theirs = T.render_jinja(source, conv, bos_token=tpl.bos_token, eos_token=tpl.eos_token)
        assert tpl.render(conv) == theirs


def test_arena_hard_mistral_instruct_with_system_prompt(shared_dir):
    source = (shared_dir / "data/simpo_eval/arenahard/templates/mistral_instruct.jinja").read_text()
    tpl = T.get_template("mistral-instruct", benchmark="arena_hard", authors_exact=True)
    conv = [{"role": "system", "content": " Be brief. "}, {"role": "user", "content": "Hi "},
            {"role": "assistant", "content": " Hello! "}, {"role": "user", "content": "Bye"}]
    assert tpl.render(conv) == T.render_jinja(source, conv, bos_token="<s>", eos_token="</s>")
    # ... and the default (official) Mistral-Instruct template renders it differently.
    assert T.get_template("mistral-instruct").render(conv[1:]) != tpl.render(conv[1:])


@pytest.mark.parametrize("name", sorted(CHAT_JSON))
def test_chat_templates_json_byte_exact(shared_dir, conversations, name):
    source = json.loads((shared_dir / "data/simpo_eval/chat_templates.json").read_text())[name]
    tpl = T.get_template(CHAT_JSON[name])
    for conv in conversations:
        assert tpl.render(conv) == T.render_jinja(source, conv, bos_token=tpl.bos_token, eos_token=tpl.eos_token)


def test_every_template_renders_and_is_pinned():
    for tid in T.TEMPLATE_IDS:
        tpl = T.get_template(tid)
        assert len(tpl.sha256) == 64 and tpl.sha256 == T.pinned_sha256()[f"{tid}.jinja"]
        assert tpl.render([{"role": "user", "content": "hi"}])
    for bench, tid in T.authors_variants():
        variant = T.get_template(tid, benchmark=bench, authors_exact=True)
        assert variant.id == f"{bench}.{tid}" and variant.sha256 != T.get_template(tid).sha256
    # No authors' variant: the default is used.
    assert T.get_template("gemma2", benchmark="alpaca_eval", authors_exact=True).id == "gemma2"


def test_edited_template_file_is_refused(tmp_path, monkeypatch):
    for f in T.TEMPLATE_DIR.glob("*.jinja"):
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "llama3.jinja").write_text((tmp_path / "llama3.jinja").read_text() + " ")
    monkeypatch.setattr(T, "TEMPLATE_DIR", tmp_path)
    with pytest.raises(HarnessError, match="pinned sha256"):
        T.get_template("llama3")


def test_unknown_template_suggests():
    with pytest.raises(HarnessError, match="did you mean 'llama3'"):
        T.get_template("llama-3")


@pytest.fixture(scope="module")
def tiny_tokenizer(tmp_path_factory):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(build_tiny_llama(tmp_path_factory.mktemp("tiny")))


def test_render_to_ids_has_exactly_one_bos_and_matches_hf(tiny_tokenizer):
    conv = [{"role": "user", "content": "what is the answer?"}, {"role": "assistant", "content": "two"},
            {"role": "user", "content": "and three?"}]
    with_bos = T.get_template("llama3").render_to_ids(tiny_tokenizer, conv)
    no_bos = T.get_template("llama3-nobos").render_to_ids(tiny_tokenizer, conv)
    assert with_bos.token_ids == no_bos.token_ids
    assert with_bos.token_ids.count(tiny_tokenizer.bos_token_id) == 1
    assert with_bos.token_ids[0] == tiny_tokenizer.bos_token_id
    assert not no_bos.text.startswith(tiny_tokenizer.bos_token)
    hf = tiny_tokenizer.apply_chat_template(conv, add_generation_prompt=True, tokenize=False)
    assert with_bos.text == hf
    assert list(with_bos.token_ids) == tiny_tokenizer(hf, add_special_tokens=False)["input_ids"]


def test_double_bos_raises(tiny_tokenizer):
    tpl = T.get_template("llama3")
    conv = [{"role": "user", "content": "hi"}]
    # The classic bug: a template with BOS in its text, tokenized with add_special_tokens=True.
    doubled = tiny_tokenizer(tpl.render(conv, bos_token=tiny_tokenizer.bos_token))["input_ids"]
    assert doubled[:2] == [tiny_tokenizer.bos_token_id] * 2
    with pytest.raises(HarnessError, match="present 2 times"):
        T.check_single_bos(doubled, tiny_tokenizer.bos_token_id, tpl)
    # A template that has BOS in its text but is declared BOS-less also trips the check.
    wrong = dataclasses.replace(tpl, bos_policy="prepend")
    with pytest.raises(HarnessError, match="exactly one BOS"):
        wrong.render_to_ids(tiny_tokenizer, conv)
    missing = dataclasses.replace(T.get_template("llama3-nobos"), bos_policy="template")
    with pytest.raises(HarnessError, match="missing"):
        missing.render_to_ids(tiny_tokenizer, conv)


def test_custom_template_file(tmp_path, tiny_tokenizer):
    path = tmp_path / "plain.jinja"
    path.write_text("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}assistant:")
    tpl = T.get_template(str(path))
    assert tpl.bos_policy == "prepend"
    out = tpl.render_to_ids(tiny_tokenizer, [{"role": "user", "content": "hi"}])
    assert out.token_ids[0] == tiny_tokenizer.bos_token_id and out.text == "user: hi\nassistant:"
