"""Comparison tables: column specs + rows in, markdown / CSV / LaTeX out.

``render`` is format-only (rows are plain dicts); ``paper`` builds the rows of the SimPO
README's tables from the model registry and, optionally, reproduced scores from a results
directory.
"""
