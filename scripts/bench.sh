#!/usr/bin/env bash
# Measures TransformerExplorer against its baselines (issue 8, "Speed"):
#   0. installs the system packages it needs (scripts/setup.sh --bench: adds cmake and g++);
#   1. creates .venv-bench/ with the pinned numpy, matplotlib and gguf of requirements-bench.txt
#      (skipped when it is already there and complete: a second run starts at once);
#   2. builds llama.cpp's llama-bench from the pinned llama-cpp-python source package
#      (scripts/bench/build-llama-cpp.sh, cached in .venv-bench/llama.cpp; needs cmake and a C++
#      compiler; if it fails, the llama.cpp rows of the table say so instead of showing a number);
#   3. builds tx-bench in release for this CPU (scripts/release-flags.sh: -target-cpu native, and
#      FMA instructions where the CPU has them);
#   4. runs it; arguments go to tx-bench, e.g. --quick, --only matmul, --threads 1, --no-baseline.
# Writes Output/benchmarks.md (the table) and Output/benchmark-cost.png (cost against length).
# The real models come from scripts/fetch-models.sh; rows that need a missing one are skipped.
# Usage: scripts/bench.sh [tx-bench options]      (scripts/bench.sh --help for them)
set -euo pipefail
cd "$(dirname "$0")/.."
# The system packages the figures need, plus cmake and g++ for llama.cpp (fast when present).
scripts/setup.sh --bench
venv=.venv-bench
stamp="$venv/.requirements-bench.txt"
if [ ! -x "$venv/bin/python" ]; then
  echo "bench: creating $venv" >&2
  python3 -m venv "$venv"
fi
if ! cmp -s requirements-bench.txt "$stamp"; then
  echo "bench: installing requirements-bench.txt into $venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
  cp requirements-bench.txt "$stamp"
fi
llama=()
if llama_bench="$(scripts/bench/build-llama-cpp.sh "$venv/bin/python")"; then
  llama=(--llama-bench "$llama_bench")
else
  echo "bench: llama.cpp could not be built; its rows will be reported missing" >&2
  llama=(--llama-missing "llama.cpp build failed (scripts/bench/build-llama-cpp.sh)")
fi
read -r -a flags <<< "$(scripts/release-flags.sh)"
echo "bench: building tx-bench (${flags[*]})" >&2
swift build "${flags[@]}" --product tx-bench >&2
binary="$(swift build "${flags[@]}" --show-bin-path)/tx-bench"
mkdir -p Output
exec "$binary" --python "$venv/bin/python" "${llama[@]}" "$@"
