#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/setup-python.sh   # the stock Scaler 1.9.9 peers the interop suites run against
scripts/build.sh
BUILD_DIR=${PLEXUS_BUILD_DIR:-build}
# Suites are independent processes on loopback with port 0, so they run in parallel.
ctest --test-dir "$BUILD_DIR" -j "$(nproc)" --output-on-failure --timeout 600
