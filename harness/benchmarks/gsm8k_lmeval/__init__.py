"""GSM8K 5-shot the lm-evaluation-harness way (the SimPO paper's appendix variant)."""
