"""Statistics shared by the judged benchmarks (vectorised Bradley-Terry + bootstrap)."""

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

__all__ = ["Battles", "ModelScore", "arena_scores", "bootstrap_elo", "bootstrap_indices", "bootstrap_weights",
           "fit_elo", "fit_logistic_batched", "win_rate"]
