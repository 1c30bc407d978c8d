#!/usr/bin/env bash
# Runs the test suite under a sanitizer, in its own build folder so the normal build stays.
#
#   scripts/sanitize.sh thread|address|all
#
# thread  → swift test --sanitize=thread  in .build-tsan
# address → swift test --sanitize=address in .build-asan
#
# The real-model tests (MiniLM, SmolLM2) are skipped by default: TX_MODELS_DIR points to an
# empty folder, so ModelStore finds no model and those suites report that they were skipped,
# exactly as on a machine that never ran scripts/fetch-models.sh. Under a sanitizer they would
# take many minutes (every multiply-add instrumented) while the parsing they do is fuzzed
# separately (scripts/fuzz.sh). SANITIZE_WITH_MODELS=1 keeps them.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  thread) kinds=(thread) ;;
  address) kinds=(address) ;;
  all) kinds=(thread address) ;;
  *) echo "usage: scripts/sanitize.sh thread|address|all" >&2; exit 2 ;;
esac

if [ "${SANITIZE_WITH_MODELS:-}" != "1" ]; then
  empty="$(mktemp -d)"
  trap 'rmdir "$empty"' EXIT
  export TX_MODELS_DIR="$empty"
  echo "sanitize: real-model tests skipped (TX_MODELS_DIR=$empty; SANITIZE_WITH_MODELS=1 runs them)"
fi

for kind in "${kinds[@]}"; do
  case "$kind" in thread) scratch=.build-tsan ;; address) scratch=.build-asan ;; esac
  start=$(date +%s)
  echo "sanitize: building the tests with --sanitize=$kind in $scratch"
  swift build --build-tests --sanitize="$kind" --scratch-path "$scratch"
  built=$(date +%s)
  echo "sanitize: running the tests with --sanitize=$kind"
  # halt_on_error: the first report fails the run instead of scrolling past.
  TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" ASAN_OPTIONS="halt_on_error=1 detect_leaks=0 ${ASAN_OPTIONS:-}" \
    swift test --skip-build --sanitize="$kind" --scratch-path "$scratch"
  end=$(date +%s)
  echo "sanitize: $kind clean: build $((built - start))s, tests $((end - built))s"
done
