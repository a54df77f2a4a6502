"""Judge flags that cannot work fail at once, as one line; a failed judge pass says why."""

from __future__ import annotations

import yaml

from harness.cli import main


def test_judge_base_url_must_be_http(tmp_path, capsys):
    argv = ["run", "--benchmarks", "mt_bench", "--limit", "1", "--results-dir", str(tmp_path), "--dry-run"]
    assert main([*argv, "--judge-base-url", "notaurl"]) == 2
    assert "--judge-base-url 'notaurl' is not an http(s) URL" in capsys.readouterr().err


def test_judge_model_without_key_or_url_is_refused_not_faked_by_the_embedded_judge(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["judge", "--model", "m", "--benchmark", "mt_bench", "--judge-model", "gpt-4",
                 "--results-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--judge-model gpt-4 needs $OPENAI_API_KEY or --judge-base-url" in err and "Traceback" not in err


def test_study_of_an_unknown_imported_run_names_the_runs_there(tmp_path, capsys):
    results = tmp_path / "results"
    (results / "claude-2" / "alpaca_eval").mkdir(parents=True)
    (results / "claude-2" / "alpaca_eval" / "generations.jsonl").write_text("")  # a run (of no records)
    study = tmp_path / "s.yaml"
    study.write_text(yaml.safe_dump({"name": "s", "models": [{"imported": "claud-2"}], "benchmarks": ["alpaca_eval"]}))
    assert main(["study", str(study), "--results-dir", str(results), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "models.0: unknown imported run 'claud-2'" in err and "did you mean 'claude-2'" in err
    study.write_text(yaml.safe_dump({"name": "s", "models": [{"imported": "claude-2"}], "benchmarks": ["mt_bench"]}))
    assert main(["study", str(study), "--results-dir", str(results), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "the study has nothing to run: claude-2: imported run has no results on mt_bench" in err
