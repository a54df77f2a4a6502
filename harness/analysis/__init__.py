"""Analysis helpers for notebooks (length vs win rate). Imports pandas/matplotlib lazily."""
