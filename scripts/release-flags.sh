#!/usr/bin/env bash
# Prints the `swift build` flags of a release build for this machine's CPU, on one line, for the
# scripts that build one (start.sh, bench.sh, check-reproducible.sh):
#   -c release -Xswiftc -target-cpu -Xswiftc native
#       the SIMD kernels use the CPU's widest vectors (AVX-512 where there is one);
#   -Xswiftc -DFUSED_MULTIPLY_ADD, when /proc/cpuinfo lists `fma` (or the CPU is arm64)
#       the kernels' multiply-adds become single FMA instructions. Swift cannot ask the CPU at
#       compile time, and without FMA in the target `addingProduct` is a slow library call, so
#       the switch is only set where the CPU has it (Sources/TensorCore/FusedMultiplyAdd.swift).
set -euo pipefail
flags=(-c release -Xswiftc -target-cpu -Xswiftc native)
if [ "$(uname -m)" = arm64 ] || [ "$(uname -m)" = aarch64 ] \
   || grep -qw fma /proc/cpuinfo 2>/dev/null \
   || sysctl -n machdep.cpu.features 2>/dev/null | grep -qw FMA; then
  flags+=(-Xswiftc -DFUSED_MULTIPLY_ADD)
fi
echo "${flags[*]}"
