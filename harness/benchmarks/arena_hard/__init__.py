"""Arena-Hard v0.1 (pairwise vs gpt-4-0314, judged by gpt-4-1106-preview)."""

from harness.benchmarks.arena_hard.benchmark import ArenaHard, score_games, score_official_judgments

__all__ = ["ArenaHard", "score_games", "score_official_judgments"]
