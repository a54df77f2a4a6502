"""GSM8K and MMLU-Redux evaluated the ZeroEval way (as in the SimPO README's Gemma table).

``prompts`` (verbatim templates), ``extraction`` (JSON / regex answer parsing), ``scoring``
(correctness rules, aggregation), ``data`` (hub + ``--data-dir`` loaders) and ``prepare``
(``python -m harness.benchmarks.zeroeval.prepare --out DIR`` writes a data dir when online).
"""
