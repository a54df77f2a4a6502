"""The comparison of a judge's verdicts with the published ones, on the same units.

- Units whose new call failed for good are not compared (counted in ``n_failed``; a rerun retries
  them); a new answer without a verdict is the label ``"none"`` (a disagreement).
- Agreement: exact (same label on the benchmark's scale) and collapsed (the protocol's coarser
  comparison, :attr:`AgreementProtocol.collapsed`), with Cohen's kappa of each where it is by labels.
- Ratings (MT-Bench): Pearson and Spearman correlation of the ratings, and the mean rating shift
  (new - published) with a paired bootstrap CI, over units with a rating from both.
- Score shift: per model (and over all units), the mean of the protocol's per-unit model score
  under the new judge minus under the published one, with a paired bootstrap 95% CI
  (:func:`harness.stats.paired.bootstrap_mean_diff`, resampling units).
- Rankings: where the sample spans at least three models, Spearman and Kendall (tau-b) correlation
  of the models' mean scores under the two judges.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from harness.agreement import stats
from harness.agreement.base import AgreementProtocol, NewVerdict, Unit, is_missing

NO_VERDICT = "none"
MIN_MODELS_FOR_RANKING = 3


def _shift(new: list[float], published: list[float], rounds: int, seed: int) -> dict[str, Any]:
    from harness.stats.paired import bootstrap_mean_diff

    pairs = [(a, b) for a, b in zip(new, published, strict=True) if not (math.isnan(a) or math.isnan(b))]
    out: dict[str, Any] = {"n": len(pairs), "published": None, "new": None, "shift": None, "ci": None}
    if not pairs:
        return out
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    out.update(published=sum(b) / len(b), new=sum(a) / len(a), shift=(sum(a) - sum(b)) / len(a))
    if len(pairs) >= 2:
        res = bootstrap_mean_diff(a, b, rounds=rounds, seed=seed)
        out["ci"] = [res.ci_low, res.ci_high]
    return out


def _agreement(protocol: AgreementProtocol, published: list[str], new: list[str]) -> dict[str, Any]:
    collapsed_labels = [protocol.collapse(x) for x in published]
    by_labels = all(c is not None for c in collapsed_labels)
    out = {"n": len(published), "exact": stats.agreement(published, new),
           "collapsed": stats.agreement(published, new, protocol.agree_collapsed),
           "collapsed_means": protocol.collapsed, "kappa": stats.cohen_kappa(published, new), "kappa_collapsed": None}
    if by_labels:
        new_collapsed = [NO_VERDICT if x == NO_VERDICT else (protocol.collapse(x) or NO_VERDICT) for x in new]
        out["kappa_collapsed"] = stats.cohen_kappa(collapsed_labels, new_collapsed)
    confusion: dict[str, Counter] = {}
    for p, n in zip(published, new, strict=True):
        confusion.setdefault(p, Counter())[n] += 1
    out["confusion"] = {p: dict(sorted(c.items())) for p, c in sorted(confusion.items())}
    return out


def _ratings(units: list[Unit], verdicts: list[NewVerdict], rounds: int, seed: int) -> dict[str, Any]:
    pairs = [(float(v.value), float(u.published)) for u, v in zip(units, verdicts, strict=True)
             if not is_missing(v.value)]
    new, pub = [p[0] for p in pairs], [p[1] for p in pairs]
    return {"n": len(pairs), "pearson": stats.pearson(new, pub), "spearman": stats.spearman(new, pub),
            "mean_shift": _shift(new, pub, rounds, seed)}


def _rankings(per_model: dict[str, dict[str, Any]]) -> dict[str, Any]:
    models = [m for m, s in per_model.items() if s["n"] > 0]
    out: dict[str, Any] = {"n_models": len(models), "spearman": None, "kendall_tau_b": None}
    if len(models) < MIN_MODELS_FOR_RANKING:
        out["note"] = f"a ranking correlation needs at least {MIN_MODELS_FOR_RANKING} models in the sample"
        return out
    pub = [per_model[m]["published"] for m in models]
    new = [per_model[m]["new"] for m in models]
    out.update(spearman=stats.spearman(new, pub), kendall_tau_b=stats.kendall_tau_b(new, pub))
    return out


def compare(protocol: AgreementProtocol, units: Sequence[Unit], verdicts: Sequence[NewVerdict], *,
            rounds: int = 2000, seed: int = 42) -> dict[str, Any]:
    """The comparison of ``verdicts`` (aligned with ``units``) with the published verdicts."""
    judged = [(u, v) for u, v in zip(units, verdicts, strict=True) if v.error is None]
    us, vs = [u for u, _ in judged], [v for _, v in judged]
    published = [protocol.label(u.published) or NO_VERDICT for u in us]
    new = [protocol.label(v.value) or NO_VERDICT for v in vs]
    out: dict[str, Any] = {
        "n_units": len(units), "n_judged": len(judged), "n_failed": len(units) - len(judged),
        "n_cached": sum(1 for v in vs if v.cached), "n_without_verdict": sum(1 for x in new if x == NO_VERDICT),
        "agreement": _agreement(protocol, published, new),
    }
    if protocol.kind == "rating":
        out["ratings"] = _ratings(us, vs, rounds, seed)
    models = sorted({u.model for u in us})
    scores = {m: ([], []) for m in models}
    for u, v in judged:
        scores[u.model][0].append(protocol.score(u, v.value))
        scores[u.model][1].append(protocol.score(u, u.published))
    per_model = {m: _shift(new_s, pub_s, rounds, seed) for m, (new_s, pub_s) in scores.items()}
    out["score_shift"] = {
        "score": protocol.score_means,
        "overall": _shift([protocol.score(u, v.value) for u, v in judged],
                          [protocol.score(u, u.published) for u, _ in judged], rounds, seed),
        "per_model": per_model}
    out["rankings"] = _rankings(per_model)
    return out
