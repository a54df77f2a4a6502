"""MT-Bench (FastChat llm_judge, single-answer grading)."""

from harness.benchmarks.mt_bench.benchmark import MTBench, score_judgments

__all__ = ["MTBench", "score_judgments"]
