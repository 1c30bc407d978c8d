#!/usr/bin/env bash
# Creates .venv-reference/ (at the package root) with what the SmolLM2 numpy reference needs.
# Only the reference script uses it; the Swift build and tests never do.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -m venv .venv-reference
.venv-reference/bin/pip install --quiet --upgrade pip
.venv-reference/bin/pip install --quiet -r scripts/reference/requirements-smollm2.txt
echo "make_venv_smollm2: .venv-reference is ready"
