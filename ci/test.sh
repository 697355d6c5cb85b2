#!/usr/bin/env bash
# Builds the suite and runs every test (unit, golden, end-to-end) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
ci/check-format.sh
ci/build.sh "$@"
BUILD_DIR=${BUILD_DIR:-build}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)"
