#!/usr/bin/env bash
# Fuzzes the model-file parsers with libFuzzer (+ AddressSanitizer), one target at a time.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      TARGET: safetensors gguf vocab bpe forward (default: all)
#
# Builds Fuzz/ (its own SwiftPM package, depending on this one) in release with
# -sanitize=fuzzer,address into .build-fuzz, then runs each target for SECONDS (default 60)
# starting from the committed seeds in Fuzz/Seeds/<target> plus the corpus kept from earlier
# runs in .build-fuzz/corpus/<target>. FUZZ_RUNS=N stops a target after N executions instead
# (SECONDS stays the cap). Each run appends a line (executions, time, crashes) to
# Fuzz/RESULTS.md; a crashing, hanging (-timeout) or memory-hungry (-rss_limit_mb) input is
# saved as Fuzz/Crashes/<target>-<kind>-<hash>: fix it, then move it to
# Tests/ModelIOTests/Fixtures/fuzz-regressions/ with a test (see FuzzRegressionTests.swift).
# Fuzzers run one after another: they are CPU-bound and the machine may be shared.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(safetensors gguf vocab bpe forward)
for target in "${targets[@]}"; do
  case "$target" in safetensors|gguf|vocab|bpe|forward) ;; *) echo "fuzz: unknown target $target" >&2; exit 2;; esac
done

scratch=.build-fuzz
flags=(-c release --package-path Fuzz --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address)
for target in "${targets[@]}"; do
  swift build "${flags[@]}" --product "fuzz-$target"
done
bin="$(swift build "${flags[@]}" --show-bin-path)"

mkdir -p Fuzz/Crashes
results=Fuzz/RESULTS.md
if [ ! -f "$results" ]; then
  printf '# Fuzzing record\n\nAppended by scripts/fuzz.sh, one line per run.\n\n' > "$results"
  printf '| date (UTC) | commit | target | executions | seconds | exec/s | new crashes | corpus |\n' >> "$results"
  printf '|---|---|---|---:|---:|---:|---:|---:|\n' >> "$results"
fi
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet -- Sources Fuzz 2>/dev/null || echo '+dirty')"

status=0
for target in "${targets[@]}"; do
  corpus="$scratch/corpus/$target"
  mkdir -p "$corpus"
  log="$scratch/fuzz-$target.log"
  before=$(ls Fuzz/Crashes | grep -c "^$target-" || true)
  runs=()
  [ -n "${FUZZ_RUNS:-}" ] && runs=(-runs="$FUZZ_RUNS")
  start=$(date +%s)
  echo "fuzz: $target for at most ${seconds}s${FUZZ_RUNS:+ or $FUZZ_RUNS executions} (log: $log)"
  set +e
  "$bin/fuzz-$target" "$corpus" "Fuzz/Seeds/$target" \
    -max_total_time="$seconds" "${runs[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 -artifact_prefix="Fuzz/Crashes/$target-" > "$log" 2>&1
  code=$?
  set -e
  elapsed=$(( $(date +%s) - start ))
  executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  if [ -z "$executions" ]; then
    executions=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  fi
  executions=${executions:-0}
  after=$(ls Fuzz/Crashes | grep -c "^$target-" || true)
  crashes=$((after - before))
  rate=$(( executions / (elapsed > 0 ? elapsed : 1) ))
  size=$(ls "$corpus" | wc -l)
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(date -u '+%Y-%m-%d %H:%M')" "$commit" "$target" \
    "$executions" "$elapsed" "$rate" "$crashes" "$size" >> "$results"
  echo "fuzz: $target: $executions executions in ${elapsed}s, $crashes new crash(es), exit $code"
  if [ "$code" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    status=1
    grep -E 'ERROR|Fatal error|SUMMARY|artifact' "$log" | head -20 >&2 || true
  fi
done
exit $status
