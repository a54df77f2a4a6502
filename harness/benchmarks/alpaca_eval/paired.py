"""AlpacaEval 2's per-instruction values for ``compare`` (``AlpacaEval2.paired_values``).

WR: ``100 * (preference - 1)`` per instruction, from the judgments the run's score used; its mean is
the win rate (alpaca-eval 0.6.2's ``get_winrate``).

LC: alpaca-eval 0.6.2's LC win rate of a model with weights (ψ, φ, θ) (relative to the reference
gpt4_1106_preview, as ``glm_winrate.predict_winrate`` takes them) is
``100 * mean_i σ(θ + φ · difficulty_i)``: the GLM's prediction at zero length difference,
averaged over instructions. Two per-instruction decompositions:

- :func:`lc_predicted_values`: ``100 σ(θ + φ d_i)``. Its mean is the LC; the paired bootstrap of it
  re-predicts LC on each resample with the weights held fixed. That CI reflects only which
  instructions were drawn (their difficulty), not the judge's verdicts: the GLM is not refitted per
  round, so it is far narrower than the uncertainty of LC and its p-value is not a test of
  "A is better than B". Report it as a description, not as significance.
- :func:`lc_adjusted_values`: ``100 [(pref_i - 1) - σ(ψ tanh(Δlen_i / sd) + φ d_i + θ) + σ(θ + φ d_i)]``,
  the observed preference with the GLM's length effect on that instruction removed (the fitted
  prediction replaced by the length-neutral one). Its mean is the LC plus the mean residual of the
  fit (close to zero for a fitted GLM, not exactly, because of the L1 penalty and the gamed rows),
  and it carries each verdict's noise, so its paired bootstrap is a test of the LC difference that
  treats the weights as fixed (a first-order approximation of refitting per resample).
  ``compare`` uses these.

Weights only exist for the model whose outputs they were fitted on (published leaderboard weights
apply only to the published outputs, which the score verifies before predicting LC from them); a
new checkpoint has no paired LC comparison unless its GLM is fitted and kept, and ``compare`` says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.benchmarks.alpaca_eval.scoring import LC_FITTED, LC_PREDICTED, preference_value
from harness.benchmarks.base import PairedValues, ScoreOptions
from harness.benchmarks.spec import PairedTest
from harness.errors import HarnessError

if TYPE_CHECKING:
    from pathlib import Path

    from harness.benchmarks.alpaca_eval.benchmark import AlpacaEval2

REFERENCE_GENERATOR = "gpt4_1106_preview"
COL_LENGTH = "np.tanh(std_delta_len)"
COL_DIFFICULTY = "instruction_difficulty"
COL_THETA = "not_gamed_baseline.astype(float)"


@dataclass(frozen=True)
class GlmWeights:
    psi: float  # length term
    phi: float  # instruction difficulty
    theta: float  # model term


def glm_weights(table: Any, model: str, reference: str = REFERENCE_GENERATOR) -> GlmWeights:
    """``model``'s weights minus ``reference``'s from a published weight table (a DataFrame indexed
    by model, alpaca-eval's ``glm_weights/baseline_<reference>.csv``), as ``predict_winrate`` uses them."""
    for name in (model, reference):
        if name not in table.index:
            raise HarnessError(f"no GLM weights for {name!r}; LC is not available for a paired comparison")
    delta = table.loc[model] - table.loc[reference]
    try:
        return GlmWeights(float(delta[COL_LENGTH]), float(delta[COL_DIFFICULTY]), float(delta[COL_THETA]))
    except KeyError as exc:
        raise HarnessError(f"GLM weight table lacks column {exc}") from None


def difficulty_by_instruction(reference_instructions: Sequence[str], difficulty: Sequence[float]) -> dict[str, float]:
    """Instruction -> difficulty, with alpaca-eval's positional difficulty vector (position i is the
    i-th instruction of the official order, i.e. of the reference outputs file)."""
    values = list(difficulty)
    if len(values) < len(reference_instructions):
        raise HarnessError(f"instruction difficulty has {len(values)} values for {len(reference_instructions)} instructions")
    return {ins: float(d) for ins, d in zip(reference_instructions, values, strict=False)}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def _difficulties(instructions: Sequence[str], difficulty: Mapping[str, float]) -> np.ndarray:
    unknown = [i for i in instructions if i not in difficulty]
    if unknown:
        raise HarnessError(f"{len(unknown)} instruction(s) have no difficulty (not AlpacaEval instructions?), "
                           f"e.g. {unknown[0][:60]!r}")
    return np.asarray([difficulty[i] for i in instructions], dtype=np.float64)


def lc_predicted_values(instructions: Iterable[str], difficulty: Mapping[str, float],
                        weights: GlmWeights) -> dict[str, float]:
    """{instruction: 100 σ(θ + φ d_i)}; over all 805 instructions its mean is alpaca-eval's LC."""
    ins = list(dict.fromkeys(instructions))
    d = _difficulties(ins, difficulty)
    return dict(zip(ins, (100.0 * _sigmoid(weights.theta + weights.phi * d)).tolist(), strict=True))


def lc_adjusted_values(rows: Iterable[Mapping[str, Any]], difficulty: Mapping[str, float],
                       weights: GlmWeights) -> dict[str, float]:
    """{instruction: length-adjusted preference} (see the module doc) from the annotation rows the
    weights were fitted on (``instruction``, ``output_1`` = reference, ``output_2`` = model,
    ``preference``). The length scale ``sd`` is the standard deviation of ``len(output_1) -
    len(output_2)`` over all rows, as alpaca-eval computes it; unannotated rows get no value."""
    rows = list(rows)
    for i, r in enumerate(rows):
        if not all(isinstance(r.get(k), str) for k in ("instruction", "output_1", "output_2")):
            raise HarnessError(f"annotations row {i}: instruction, output_1 and output_2 must be strings")
    delta_len = np.asarray([len(r["output_1"]) - len(r["output_2"]) for r in rows], dtype=np.float64)
    sd = float(np.std(delta_len, ddof=1)) if delta_len.size > 1 else 0.0
    if not sd > 0:
        raise HarnessError("length-adjusted LC needs rows whose length differences vary")
    pref = np.asarray([preference_value(r.get("preference"), f"annotations row {i}") for i, r in enumerate(rows)])
    pref = np.where(pref == 0, 1.5, pref) - 1.0
    ins = [r["instruction"] for r in rows]
    d = _difficulties(ins, difficulty)
    neutral = weights.theta + weights.phi * d
    fitted = _sigmoid(weights.psi * np.tanh(delta_len / sd) + neutral)
    values = 100.0 * (pref - fitted + _sigmoid(neutral))
    return {i: float(v) for i, v in zip(ins, values, strict=True) if not math.isnan(v)}


LC_METHOD = ("LC: per-instruction preference with the published GLM's length effect removed "
             "(lc_adjusted_values; weights held fixed, A/B columns are the values' means, within ~0.2 of the LC)")
NO_FIT_LC = ("published GLM weights apply only to the published outputs; a new checkpoint has no paired LC "
             "comparison unless its GLM is fitted")


def preference_values(rows: Iterable[Mapping[str, Any]], source: str = "annotations") -> dict[str, float]:
    """AlpacaEval annotation rows (``instruction``, ``preference``) -> {instruction: 100 * (preference - 1)}.

    The mean of the values is the win rate (alpaca-eval 0.6.2's ``get_winrate``). A preference is
    read as alpaca-eval reads it (numbers or numeric strings); null / NaN means "not annotated" and
    the instruction is left out; the legacy draw value 0 counts as a draw (50). A later row for the
    same instruction replaces an earlier one (a retried failure replaces its NaN row)."""
    latest: dict[str, float] = {}
    for i, r in enumerate(rows):
        instruction = r.get("instruction")
        if not isinstance(instruction, str):
            raise HarnessError(f"{source}: row {i}: field 'instruction' must be a string, got {instruction!r}"[:200])
        pref = preference_value(r.get("preference"), f"{source}: row {i}")
        latest[instruction] = math.nan if math.isnan(pref) else (50.0 if pref == 0 else 100.0 * (pref - 1.0))
    return {k: v for k, v in latest.items() if not math.isnan(v)}


def _scores(run_dir: Path) -> dict[str, Any]:
    import json

    path = run_dir / "scores.json"
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise HarnessError(f"{path}: unreadable scores.json ({exc})") from None
    return payload if isinstance(payload, dict) else {}


def _lc_unavailable(kind: PairedTest, generator: str, why: str) -> PairedValues:
    return PairedValues(metric="ae2_lc", kind=kind, unavailable=f"no paired LC for {generator}: {why}")


def lc_values(rows: list[dict[str, Any]], run_dir: Path, data_dir: Path | None, kind: PairedTest) -> PairedValues:
    """Length-adjusted LC values of the rows the score used, where its LC was predicted from the
    published GLM weights of the run's generator (the only weights that apply to it)."""
    from harness.benchmarks.alpaca_eval import data as ae_data

    details = _scores(run_dir).get("details") or {}
    generator = str(details.get("generator") or rows[0].get("generator_2") or run_dir.parent.name)
    status = details.get("lc_status")
    if status != LC_PREDICTED:
        why = ("its LC was refitted here and the fitted GLM weights are not kept" if status == LC_FITTED
               else str(details.get("lc_reason") or "the score has no LC"))
        return _lc_unavailable(kind, generator, f"{why}; {NO_FIT_LC}")
    tables = [t for _, t in ae_data.load_published_weights(data_dir) if generator in t.index]
    difficulty, diff_src = ae_data.load_instruction_difficulty(data_dir)
    if not tables or difficulty is None:
        need = "published GLM weights (glm_weights/)" if not tables else f"instruction difficulty ({diff_src})"
        where = "--data-dir lacks" if data_dir is not None else "pass --data-dir with"
        return _lc_unavailable(kind, generator, f"{where} the {need} its scored LC was predicted from")
    reference, _ = ae_data.load_reference(data_dir)
    by_instruction = difficulty_by_instruction([r["instruction"] for r in reference], difficulty.tolist())
    values = lc_adjusted_values(rows, by_instruction, glm_weights(tables[0], generator))
    return PairedValues(metric="ae2_lc", kind=kind, values=values, note=LC_METHOD)


def run_paired_values(bench: AlpacaEval2, run_dir: Path, options: ScoreOptions) -> list[PairedValues]:
    """WR (and LC where available) per instruction of the judgments the run's score used."""
    _, sel = bench.judgments(run_dir, options)
    rows = sel.judgments
    if not rows:
        raise HarnessError(f"no AlpacaEval judgments of the current generations in {run_dir}; nothing to compare")
    kind = bench.spec.paired_test or "bootstrap_mean"
    wr = PairedValues(metric="ae2_wr", kind=kind, values=preference_values(rows, str(run_dir / "annotations.jsonl")))
    return [wr, lc_values(rows, run_dir, options.data_dir or bench.data_dir, kind)]
