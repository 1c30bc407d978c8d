#!/usr/bin/env bash
# The README's first command: set up, build in release mode, run the lessons.
# In a terminal this opens the lesson menu; without one (a pipe, CI) it runs every
# lesson without pausing and writes every figure under Output/.
# Extra arguments go to `tx start` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
echo "Building TransformerExplorer (release)…" >&2
# -target-cpu native lets the SIMD kernels use this CPU's widest vectors (AVX-512 here).
swift build -c release --product tx -Xswiftc -target-cpu -Xswiftc native 2>&1 \
  | grep -vE '^(\[[0-9]+/[0-9]+\]|Building for|Compiling|Write|Planning|Build complete|Build of product)' >&2 || true
bin="$(swift build -c release --show-bin-path -Xswiftc -target-cpu -Xswiftc native)/tx"
if [ ! -x "$bin" ]; then
  echo "start: the build failed; run 'swift build -c release' to see why" >&2
  exit 1
fi
exec "$bin" start "$@"
