"""MT-Bench (FastChat llm_judge, single-answer grading). The implementation is in ``benchmark``;
importing the package (e.g. for its ``spec``) imports nothing heavy."""
