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
# The packages: build the .deb/.rpm, install them, run a job from /usr/bin with /etc/plexus, build
# the SDK examples against the installed SDK, purge. Installing packages needs root.
if [ "$(id -u)" -eq 0 ]; then
    scripts/test-packages.sh
else
    echo "skipping scripts/test-packages.sh (installs packages: needs root)"
fi
