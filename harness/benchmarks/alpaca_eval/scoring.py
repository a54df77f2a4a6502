"""AlpacaEval 2 metrics through alpaca-eval 0.6.2's own functions.

- WR / SE / n_wins / n_draws: ``alpaca_eval.metrics.get_winrate`` on the preferences.
- LC fitted: ``alpaca_eval.metrics.glm_winrate.get_length_controlled_winrate`` with its hub download
  of ``df_gamed.csv`` answered by a local file (``save_weights_dir=None`` so nothing is written
  into site-packages). Rows must be in the official instruction order: the package looks up
  instruction difficulty by row position.
- LC predicted: ``glm_winrate.predict_winrate`` with the published GLM weights and the instruction
  difficulty supplied locally (its own hub loader is swapped for the duration of the call).
- Average length: ``int(mean(len(output)))`` in characters, as the leaderboard.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from harness.benchmarks.alpaca_eval import data as ae_data
from harness.benchmarks.alpaca_eval.spec import SPEC
from harness.errors import HarnessError
from harness.store.jsonl import read_records

LC_FITTED = "fitted"
LC_PREDICTED = "predicted-from-published-weights"
LC_UNAVAILABLE = "unavailable"


def _metrics_modules():
    from harness.benchmarks.alpaca_eval.protocol import import_quietly

    try:
        metrics = import_quietly("alpaca_eval.metrics")
        glm = import_quietly("alpaca_eval.metrics.glm_winrate")
    except ImportError as exc:
        raise HarnessError(f"alpaca-eval 0.6.2 is needed to score AlpacaEval 2 ({exc}); pip install '.[alpaca]'") from None
    return metrics, glm


@contextlib.contextmanager
def _swapped(module: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, old)


def winrate(preferences: list[float]) -> dict[str, Any]:
    """``alpaca_eval.metrics.get_winrate`` on the preferences; missing (NaN) ones are dropped.

    get_winrate drops NaN itself (``validate_alpacaeval_preference(is_allow_nan=False)``) after
    counting draws, so dropping them first gives the same numbers, without its "drop N outputs"
    log line (printed once per scoring rule, i.e. twice). With no preference left there is nothing
    to measure: the rates are None (never NaN); so is the SE of a single preference.
    """
    valid = [p for p in preferences if not math.isnan(p)]
    if not valid:
        return {"win_rate": None, "standard_error": None, "n_wins": 0, "n_wins_base": 0, "n_draws": 0,
                "n_total": 0, "discrete_win_rate": None}
    metrics, _ = _metrics_modules()
    out = metrics.get_winrate([{"preference": p} for p in valid])
    return {k: ((float(v) if math.isfinite(v) else None) if isinstance(v, float) else int(v)) for k, v in out.items()}


def avg_length(outputs: list[str], n_instructions: int | None = None) -> int:
    """The leaderboard's average length: ``int`` of the mean characters per instruction.

    alpaca-eval 0.6.2 averages over all ``n_instructions`` instructions as if a missing row were an
    empty output (FACTS.md: phi-2's 803 rows are averaged over 805), so a partial file divides by
    the full set; with ``n_instructions`` None (or equal to the rows) it is the plain mean.
    """
    if not outputs:
        raise HarnessError("no model outputs to measure the length of")
    total = float(pd.Series(outputs, dtype=object).str.len().sum())
    return int(total / max(n_instructions or len(outputs), len(outputs)))


def _where(source: str, index: int, row: dict[str, Any]) -> str:
    instruction = row.get("instruction")
    tag = f" (instruction {instruction[:40]!r})" if isinstance(instruction, str) else ""
    return f"{source}: row {index}{tag}"


def check_text_fields(rows: list[dict[str, Any]], fields: tuple[str, ...], source: str) -> None:
    """Every row has each of ``fields`` as a string (the error names the file, row and field)."""
    for i, row in enumerate(rows):
        for field in fields:
            value = row.get(field)
            if not isinstance(value, str):
                got = "nothing (missing)" if field not in row else f"{type(value).__name__} {value!r}"
                raise HarnessError(f"{_where(source, i, row)}: field {field!r} must be a string, got {got[:80]}")


def preference_value(value: Any, where: str = "preference") -> float:
    """One stored preference as alpaca-eval 0.6.2 reads it (``astype(float)``), checked.

    None / NaN mean "not annotated" (a failed judgment): NaN, dropped by the win rate as upstream.
    Otherwise it must be a number in [1, 2] (2 = model wins, 1.5 a draw) or 0 (legacy draw);
    anything else (a word, a bool, 3, -1, inf) is an error, where alpaca-eval would silently drop it.
    """
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise HarnessError(f"{where}: field 'preference' must be a number in [1, 2] (or null), got "
                           f"{type(value).__name__} {value!r}"[:200])
    try:
        x = float(value)
    except ValueError:
        raise HarnessError(f"{where}: field 'preference' must be a number in [1, 2] (or null), "
                           f"got {value!r}"[:200]) from None
    if math.isnan(x) or x == 0 or 1 <= x <= 2:
        return x
    raise HarnessError(f"{where}: field 'preference' is {value!r}, outside alpaca-eval's range "
                       "(1 to 2, 1.5 or 0 for a draw, null when not annotated)")


def annotation_preferences(rows: list[dict[str, Any]], source: str = "annotations") -> list[float]:
    """The checked preference of every row (NaN where missing/null)."""
    return [preference_value(r.get("preference"), _where(source, i, r)) for i, r in enumerate(rows)]


def predict_lc(generator: str, weights: pd.DataFrame, difficulty: pd.Series, n_rows: int | None = None) -> float:
    """LC win rate (percent) from a model's published GLM weights.

    alpaca-eval looks instruction difficulty up by row position, so a file of ``n_rows`` < 805
    rows is predicted over the first ``n_rows`` positions of the difficulty vector (FACTS.md; this
    gives the published LC of gpt35_turbo_instruct, phi-2 and alpaca-7b_verbose).
    """
    _, glm = _metrics_modules()
    if n_rows is not None:
        difficulty = difficulty.iloc[:n_rows]
    with _swapped(glm, "_get_instructions_difficulty", lambda: difficulty):
        return float(glm.predict_winrate(model=generator, baseline=ae_data.REFERENCE_GENERATOR, weights=weights)) * 100


FIT_TEXT_FIELDS = ("instruction", "output_1", "output_2", "generator_1", "generator_2", "annotator")


def fit_lc(annotations: pd.DataFrame, gamed_path: Path) -> dict[str, Any]:
    """Full LC refit with alpaca-eval's own GLM (needs the official df_gamed.csv)."""
    _, glm = _metrics_modules()
    df = annotations[[*FIT_TEXT_FIELDS[:5], "preference", FIT_TEXT_FIELDS[5]]]
    df = df.reset_index(drop=True).copy()
    with _swapped(glm, "hf_hub_download", lambda **_: str(gamed_path)):
        out = glm.get_length_controlled_winrate(df, save_weights_dir=None, is_add_glm_preference_inplace=False)
    return {"lc": float(out["length_controlled_winrate"])}


def order_like_reference(rows: list[dict[str, Any]], reference: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put annotation rows in the official instruction order (required by the GLM's positional lookup)."""
    pos = {r["instruction"]: i for i, r in enumerate(reference)}
    unknown = [r["instruction"][:60] for r in rows if r["instruction"] not in pos]
    if unknown:
        raise HarnessError(f"{len(unknown)} annotated instruction(s) are not AlpacaEval instructions, e.g. {unknown[0]!r}")
    return sorted(rows, key=lambda r: pos[r["instruction"]])


def lc_for(
    generator: str,
    outputs: list[dict[str, Any]] | None,
    annotations: list[dict[str, Any]] | None,
    reference: list[dict[str, Any]] | None,
    data_dir: Path | None,
    annotations_source: str = "annotations",
    incomplete: str | None = None,
) -> dict[str, Any]:
    """LC win rate and its exact status: fitted, predicted from published weights, or unavailable.

    LC is never given for incomplete judgments (``incomplete`` names why). A prediction from the
    published GLM weights of ``generator`` is made only when the judgments (or, without judgments,
    the outputs) are verifiably the published ones: otherwise it would ignore them.
    """
    if incomplete:
        return _unavailable(f"the judgments are incomplete ({incomplete})")
    if outputs is None and annotations is not None:
        outputs = [{"instruction": a["instruction"], "output": a["output_2"]} for a in annotations]
    gamed, gamed_src = ae_data.find_gamed_file(data_dir)
    complete = annotations is not None and reference is not None and len(annotations) == len(reference)
    if gamed is not None and complete:
        check_text_fields(annotations, FIT_TEXT_FIELDS, annotations_source)
        df = pd.DataFrame(order_like_reference(annotations, reference))
        return {"lc": fit_lc(df, gamed)["lc"], "lc_status": LC_FITTED, "lc_source": gamed_src}
    reasons = [gamed_src if gamed is None else "a full refit needs annotations for all AlpacaEval instructions"]
    verified, why = _published_match(generator, outputs, annotations, data_dir)
    if not verified:
        return _unavailable("; ".join([*reasons, why]))
    weights = [(p, w) for p, w in ae_data.load_published_weights(data_dir) if generator in w.index]
    difficulty, diff_src = ae_data.load_instruction_difficulty(data_dir)
    if not weights or difficulty is None:
        missing = (f"no row for {generator!r} in the published GLM weights (glm_weights/baseline_"
                   f"{ae_data.REFERENCE_GENERATOR}.*.csv in --data-dir)" if not weights
                   else f"no instruction difficulty ({diff_src})")
        return _unavailable("; ".join([*reasons, missing]))
    path, table = weights[0]
    n_rows = len(outputs) if outputs is not None else None
    return {"lc": predict_lc(generator, table, difficulty, n_rows), "lc_status": LC_PREDICTED,
            "lc_source": f"weights {path.name} row {generator!r} ({why}); instruction difficulty {diff_src}"
                         + (f"; first {n_rows} row positions" if n_rows and n_rows < len(difficulty) else "")}


def _unavailable(reason: str) -> dict[str, Any]:
    return {"lc": None, "lc_status": LC_UNAVAILABLE, "lc_reason": "LC unavailable: " + reason}


def _published_match(generator: str, outputs: list[dict[str, Any]] | None, annotations: list[dict[str, Any]] | None,
                     data_dir: Path | None) -> tuple[bool, str]:
    """(whether the published GLM weights of ``generator`` apply to these rows, why / why not).

    With judgments: their win rate must equal the published leaderboard's for ``generator`` (to
    1e-6), or their preferences the published annotations'. Without: the outputs must equal the
    published outputs. Anything else (other judges, other outputs, nothing to compare) does not apply.
    """
    if annotations is not None:
        row = ae_data.published_leaderboard_row(data_dir, generator)
        if row is not None:
            ours = winrate(annotation_preferences(annotations))["win_rate"]
            published = float(row[0]["win_rate"])
            if ours is not None and abs(ours - published) <= 1e-6:
                return True, f"judgments verified: WR equals the published {published:.6f} of {row[1].name}"
            return False, (f"these judgments are not the published ones of {generator!r} (WR {ours} vs the "
                           f"published {published:.6f} in {row[1].name}), so its published GLM weights do not apply")
    if outputs is None:
        return False, "no model outputs"
    path = ae_data.find_published_outputs(data_dir, generator)
    if path is None:
        what = "judgments" if annotations is not None else "outputs"
        return False, (f"cannot verify that these {what} are the published ones of {generator!r} (no leaderboard row "
                       f"or published outputs in --data-dir) to predict LC from its published GLM weights")
    key = "output_2" if "annotations" in path.name else "output"
    published = {r["instruction"]: r[key] for r in read_records(path)}
    ours = {r["instruction"]: r["output"] for r in outputs}
    if annotations is None and all(published.get(i) == o for i, o in ours.items()):
        return True, f"outputs equal the published {path.name}"
    if annotations is None:
        return False, f"outputs differ from the published {generator!r} outputs, so its published GLM weights do not apply"
    return False, "published judgments cannot be checked without the leaderboard (leaderboards/ in --data-dir)"


def score_alpaca_eval(
    *,
    generator: str,
    outputs: list[dict[str, Any]] | None,
    annotations: list[dict[str, Any]] | None,
    reference: list[dict[str, Any]] | None,
    data_dir: Path | None,
    outputs_source: str = "outputs",
    annotations_source: str = "annotations",
    n_instructions: int | None = None,
    incomplete: str | None = None,
) -> dict[str, Any]:
    """The scores.json payload (without manifest and status) from outputs and/or annotations.

    ``*_source`` name the rows in errors (a file path). Rows are checked first: text fields must be
    strings and preferences numbers in alpaca-eval's range or null; an empty list is an error.
    Annotations whose preferences are all null score with ``ae2_wr`` None (a run where every
    judgment failed); refusing such a user file is the caller's choice. ``n_instructions`` is the
    size of the instruction set the rows belong to (the run's selection; default: the reference's)
    and ``incomplete`` why the judgments are incomplete, if they are (then LC is not given).
    """
    if outputs is None and annotations is None:
        raise HarnessError("nothing to score: no model outputs and no annotations")
    for source, rows in ((outputs_source, outputs), (annotations_source, annotations)):
        if rows is not None and not rows:
            raise HarnessError(f"{source}: no records to score (empty list)")
    if outputs is not None:
        check_text_fields(outputs, ("instruction", "output"), outputs_source)
    metrics: dict[str, float | None] = {}
    details: dict[str, Any] = {"generator": generator}
    n = 0
    if annotations is not None:
        check_text_fields(annotations, ("instruction",) if outputs is not None else ("instruction", "output_2"),
                          annotations_source)
        prefs = annotation_preferences(annotations, annotations_source)
        annotations = [{**r, "preference": p} for r, p in zip(annotations, prefs, strict=True)]
        wr = winrate(prefs)
        metrics["ae2_wr"] = wr["win_rate"]
        details.update(
            se=wr["standard_error"], n_wins=wr["n_wins"], n_wins_base=wr["n_wins_base"], n_draws=wr["n_draws"],
            n_total=wr["n_total"], discrete_win_rate=wr["discrete_win_rate"],
            n_failed=sum(1 for p in prefs if math.isnan(p)), n_annotations=len(annotations),
        )
        n = len(annotations)
    model_texts = [r["output"] for r in outputs] if outputs is not None else [r["output_2"] for r in annotations]
    n_set = n_instructions or (len(reference) if reference is not None else SPEC.n_items)
    metrics["ae2_length"] = float(avg_length(model_texts, n_set))
    details["avg_length_exact"] = float(pd.Series(model_texts, dtype=object).str.len().mean())
    details["n_instructions"] = n_set
    n = n or len(model_texts)
    lc = lc_for(generator, outputs, annotations, reference, data_dir, annotations_source, incomplete)
    if lc["lc"] is not None:
        metrics["ae2_lc"] = lc["lc"]
    details.update({k: v for k, v in lc.items() if k != "lc"})
    return {"benchmark": "alpaca_eval", "model": generator, "metrics": metrics, "ci": {}, "details": details, "n": n}


def _as_float(value: Any) -> float:
    if value is None:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
