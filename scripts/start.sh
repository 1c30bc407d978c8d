#!/usr/bin/env bash
# The README's first command: set up, build in release mode, run the lessons.
# In a terminal this opens the lesson menu; without one (a pipe, CI) it runs every
# lesson without pausing and writes every figure under Output/.
# Extra arguments go to `tx start` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# The real models (MiniLM, SmolLM2) for the lessons that look inside them; offline, those
# lessons say how to get them and every other lesson still runs.
./scripts/fetch-models.sh || echo "start: going on without the real models" >&2
echo "Building TransformerExplorer (release)…" >&2
# For this CPU: its widest vectors (AVX-512 here) and its FMA instructions (release-flags.sh).
read -r -a flags <<< "$(./scripts/release-flags.sh)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! swift build "${flags[@]}" --product tx >"$log" 2>&1; then
  cat "$log" >&2
  echo "start: the build failed (output above)" >&2
  exit 1
fi
# Show only what matters from a successful build (warnings, if any), not the progress lines.
# pkg-config gives Pango's flags with -pthread, which SwiftPM drops with a warning; the library
# links pthreads anyway, so that warning says nothing a learner can act on.
grep -vE '^(\[[0-9]+/[0-9]+\]|Building for|Compiling|Write|Planning|Build complete|Build of product|Fetch|Computing|Computed|Creating working copy|Working copy|Updating|Updated|warning: prohibited flag\(s\): -pthread(, -pthread)*$)' "$log" >&2 || true
bin="$(swift build "${flags[@]}" --show-bin-path)/tx"
"$bin" start "$@"
