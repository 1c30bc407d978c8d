#!/usr/bin/env bash
# Builds the DocC documentation of the library targets with swift-docc-plugin, warnings treated
# as failures (a broken symbol link fails the run). Output: .build/docs/TARGET.doccarchive.
#
#   scripts/docs.sh [TARGET ...]     (default: every target with a .docc catalogue, in Sources/*/ or
#                                     Lessons/, the one library target outside Sources)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -gt 0 ]; then targets=("$@"); else
  targets=()
  for catalogue in Sources/*/*.docc Lessons/*.docc; do
    [ -d "$catalogue" ] || continue
    # A catalogue is named after its target (Sources/Training/Training.docc, Lessons/Lessons.docc).
    targets+=("$(basename "$catalogue" .docc)")
  done
fi
mkdir -p .build/docs
start=$(date +%s)
for target in "${targets[@]}"; do
  swift package --allow-writing-to-directory .build/docs generate-documentation --target "$target" \
    --warnings-as-errors --output-path ".build/docs/$target.doccarchive"
done
echo "docs: ${targets[*]} built without warnings ($(( $(date +%s) - start ))s)"
