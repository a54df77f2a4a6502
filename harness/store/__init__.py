"""The results store: layout, the one JSONL reader/writer, typed generation records, judgment
selection and the per-run-directory lock. See results/README.md for the layout."""

from harness.store.generations import (
    GenerationRecord,
    GenerationStore,
    current_generations,
    first_answers,
    generation_key,
    read_generation_manifest,
    turn_answers,
)
from harness.store.judgments import JudgeId, JudgmentSelection, select_judgments
from harness.store.layout import GENERATION_MANIFEST, RunDir, safe_name
from harness.store.lock import run_lock

__all__ = [
    "GENERATION_MANIFEST", "GenerationRecord", "GenerationStore", "JudgeId", "JudgmentSelection", "RunDir",
    "current_generations", "first_answers", "generation_key", "read_generation_manifest", "run_lock",
    "safe_name", "select_judgments", "turn_answers",
]
