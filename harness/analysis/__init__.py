"""Length vs win rate analysis, shared by the notebook and the HTML report.

Modules (pandas / numpy / matplotlib are imported lazily, inside functions, so importing
``harness`` stays light):

* :mod:`~harness.analysis.across_models`: one point per model (seed table, leaderboard, reproduced,
  imported), SFT -> method arrows per setting, Spearman correlations with bootstrap CIs;
* :mod:`~harness.analysis.plots` / :mod:`~harness.analysis.plots_runs`: the figures (matplotlib
  Figures, never pyplot state) and their standalone SVG; :mod:`~harness.analysis.colors`: one colour
  per method, used by every figure; :mod:`~harness.analysis.stats`: Wilson intervals, binned win
  rates, Spearman with bootstrap CIs, slopes; :mod:`~harness.analysis.runs`: runs under a results
  directory and their registry facts.

What reads one benchmark's own files lives in that benchmark's package (issue 13): the AlpacaEval 2
leaderboard and the within-run view of its annotations (win probability vs length difference, the
LC model's length term, length-exploitation summary) in its package's ``leaderboard`` and
``analysis`` modules, the Arena-Hard within-run view in the Arena-Hard package's ``analysis``.
"""
