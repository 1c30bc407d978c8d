#!/usr/bin/env bash
# Creates (or completes) .venv-reference/ at the package root with what the SmolLM2 numpy
# reference needs: gguf-py (ggml's own GGUF reader and dequantisers), numpy, tokenizers.
# Idempotent; shares the venv with make_venv.sh. Usage: scripts/reference/make_venv_smollm2.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.venv-reference
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/reference/requirements-smollm2.txt
echo "reference: ready; run $venv/bin/python scripts/reference/smollm2_reference.py"
