"""Length vs win rate analysis, shared by the notebook and the HTML report.

Modules (pandas / numpy / matplotlib are imported lazily, inside functions, so importing
``harness`` stays light):

* :mod:`~harness.analysis.leaderboard`: the official AlpacaEval 2 leaderboard (data dir or public URL)
  and its match to registry models;
* :mod:`~harness.analysis.across_models`: one point per model (seed table, leaderboard, reproduced,
  imported), SFT -> method arrows per setting, Spearman correlations with bootstrap CIs;
* :mod:`~harness.analysis.within_run`: per-instruction AlpacaEval annotations: win probability vs
  length difference, the LC model's fitted length term, length-exploitation summary;
* :mod:`~harness.analysis.arena`: the same within-run view for Arena-Hard verdicts;
* :mod:`~harness.analysis.plots` / :mod:`~harness.analysis.plots_runs`: the figures (matplotlib
  Figures, never pyplot state) and their standalone SVG; :mod:`~harness.analysis.colors`: one colour
  per method, used by every figure.
"""
