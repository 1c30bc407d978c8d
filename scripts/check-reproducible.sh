#!/usr/bin/env bash
# Renders the whole figure gallery twice with the same seed, into two temporary folders, plus
# the same figures as PNG, SVG and PDF through tx attention, tx compare and tx shift (the
# gallery is PNG only; a PDF used to carry its creation time), and compares every file byte
# for byte. The two runs are at least a second apart, so a timestamp would show. Prints the number of files compared; exits 1 and names
# the files that differ (or exist in only one run) if the two runs are not identical.
#
#   ./scripts/check-reproducible.sh [SEED]       (default seed 7, as tx start uses)
#
# The test suite checks the same property lesson by lesson (EveryLessonTests and the
# real-model lesson tests render each lesson twice); this script checks the gallery as a whole,
# exactly as ./scripts/start.sh writes it, in a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
seed="${1:-7}"
read -r -a flags <<< "$(./scripts/release-flags.sh)"
swift build "${flags[@]}" --product tx >/dev/null
bin="$(swift build "${flags[@]}" --show-bin-path)/tx"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for run in a b; do
  "$bin" start --seed "$seed" --output-dir "$work/$run" </dev/null >"$work/$run.log" 2>&1 \
    || { echo "reproducible: run $run failed:" >&2; tail -5 "$work/$run.log" >&2; exit 1; }
  mkdir -p "$work/$run/formats"
  for format in png svg pdf; do
    for command in \
      "attention --text 我是一个学生 --causal --seed $seed --out $work/$run/formats/attention.$format" \
      "attention --text 我昨天在花园里看到了一只猫 --arch encoder-decoder --view grid --out $work/$run/formats/grid.$format" \
      "compare --text 我是一个学生 --target I_am_a_student --out $work/$run/formats/compare.$format" \
      "shift --source 我是一个学生 --target I_am_a_student --out $work/$run/formats/shift.$format"; do
      # shellcheck disable=SC2086  # the words of $command are the arguments; _ stands for a space
      set -- $command
      args=()
      for word in "$@"; do args+=("${word//_/ }"); done
      "$bin" "${args[@]}" </dev/null >>"$work/$run.log" 2>&1 \
        || { echo "reproducible: run $run failed on tx $command:" >&2; tail -5 "$work/$run.log" >&2; exit 1; }
    done
  done
  [ "$run" = a ] && sleep 1.1
done
count="$(cd "$work/a" && find . -type f | wc -l)"
if diff -r -q "$work/a" "$work/b" >"$work/diff"; then
  echo "reproducible: $count files, byte-identical across two runs with seed $seed"
else
  echo "reproducible: the two runs differ:" >&2
  cat "$work/diff" >&2
  exit 1
fi
