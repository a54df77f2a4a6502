"""The orchestrator every command runs on: typed settings, jobs, and the stages
generate -> judge -> score (see docs/ARCHITECTURE.md)."""
