"""Judge presets: validation, pinned prompts, the registry, and applying a preset to requests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from harness.benchmarks.alpaca_eval import protocol as ae
from harness.benchmarks.arena_hard import protocol as ah
from harness.benchmarks.base import JudgeOptions
from harness.benchmarks.mt_bench import protocol as mt
from harness.errors import HarnessError
from harness.judges.base import JudgeRequest
from harness.judges.client import batch_price_for, price_for
from harness.judges.presets import (
    PRESETS_DIR,
    get_preset,
    load_preset_file,
    load_presets,
    official_preset,
    preset_names,
    prompt_text,
    protocol_of,
    sha256_of,
)
from harness.manifest import sha256_text

SHIPPED = ["gpt-4", "gpt-4-1106-preview", "gpt-4.1", "llama-3.1-70b-instruct", "qwen2.5-72b-instruct"]


def _write(tmp_path: Path, name: str, edit=None) -> Path:
    data = yaml.safe_load((PRESETS_DIR / "llama-3.1-70b-instruct.yaml").read_text())
    data["name"] = name
    if edit:
        edit(data)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_shipped_presets_load_and_their_prompts_match_the_pins():
    presets = load_presets()
    assert sorted(presets) == SHIPPED and preset_names() == list(presets)
    for p in presets.values():
        for bench in p.benchmarks:
            hashes = p.verify(bench)
            assert set(hashes) == set(protocol_of(bench).prompts)
    assert get_preset("gpt-4-1106-preview").verify("alpaca_eval") == {"alpaca_eval_clf": ae.prompt_sha256()}
    # the same hashes the MT-Bench score manifest records for its judge prompts
    assert set(get_preset("gpt-4").verify("mt_bench").values()) == {
        sha256_text(p.system_prompt + "\x1f" + p.prompt_template) for p in mt.PROMPTS.values()}


def test_pinned_prompts_are_the_official_files(shared_dir):
    """The pinned protocol prompts are FastChat's judge_prompts.jsonl and arena-hard's own."""
    official = {r["name"]: r for r in map(json.loads, (shared_dir / "data/mt_bench/judge_prompts.jsonl").open())}
    for pid, source in protocol_of("mt_bench").prompts.items():
        system, template = prompt_text(source).split("\x1f")
        assert (system, template) == (official[pid]["system_prompt"], official[pid]["prompt_template"])
    game = json.loads((shared_dir / "official_files/arena_hard/model_judgment/gpt-4-1106-preview/"
                       "Pythia-12B-DPO-UltraFeedback.jsonl").open().readline())["games"][0]["user_prompt"]
    assert game.startswith("<|User Prompt|>\n") and "<|The Start of Assistant B's Answer|>" in game
    assert prompt_text(protocol_of("arena_hard").prompts["system"]) == ah.SYSTEM_PROMPT


def test_one_official_preset_per_benchmark_with_the_protocol_judge():
    assert official_preset("alpaca_eval").model == ae.DEFAULT_JUDGE_MODEL == "gpt-4-1106-preview"
    assert official_preset("arena_hard").model == ah.JUDGE_MODEL
    assert official_preset("mt_bench").model == mt.JUDGE_MODEL == "gpt-4"
    for p in load_presets().values():
        if p.serving.kind == "vllm":
            assert not p.official_benchmarks and p.price_per_mtok is None and p.batch_price_per_mtok is None
            assert p.judging("mt_bench").reference_model == "gpt-4"  # FastChat has no references under its name
        else:  # list and batch prices agree with the client's price table
            assert p.price() == price_for(p.model) and p.price(batch=True) == batch_price_for(p.model)


def test_edited_prompt_is_an_error(monkeypatch):
    preset = get_preset("llama-3.1-70b-instruct")
    preset.verify("arena_hard")
    monkeypatch.setattr(ah, "SYSTEM_PROMPT", ah.SYSTEM_PROMPT.replace("impartial", "fair"))
    with pytest.raises(HarnessError, match=r"prompt 'system' .* \(was it edited\?\)"):
        preset.verify("arena_hard")
    with pytest.raises(HarnessError, match="was it edited"):
        preset.manifest("arena_hard")
    preset.verify("mt_bench")  # other benchmarks are unaffected


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.update(temperature=0.5), "temperature: Extra inputs are not permitted"),
    (lambda d: d["benchmarks"]["arena_hard"]["prompts"].pop(), "must pin exactly the protocol's prompts"),
    (lambda d: d["benchmarks"]["arena_hard"].update(parser="harness.benchmarks.mt_bench.protocol:parse_rating"),
     "implements protocol"),
    (lambda d: d["benchmarks"].update(gsm8k=d["benchmarks"]["mt_bench"]), "benchmarks.gsm8k"),
    (lambda d: d["benchmarks"]["arena_hard"].update(reference_model="gpt-4"), r"reference_model is for benchmarks graded against reference answers \(mt_bench\)"),
    (lambda d: d["benchmarks"]["arena_hard"].update(official=True), "official means 'gpt-4-1106-preview'"),
    (lambda d: d.update(batch_price_per_mtok=[1.0, 2.0]), "only for judges served by OpenAI"),
    (lambda d: d["serving"].pop("max_model_len"), "serving.vllm.max_model_len: Field required"),
    (lambda d: d["benchmarks"]["alpaca_eval"]["prompts"][0].update(sha256="x"), "sha256: String should match"),
])
def test_malformed_presets_name_the_file_and_field(tmp_path, edit, message):
    with pytest.raises(HarnessError, match=message) as info:
        load_preset_file(_write(tmp_path, "mine", edit))
    assert str(info.value).startswith("judge preset mine.yaml: ")


def test_registry_lookup_versions_paths_and_typos(tmp_path):
    assert get_preset("gpt-4@1").name == "gpt-4"
    with pytest.raises(HarnessError, match="is version 1 here, not 2"):
        get_preset("gpt-4@2")
    with pytest.raises(HarnessError, match="did you mean 'qwen2.5-72b-instruct'"):
        get_preset("qwen2.5-72b")
    path = _write(tmp_path, "my-judge")
    assert get_preset(str(path)).name == "my-judge"
    with pytest.raises(HarnessError, match="must equal the file name"):
        load_preset_file(path.rename(tmp_path / "other.yaml"))
    with pytest.raises(HarnessError, match="other.yaml: field name"):
        preset_names(tmp_path)  # a preset directory of one's own is validated as a whole
    _write(tmp_path, "other")
    assert preset_names(tmp_path) == ["other"] and get_preset("other", tmp_path).name == "other"


def test_sha256_covers_content_and_prompt_pins(tmp_path):
    base = load_preset_file(_write(tmp_path, "a"))
    assert base.sha256 == load_preset_file(_write(tmp_path, "a")).sha256 == sha256_of(
        json.dumps(base.model_dump(mode="json"), sort_keys=True, ensure_ascii=False))
    other_pin = load_preset_file(_write(tmp_path, "a", lambda d: d["benchmarks"]["alpaca_eval"]["prompts"][0].update(
        sha256="0" * 64)))
    longer = load_preset_file(_write(tmp_path, "a", lambda d: d["serving"].update(max_model_len=16384)))
    assert len({base.sha256, other_pin.sha256, longer.sha256}) == 3
    with pytest.raises(HarnessError, match="was it edited"):
        other_pin.verify("alpaca_eval")


def test_apply_options_parser_and_manifest(tmp_path):
    def decoding(d):
        d["benchmarks"]["arena_hard"]["decoding"] = {"max_tokens": 2048, "seed": 7}

    preset = load_preset_file(_write(tmp_path, "capped", decoding))
    req = ah.judge_request(ah.game_messages("q", "answer", "baseline", 0))
    sent = preset.apply("arena_hard", req)
    assert (sent.model, sent.max_tokens, sent.seed, sent.temperature) == ("meta-llama/Llama-3.1-70B-Instruct", 2048, 7, 0.0)
    assert sent.messages == req.messages and sent.cache_key() != req.cache_key()
    assert preset.apply("mt_bench", req).max_tokens == ah.MAX_TOKENS  # decoding is per benchmark
    assert preset.judge_options("arena_hard") == JudgeOptions(judge_model=preset.model, max_tokens=2048)
    assert preset.judge_options("mt_bench") == JudgeOptions(judge_model=preset.model, reference_model="gpt-4")
    assert preset.parser("arena_hard")("verdict: [[B>A]]") == ("B>A", False)
    assert preset.parser("mt_bench")("Rating: [[7]]") == 7
    m = preset.manifest("arena_hard")
    assert m["judge_preset"] == "capped" and m["judge_preset_sha256"] == preset.sha256 and not m["judge_official"]
    assert m["judge_prompts_sha256"]["system"] == sha256_text(ah.SYSTEM_PROMPT)
    assert get_preset("gpt-4-1106-preview").manifest("alpaca_eval")["judge_official"] is True
    with pytest.raises(HarnessError, match="has no 'arena_hard' protocol"):
        get_preset("gpt-4").apply("arena_hard", req)


def test_preset_client_applies_model_and_decoding_to_every_request(tmp_path):
    from harness.judges.presets import PresetJudgeClient
    from tests.helpers.fake_judge import FakeJudgeClient

    preset = load_preset_file(_write(tmp_path, "seeded", lambda d: d["benchmarks"]["alpaca_eval"].update(
        decoding={"seed": 3, "top_logprobs": 10})))
    inner = FakeJudgeClient(lambda req: "m")
    client = PresetJudgeClient(inner, preset, "alpaca_eval")
    req = JudgeRequest.from_messages(ae.DEFAULT_JUDGE_MODEL, [{"role": "user", "content": "x"}], **ae.JUDGE_KWARGS)
    assert [r.content for r in client.complete_many([req, req])] == ["m", "m"]
    sent = inner.requests[0]
    assert (sent.model, sent.seed, sent.top_logprobs, sent.max_tokens, sent.temperature) == (
        preset.model, 3, 10, 1, 1.0)
    assert client.batches == [2]  # attributes of the wrapped client show through
    with pytest.raises(HarnessError, match="has no 'alpaca_eval' protocol"):
        PresetJudgeClient(inner, get_preset("gpt-4"), "alpaca_eval")


def test_protocols_come_from_the_benchmark_specs():
    """One place: a preset validates against what the benchmark's spec declares."""
    from harness.benchmarks import get_spec

    assert protocol_of("arena_hard") is get_spec("arena_hard").judge.protocol
    with pytest.raises(ValueError, match="did you mean 'arena_hard'"):
        protocol_of("arena_hardd")
    with pytest.raises(ValueError):
        protocol_of("gsm8k")  # not judged


def test_a_preset_file_that_is_not_there_says_so(tmp_path):
    with pytest.raises(HarnessError, match=r"judge preset file .*nofile\.yaml not found"):
        get_preset(str(tmp_path / "nofile.yaml"))
