"""harness.pipeline: lazy backend / judge, plans, and the generate -> judge -> score wiring."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import pytest

import harness.backends as backends
from harness.backends.base import Backend, GenerationRequest, GenerationResult, SamplingParams
from harness.errors import HarnessError
from harness.judges.base import JudgeClient, JudgeRequest
from harness.judges.local_server import LocalJudgeServer, hashed_preference_responder
from harness.pipeline.generate_stage import LazyBackend
from harness.pipeline.jobs import ModelSession
from harness.pipeline.judge_stage import JudgeSession
from harness.pipeline.runner import plan_job, run_job
from harness.pipeline.settings import GenerationSettings, JudgeSettings, StoreSettings
from tests.helpers import run_env
from tests.helpers.run_env import N_ITEMS


class ScriptedBackend(Backend):
    """Answers item 000 with its reference (a tie, judged without a call), others with fixed text."""

    name = "scripted"

    def __init__(self, references: dict[str, str]) -> None:
        self.references = references  # prompt substring (instruction) -> reference output
        self.requests: list[GenerationRequest] = []
        self.closed = False

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        for req in requests:
            self.requests.append(req)
            instruction = next(i for i in self.references if i in req.prompt_text)
            index = list(self.references).index(instruction)
            text = self.references[instruction] if index == 0 else \
                f"answer {index} in {req.params.max_new_tokens} tokens"
            yield GenerationResult(request_id=req.request_id, text=text, num_prompt_tokens=len(req.prompt_token_ids),
                                   num_output_tokens=3, finish_reason="stop", seconds=0.0)

    def close(self) -> None:
        self.closed = True


@pytest.fixture()
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return run_env.make_env(tmp_path)


@pytest.fixture()
def scripted(monkeypatch):
    built: list[ScriptedBackend] = []
    refs = {r["instruction"]: r["output"] for r in run_env.reference_records()}

    def create_backend(name, model, options, **kwargs):
        built.append(ScriptedBackend(refs))
        return built[-1]

    monkeypatch.setattr(backends, "create_backend", create_backend)
    return built


class Run:
    """One model's settings on the run environment, as `run` builds them from its flags."""

    def __init__(self, env: run_env.RunEnv, results, url: str | None, *, limit: int | None = None,
                 max_new_tokens: int = 8, judge_model: str | None = None, data_dir=None,
                 reference_model: str | None = None) -> None:
        self.gen = GenerationSettings(template="llama3", max_new_tokens=max_new_tokens, limit=limit)
        self.judge = JudgeSettings(judge_base_url=url, backoff=0.01, judge_model=judge_model,
                                   reference_model=reference_model)
        self.store = StoreSettings(results_dir=results, data_dir=data_dir or env.data_dir, progress=False)
        self.session = ModelSession(str(env.model_dir), self.store, self.gen.template)

    def job(self, name: str = "alpaca_eval"):
        return self.session.job(name, self.gen)

    def plan(self, name: str = "alpaca_eval"):
        return plan_job(self.job(name), self.gen, self.judge)

    def run(self, name: str = "alpaca_eval") -> dict:
        judge = JudgeSession(self.judge, progress=False)
        try:
            return run_job(self.job(name), self.session, judge, self.gen, self.store).payload
        finally:
            judge.close()


# --------------------------------------------------------------------------- lazy resources
def test_lazy_backend_builds_on_first_real_request_only():
    made: list[ScriptedBackend] = []

    def factory():
        made.append(ScriptedBackend({"hello": "ref"}))
        return made[-1]

    lazy = LazyBackend(factory)
    assert list(lazy.generate([])) == [] and not lazy.started and made == []
    lazy.close()  # closing an unstarted backend is a no-op
    req = GenerationRequest(request_id="r1", prompt_token_ids=(1, 2), params=SamplingParams(), prompt_text="hello")
    assert [r.text for r in lazy.generate([req])] == ["ref"]
    assert [r.request_id for r in lazy.generate([req])] == ["r1"]
    assert len(made) == 1 and lazy.started and lazy.backend_name == "scripted"
    lazy.close()
    assert made[0].closed


def test_judge_session_starts_on_first_request(tmp_path):
    cache = tmp_path / "judge_cache.sqlite"
    with LocalJudgeServer(hashed_preference_responder) as srv:
        session = JudgeSession(JudgeSettings(judge_base_url=srv.base_url), progress=False)
        session.use(cache, "test")
        assert session.endpoint == srv.base_url
        assert session.complete_many([]) == [] and session.client is None and not cache.exists()
        assert session.usage() == {"calls": 0, "failures": 0}
        req = JudgeRequest.from_messages("gpt-4-1106-preview", [{"role": "user", "content": "hi"}], max_tokens=1,
                                         logprobs=True, top_logprobs=5)
        [resp] = session.complete_many([req])
        assert resp.content in ("m", "M") and srv.request_count == 1
        [again] = session.complete_many([req])
        assert again.cached and srv.request_count == 1
        assert session.usage()["calls"] == 1 and session.usage()["cache_hits"] == 1
        session.close()
    assert cache.is_file()


def test_judge_choice_embedded_or_remote(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    embedded = JudgeSettings()
    assert embedded.embedded and embedded.model_for("gpt-4-1106-preview") == "smollm2-135m-instruct"
    assert embedded.endpoint == "embedded:smollm2-135m-instruct"  # stable, whatever port it is served on
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    assert not embedded.embedded and embedded.model_for("gpt-4-1106-preview") == "gpt-4-1106-preview"
    assert embedded.endpoint == "https://api.openai.com/v1"
    assert JudgeSettings(judge_model="gpt-4o").model_for("gpt-4-1106-preview") == "gpt-4o"


# --------------------------------------------------------------------------- pipeline
def test_pipeline_generates_judges_scores_and_plans(env, tmp_path, scripted):
    results = tmp_path / "results"
    with LocalJudgeServer(hashed_preference_responder) as srv:
        run = Run(env, results, srv.base_url)
        plan = run.plan()
        assert (plan.n_items, plan.generation_units, plan.generations_cached, plan.judged_items,
                plan.judge_calls_todo, plan.generations_todo) == (N_ITEMS, N_ITEMS, 0, 0, N_ITEMS, N_ITEMS)
        assert scripted == []  # planning loads no model
        payload = run.run()
        assert len(scripted) == 1 and len(scripted[0].requests) == N_ITEMS and scripted[0].closed
        assert srv.request_count == N_ITEMS - 1  # item 000 equals the reference: 1.5 without a call
        assert all(r.params.max_new_tokens == 8 for r in scripted[0].requests)

    run_dir = run_env.run_dir(results)
    gens = run_env.generations(results)
    manifest = json.loads((run_dir / "generation_manifest.json").read_text())
    assert {g["run_config"] for g in gens} == {manifest["run_config"]}
    assert manifest["n_items"] == N_ITEMS and manifest["backend"] in ("transformers", "vllm")
    prefs = run_env.preferences_by_item(results)
    assert prefs["000"] == 1.5 and all(1 <= p <= 2 for p in prefs.values())
    assert payload == run_env.scores(results) and payload["status"] == "complete"
    assert payload["metrics"]["ae2_wr"] == pytest.approx(100 * sum(p - 1 for p in prefs.values()) / N_ITEMS)
    judge = payload["manifest"]["this_run"]["judge"]
    assert judge["judge_endpoint"] == srv.base_url and judge["embedded_local_judge"] is False
    assert judge["usage"]["calls"] == N_ITEMS - 1 and judge["judge_model"] == "gpt-4-1106-preview"
    assert payload["manifest"]["generation"]["run_config"] == manifest["run_config"]
    assert "OPENAI_API_KEY" not in json.dumps(payload).replace('"api_key_env": "OPENAI_API_KEY"', "")

    after = run.plan()
    assert (after.generations_cached, after.generations_todo, after.judged_items) == (N_ITEMS, 0, N_ITEMS)


def test_new_decoding_settings_regenerate_and_rejudge_changed_outputs(env, tmp_path, scripted):
    results = tmp_path / "results"
    with LocalJudgeServer(hashed_preference_responder) as srv:
        Run(env, results, srv.base_url).run()
        first = run_env.scores(results)
        payload = Run(env, results, srv.base_url, max_new_tokens=16).run()
        # a new configuration: every item decoded again; the changed outputs judged again
        assert [len(b.requests) for b in scripted] == [N_ITEMS, N_ITEMS]
        assert srv.request_count == 2 * (N_ITEMS - 1)
        # back to the first configuration: all cached, nothing decoded or judged
        again = Run(env, results, srv.base_url).run()
        assert len(scripted) == 2 and srv.request_count == 2 * (N_ITEMS - 1)
        plan = Run(env, results, srv.base_url).plan()
    assert len(run_env.generations(results)) == 2 * N_ITEMS
    assert payload["n"] == N_ITEMS and payload["details"]["avg_length_exact"] > first["details"]["avg_length_exact"]
    rows = run_env.annotations(results)
    # 6 rows, then 5 for the changed outputs (the tie, item 000, did not change); back at the first
    # configuration its rows are still there, so nothing is appended, and the score uses them again
    # (the 16-token rows are stale for the current generations)
    assert len(rows) == N_ITEMS + (N_ITEMS - 1)
    assert sum("in 16 tokens" in r["output_2"] for r in rows) == N_ITEMS - 1
    assert again["metrics"] == first["metrics"] and again["details"]["n_stale_judgments"] == 0
    assert again["manifest"]["this_run"]["backend"] == "cached"
    assert (plan.generations_cached, plan.judged_items) == (N_ITEMS, N_ITEMS)  # items, not rows


def test_backend_losing_a_result_is_an_error(env, tmp_path, monkeypatch):
    class Lossy(ScriptedBackend):
        def generate(self, requests):
            yield from list(super().generate(requests))[1:]

    refs = {r["instruction"]: r["output"] for r in run_env.reference_records()}
    monkeypatch.setattr(backends, "create_backend", lambda *a, **k: Lossy(refs))
    with pytest.raises(HarnessError, match="returned no result for 1 prompt"):
        Run(env, tmp_path / "r", "http://127.0.0.1:9/v1").run()
    assert len(run_env.generations(tmp_path / "r")) == N_ITEMS - 1  # what did finish is kept


def test_limit_and_errors(env, tmp_path, scripted):
    run = Run(env, tmp_path / "r", "http://127.0.0.1:9/v1", limit=2)
    assert run.plan().n_items == 2
    with pytest.raises(HarnessError, match="--template is required"):
        ModelSession(str(env.model_dir), run.store)
    with pytest.raises(HarnessError, match="unknown benchmark 'gsm9k'"):
        run.plan("gsm9k")


# --------------------------------------------------------------------------- MT-Bench references
class _EchoBackend(Backend):
    name = "echo"

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        for req in requests:
            yield GenerationResult(request_id=req.request_id, text="The answer is 4.", num_prompt_tokens=1,
                                   num_output_tokens=5, finish_reason="stop", seconds=0.0)


class _RatingJudge(JudgeClient):
    def __init__(self) -> None:
        from harness.judges.client import RunUsage

        self.prompts: list[str] = []
        self.usage = RunUsage()
        self.cache = None
        self.progress = None

    def complete_many(self, requests):
        from harness.judges.base import JudgeResponse

        self.prompts.extend(r.messages[-1][1] for r in requests)
        return [JudgeResponse(content="Rating: [[7]]") for _ in requests]


@pytest.mark.parametrize(("reference_model", "expected_file"), [(None, "gpt-4"), ("gpt-4-turbo-refs", "gpt-4-turbo-refs")])
def test_embedded_judge_grades_reference_questions_against_gpt4_references(
    env, tmp_path, monkeypatch, reference_model, expected_file
):
    """The embedded judge has no reference answers of its own; FastChat's GPT-4 ones are used."""
    data = tmp_path / "mt_data"
    (data / "reference_answer").mkdir(parents=True)
    (data / "question.jsonl").write_text(json.dumps(
        {"question_id": 111, "category": "math", "turns": ["What is 2+2?", "And 3+3?"]}) + "\n")
    (data / "reference_answer" / f"{expected_file}.jsonl").write_text(json.dumps(
        {"question_id": 111, "choices": [{"turns": ["REF-4", "REF-6"]}]}) + "\n")
    monkeypatch.setattr(backends, "create_backend", lambda *a, **k: _EchoBackend())
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    judge = _RatingJudge()
    monkeypatch.setattr(JudgeSession, "_start", lambda self: setattr(self, "client", judge))
    payload = Run(env, tmp_path / "results", None, data_dir=data, reference_model=reference_model).run("mt_bench")
    assert payload["metrics"]["mt_bench"] == 7.0
    assert len(judge.prompts) == 2 and all("REF-4" in p for p in judge.prompts)
    assert payload["manifest"]["this_run"]["judge"]["embedded_local_judge"] is True
