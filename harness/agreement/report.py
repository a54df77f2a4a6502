"""The ``judge-agreement`` report as markdown (the JSON form is the report dict itself)."""

from __future__ import annotations

import json
from typing import Any


def _num(value: Any, digits: int = 3, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{float(value):+.{digits}f}" if signed else f"{float(value):.{digits}f}"


def _ci(ci: Any, digits: int = 2) -> str:
    return "-" if not ci else f"[{float(ci[0]):+.{digits}f}, {float(ci[1]):+.{digits}f}]"


def _shift_cells(s: dict[str, Any], digits: int = 2) -> str:
    return f"{_num(s['published'], digits)} | {_num(s['new'], digits)} | {_num(s['shift'], digits, True)} | {_ci(s['ci'])}"


def to_json(report: dict[str, Any]) -> str:
    from harness.store.jsonl import json_safe

    return json.dumps(json_safe(report), indent=1, ensure_ascii=False) + "\n"


def to_markdown(report: dict[str, Any]) -> str:
    j, s, a = report["judge"], report["sample"], report["agreement"]
    published = ", ".join(f"{k} ({v})" for k, v in report["published_judges"].items())
    preset = f" (preset {j['judge_preset']} v{j.get('judge_preset_version')}, sha256 " \
             f"{str(j.get('judge_preset_sha256'))[:12]}...)" if j.get("judge_preset") else ""
    lines = [
        f"# Judge agreement on {report['benchmark']}: {j['model']} @ {j['endpoint']}{preset}",
        "",
        f"- published judge(s): {published}",
        f"- sample: {s['n']} of {s['n_available']} published judgments (seed {s['seed']}), {s['n_models']} models, "
        f"{len(s['files'])} files",
        f"- judged: {report['n_judged']} ({report['n_cached']} from the cache), failed: {report['n_failed']}, "
        f"new answers without a verdict: {report['n_without_verdict']}",
        "",
        "| measure | value |", "|---|---:|",
        f"| agreement, exact | {_num(a['exact'])} |",
        f"| agreement, ties-collapsed ({a['collapsed_means']}) | {_num(a['collapsed'])} |",
        f"| Cohen's kappa, exact | {_num(a['kappa'])} |",
    ]
    if a.get("kappa_collapsed") is not None:
        lines.append(f"| Cohen's kappa, collapsed | {_num(a['kappa_collapsed'])} |")
    if "ratings" in report:
        r = report["ratings"]
        lines += [f"| rating correlation, Pearson r (n={r['n']}) | {_num(r['pearson'])} |",
                  f"| rating correlation, Spearman rho | {_num(r['spearman'])} |",
                  f"| mean rating shift (new - published) [95% CI] | {_num(r['mean_shift']['shift'], 2, True)} "
                  f"{_ci(r['mean_shift']['ci'])} |"]
    o = report["score_shift"]["overall"]
    lines.append(f"| mean score shift, all units (new - published) [95% CI] | {_num(o['shift'], 2, True)} {_ci(o['ci'])} |")
    rk = report["rankings"]
    if rk.get("spearman") is not None or rk.get("kendall_tau_b") is not None:
        lines += [f"| model ranking, Spearman rho ({rk['n_models']} models) | {_num(rk['spearman'])} |",
                  f"| model ranking, Kendall tau-b | {_num(rk['kendall_tau_b'])} |"]
    lines += ["", f"score per unit: {report['score_shift']['score']}", "",
              "| model | n | published | new | shift | 95% CI |", "|---|---:|---:|---:|---:|---|"]
    for model, m in report["score_shift"]["per_model"].items():
        lines.append(f"| {model} | {m['n']} | {_shift_cells(m)} |")
    if rk.get("note"):
        lines += ["", f"note: {rk['note']}"]
    if report["status"] == "incomplete":
        lines += ["", f"note: incomplete: {report['n_failed']} judge call(s) failed; rerun the same command to "
                  "retry only those (the rest is cached)"]
    lines += ["", f"report: {report['work_dir']}"]
    return "\n".join(lines) + "\n"
