"""`simpo-harness report`: one HTML file with the table, the paired comparisons, the analysis figures
and the item browser (its rendering in Chromium is tested in tests/report/test_browser.py)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from harness.cli import main
from harness.compare.runs import CompareSettings, compare_runs
from harness.report.html import DATA_ELEMENT_ID
from tests.compare import native_runs as nr

FIGURE = re.compile(r'<figure><img alt="([^"]*)" src="data:image/svg\+xml;base64,([^"]+)">')


def write(capsys, out: Path, *argv: str) -> str:
    assert main(["report", *argv, "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}")
    return out.read_text(encoding="utf-8")


def figures(html: str) -> dict[str, str]:
    return {title: base64.b64decode(data).decode("utf-8") for title, data in FIGURE.findall(html)}


def points(svg: str, gid: str) -> int:
    """Markers drawn in the SVG group of a figure artist (its gid is the group's id)."""
    start = svg.index(f'id="{gid}"')
    return svg[start: svg.index("</g>", start)].count("<use")


def browser_data(html: str) -> dict:
    blob = html.split(f'id="{DATA_ELEMENT_ID}">', 1)[1].split("</script>", 1)[0]
    return json.loads(blob)


def test_official_runs_with_the_data(official, shared_dir, tmp_path, capsys, offline):
    data = shared_dir / "alpaca_eval_validation_data"
    html = write(capsys, tmp_path / "r.html", "--models", "claude-2,alpaca-7b", "--results-dir", str(official),
                 "--data-dir", str(data), "--rounds", "500")
    expected = compare_runs(official, ["claude-2", "alpaca-7b"], settings=CompareSettings(rounds=500),
                            data_dir=data).comparisons
    compare = html.split('<section id="compare">', 1)[1].split("</section>", 1)[0]
    assert compare.count("<tr") == 1 + len(expected) == 3  # header + WR + LC
    assert f"{expected[0].estimate:+.2f}" in compare and "claude-2" in compare and "500" in compare
    figs = figures(html)
    assert list(figs) == ["AlpacaEval 2: win rate and LC win rate vs length", "AlpacaEval 2 within each run",
                          "AlpacaEval 2 length exploitation per run"]
    across = figs["AlpacaEval 2: win rate and LC win rate vs length"]
    assert points(across, "across-wr-backdrop") == points(across, "across-lc-backdrop") == 223
    assert points(across, "across-wr-model-reproduced-other") == 2  # the two runs of the report
    within = figs["AlpacaEval 2 within each run"]
    for model in ("claude_2", "alpaca_7b"):  # the LC model's curve: the published GLM weights apply
        assert f'id="aewithin-{model}-curve"' in within and f'id="aewithin-{model}-bins"' in within
    (section,) = browser_data(html)["sections"]
    assert section["models"] == ["claude-2", "alpaca-7b"] and len(section["items"]) == 805
    assert "no leaderboard backdrop" not in html


def test_without_a_data_dir_it_says_what_is_missing(official, tmp_path, capsys, offline):
    html = write(capsys, tmp_path / "r.html", "--results-dir", str(official), "--rounds", "200")
    assert "no leaderboard backdrop: pass --data-dir" in html
    assert "no paired LC for" in html  # the LC row says why, with no number
    across = figures(html)["AlpacaEval 2: win rate and LC win rate vs length"]
    assert 'id="across-wr-backdrop"' not in across and points(across, "across-wr-model-reproduced-other") == 2


def test_native_runs_of_several_benchmarks(native, native_data, shared_dir, tmp_path, capsys):
    data = tmp_path / "data"  # one data root, a subfolder per benchmark (as --data-dir documents)
    data.mkdir()
    for name, target in (("arena_hard_v0.1", shared_dir / "data/arena_hard_v0.1"),
                         ("mt_bench", shared_dir / "data/mt_bench"), ("gsm8k", native_data / "gsm8k")):
        (data / name).symlink_to(target)
    html = write(capsys, tmp_path / "r.html", "--models", "strong,weak", "--results-dir", str(native),
                 "--data-dir", str(data), "--rounds", "200", "--baseline", "weak")
    sections = {s["benchmark"]: s for s in browser_data(html)["sections"]}
    assert set(sections) == {"arena_hard", "mt_bench"}
    assert sections["arena_hard"]["kind"] == "games" and len(sections["arena_hard"]["items"]) == nr.N_ARENA
    assert sections["mt_bench"]["kind"] == "rating" and sections["mt_bench"]["title"] == "MT-Bench"
    arena = figures(html)["Arena-Hard within each run"]
    assert 'id="ahwithin-strong-bins"' in arena and 'id="ahwithin-weak-bins"' in arena
    compare = html.split('<section id="compare">', 1)[1].split("</section>", 1)[0]
    assert compare.count("<tr") == 3 and "arena_hard" in compare and "mt_bench" in compare


def test_parts_can_be_left_out(official, tmp_path, capsys, offline):
    html = write(capsys, tmp_path / "r.html", "--results-dir", str(official), "--models", "claude-2",
                 "--no-figures", "--benchmarks", "alpaca_eval")
    assert '<section id="figures">' not in html and '<section id="compare">' not in html
    html = write(capsys, tmp_path / "r.html", "--results-dir", str(official), "--no-figures", "--no-compare")
    assert '<section id="compare">' not in html and browser_data(html)["models"] == ["alpaca-7b", "claude-2"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--models", ","], "--models needs at least one model"),
    (["--models", "nobody"], "no results for nobody"),
    (["--models", "claude-2,alpaca-7b", "--baseline", "gpt-4"], "is not one of the report's models"),
    (["--rounds", "0"], "rounds must be a positive integer"),
])
def test_user_mistakes(official, tmp_path, capsys, argv, message):
    assert main(["report", *argv, "--results-dir", str(official), "--out", str(tmp_path / "r.html")]) == 2
    assert message in capsys.readouterr().err and not (tmp_path / "r.html").exists()


def test_report_of_a_study_takes_its_models_benchmarks_and_baseline(tmp_path, shared_dir, capsys, monkeypatch):
    """`report --study NAME` after a study of two imported published AlpacaEval runs: both models,
    its pair against the study's baseline (WR, and LC from the study's data directory)."""
    import yaml

    from tests.report.builders import official_alpaca_results

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-used")  # the official judge: its judgments are all there
    results = official_alpaca_results(tmp_path / "results", shared_dir)
    study = tmp_path / "pair.yaml"
    study.write_text(yaml.safe_dump({
        "name": "pair", "models": [{"imported": "claude-2"}, {"imported": "alpaca-7b"}],
        "benchmarks": ["alpaca_eval"], "data_dir": str(shared_dir / "alpaca_eval_validation_data"),
        "baseline": "alpaca-7b"}), encoding="utf-8")
    assert main(["study", str(study), "--results-dir", str(results), "--no-progress"]) == 0
    capsys.readouterr()
    out = tmp_path / "study.html"
    argv = ["report", "--study", "pair", "--results-dir", str(results), "--rounds", "200", "--no-figures"]
    assert main([*argv, "--out", str(out)]) == 0
    assert "2 model(s), 1 benchmark(s), 805 items, 2 comparison(s)" in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    assert browser_data(html)["models"] == ["claude-2", "alpaca-7b"] and "simpo-harness report: study pair" in html
    compare = html.split('<section id="compare">', 1)[1].split("</section>", 1)[0]
    assert "claude-2" in compare and "alpaca-7b" in compare and "+14.60" in compare
    assert main(["report", "--study", "pairs", "--results-dir", str(results), "--out", str(out)]) == 2
    assert "did you mean 'pair'" in capsys.readouterr().err
    assert main(["report", "--study", "pair", "--models", "x", "--results-dir", str(results), "--out", str(out)]) == 2
