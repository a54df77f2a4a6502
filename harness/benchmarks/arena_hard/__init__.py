"""Arena-Hard v0.1 (pairwise vs gpt-4-0314, judged by gpt-4-1106-preview). The implementation is in
``benchmark``; importing the package (e.g. for its ``spec``) imports nothing heavy."""
