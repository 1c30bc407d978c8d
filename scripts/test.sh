#!/usr/bin/env bash
# The README's second command: the whole test suite (and the examples, which are built
# as part of it so they never rot).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build --build-tests
swift test
