"""Judge agreement: how a judge's verdicts compare with the published ones (``judge-agreement``).

A seeded sample of published judgments (AlpacaEval 2 annotations, Arena-Hard judgment files,
FastChat MT-Bench judgments, or a results directory's ``annotations.jsonl``) is sent, input for
input, to another judge through the normal judging path (:class:`harness.pipeline.judge_stage.JudgeSession`:
cached, resumable, batch or live, presets), and the two sets of verdicts are compared.

- :mod:`.base`: the per-benchmark protocol contract (each judged benchmark's ``agreement`` module
  implements it: how its published files read, how its judge is called, how verdicts compare);
- :mod:`.sample`: collecting and sampling published units;
- :mod:`.stats`: agreement, Cohen's kappa, correlations (pure functions);
- :mod:`.analysis`: the comparison of two sets of verdicts; :mod:`.report`: markdown / JSON;
- :mod:`.run`: the orchestration behind the command (work directory, cost, judging).
"""
