"""Statistics shared by the judged benchmarks (vectorised Bradley-Terry + bootstrap) and the paired
tests that compare two models on the same items (``paired``, ``paired_bt``, ``signed_rank``,
``binomial``, ``multiple``)."""

from harness.stats.binomial import binomial_two_sided_half, mcnemar_exact
from harness.stats.bradley_terry import (
    Battles,
    ModelScore,
    arena_scores,
    bootstrap_elo,
    bootstrap_indices,
    bootstrap_weights,
    fit_elo,
    fit_logistic_batched,
    win_rate,
)
from harness.stats.multiple import holm_adjust
from harness.stats.paired import PairedResult, bootstrap_mean_diff, mcnemar_diff, wilcoxon_diff
from harness.stats.paired_bt import paired_bradley_terry
from harness.stats.signed_rank import SignedRank, signed_rank_test

__all__ = ["Battles", "ModelScore", "PairedResult", "SignedRank", "arena_scores", "binomial_two_sided_half",
           "bootstrap_elo", "bootstrap_indices", "bootstrap_mean_diff", "bootstrap_weights", "fit_elo",
           "fit_logistic_batched", "holm_adjust", "mcnemar_diff", "mcnemar_exact", "paired_bradley_terry",
           "signed_rank_test", "wilcoxon_diff", "win_rate"]
