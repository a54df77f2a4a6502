"""Studies: many models x benchmarks in one command, one after another or as Ray tasks on a cluster.

A study file (:mod:`harness.study.config`) maps onto the same settings and flags as ``run``;
:mod:`harness.study.plan` expands it into one (model, benchmark) job each, built with the
orchestrator's :class:`~harness.pipeline.jobs.ModelSession`; :mod:`harness.study.local` runs the
jobs in this process with one shared judge session, :mod:`harness.study.ray_runner` runs each
generation as a Ray task and judges in the driver with that one session. Both write into the same
results store, so a rerun (in either mode) does only the missing work. Importing this package
imports neither ray nor torch.
"""
