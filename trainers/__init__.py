"""Preference-optimization trainers: SimPO and the SimPO paper's baselines, driven by recipe YAMLs.

* :mod:`trainers.objectives` -- each loss as a pure function on per-sequence log-probs
* :mod:`trainers.logprobs`   -- tokenisation (one BOS, prompt masked) and per-sequence log-probs
* :mod:`trainers.recipe`     -- the recipe schema; ``trainers/recipes/*.yaml`` are the bundled ones
* :mod:`trainers.trainer`    -- the transformers ``Trainer`` subclass running any objective
* :mod:`trainers.runner`     -- ``train_recipe``: data, model, resume, checkpoint + ``simpo_harness.yaml``

Importing this package does not import torch; the CLI is ``simpo-harness train``.
"""
