#!/usr/bin/env bash
# Builds llama.cpp's llama-bench for tx-bench's baseline (issue 23), from a pinned source package
# the Python registry serves: llama-cpp-python's source distribution vendors the whole of
# llama.cpp (tools/llama-bench included) and builds it with CMake. Nothing is typed in: if this
# script fails, tx-bench reports the llama.cpp rows as missing.
#
# The build is cached under .venv-bench/llama.cpp/ (out of git): a second run with the same pin
# returns at once. Prints the path of llama-bench on stdout; progress goes to stderr.
# Usage: scripts/bench/build-llama-cpp.sh [venv-python]
set -euo pipefail
cd "$(dirname "$0")/../.."
version=0.3.36                      # llama-cpp-python; its vendor/llama.cpp is the llama.cpp we time
root=.venv-bench/llama.cpp
source_dir="$root/llama_cpp_python-$version/vendor/llama.cpp"
build_dir="$root/build-$version"
binary="$build_dir/bin/llama-bench"
python="${1:-python3}"

if [ -x "$binary" ] && [ -f "$root/.built-$version" ]; then
  echo "$binary"
  exit 0
fi
if ! command -v cmake >/dev/null 2>&1; then
  echo "bench: llama.cpp needs cmake (apt-get install cmake); its rows will be reported missing" >&2
  exit 1
fi
mkdir -p "$root"
archive="$root/llama_cpp_python-$version.tar.gz"
if [ ! -f "$archive" ]; then
  echo "bench: fetching the llama-cpp-python $version source distribution (vendors llama.cpp)" >&2
  # Only this package as source: its build dependencies are not needed, we run CMake ourselves.
  "$python" -m pip download --quiet --disable-pip-version-check --no-deps \
    --no-binary llama-cpp-python "llama-cpp-python==$version" -d "$root" >&2
fi
if [ ! -d "$source_dir" ]; then
  tar xzf "$archive" -C "$root"
fi
echo "bench: building llama-bench from llama-cpp-python $version (CPU, native, Release)" >&2
cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
  -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TOOLS=ON -DBUILD_SHARED_LIBS=OFF >&2
cmake --build "$build_dir" --target llama-bench -j "$(nproc)" >&2
touch "$root/.built-$version"
echo "$binary"
