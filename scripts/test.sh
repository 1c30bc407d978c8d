#!/usr/bin/env bash
# The README's second command: the whole test suite (and the examples, which are built
# as part of it so they never rot).
set -euo pipefail
cd "$(dirname "$0")/.."
# --browser: also chromium, for the headless-browser test of `tx attention --html`.
./scripts/setup.sh --browser
# The real-model tests compare against golden fixtures and need the two models. In CI a
# missing model is a failure; elsewhere those tests report that they were skipped.
if ! ./scripts/fetch-models.sh; then
  if [ "${CI:-}" = "true" ]; then echo "test: the real models are needed in CI" >&2; exit 1; fi
  echo "test: the real-model tests will be skipped" >&2
fi
swift build --build-tests
swift test
# A separate package using the libraries by path, running the README's library example.
./scripts/consumer.sh
# The DocC catalogues, warnings as failures (swift-docc-plugin, no network: the build is reused).
./scripts/docs.sh
