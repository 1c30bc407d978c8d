#!/usr/bin/env bash
# Runs the test suite under a sanitizer, in its own build folder so the normal build stays.
#
#   scripts/sanitize.sh thread|address|all [FILTER]
#
# FILTER (optional) is passed to `swift test --filter`, e.g. 'SharingAcrossTasks|WorkerPool' to run
# only the suites that share work between threads; without it the whole suite runs.
#
# thread  → swift test --sanitize=thread  in .build-tsan
# address → swift test --sanitize=address in .build-asan
#
# The real-model tests (MiniLM, SmolLM2) run too when the models are installed: measured on a
# 2-core machine they add about 80 s under ASan and 4 min under TSan (build ~4-5 min, the rest
# of the suite ~3 min, for each sanitizer). SANITIZE_SKIP_MODELS=1 skips them: TX_MODELS_DIR
# then points to an empty folder, so ModelStore finds no model and those suites report that
# they were skipped, exactly as on a machine that never ran scripts/fetch-models.sh.
# Leak detection is off (detect_leaks=0): this run looks for memory errors and data races;
# leaks at exit (caches kept for the process's life) are not what it is for.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  thread) kinds=(thread) ;;
  address) kinds=(address) ;;
  all) kinds=(thread address) ;;
  *) echo "usage: scripts/sanitize.sh thread|address|all [FILTER]" >&2; exit 2 ;;
esac
filter=()
if [ -n "${2:-}" ]; then filter=(--filter "$2"); fi

if [ "${SANITIZE_SKIP_MODELS:-}" = "1" ]; then
  empty="$(mktemp -d)"
  trap 'rmdir "$empty"' EXIT
  export TX_MODELS_DIR="$empty"
  echo "sanitize: real-model tests skipped (SANITIZE_SKIP_MODELS=1, TX_MODELS_DIR=$empty)"
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
    swift test --skip-build --sanitize="$kind" --scratch-path "$scratch" "${filter[@]}"
  end=$(date +%s)
  echo "sanitize: $kind clean: build $((built - start))s, tests $((end - built))s"
done
