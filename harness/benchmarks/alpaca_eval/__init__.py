"""AlpacaEval 2: data loading, the weighted_alpaca_eval_gpt4_turbo judge protocol, and scoring with
alpaca-eval 0.6.2's own metric functions (WR, SE, LC)."""

from harness.benchmarks.alpaca_eval.benchmark import AlpacaEval2

__all__ = ["AlpacaEval2"]
