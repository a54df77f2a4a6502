"""AlpacaEval 2: data loading, the weighted_alpaca_eval_gpt4_turbo judge protocol, and scoring with
alpaca-eval 0.6.2's own metric functions (WR, SE, LC). The implementation is in ``benchmark``;
importing the package (e.g. for its ``spec``) imports nothing heavy."""
