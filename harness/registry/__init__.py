"""Registries of released models (``model_configs/*.yaml``) and training methods.

Import the submodules directly (``harness.registry.models``, ``harness.registry.trainers``);
this package imports nothing so that ``--help`` stays fast.
"""
