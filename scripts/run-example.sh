#!/usr/bin/env bash
# Installs what is needed, builds, and runs plexus's main job: a local cluster (one scheduler,
# two workers) estimating pi with 100 Monte-Carlo tasks, then stopping.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
BUILD_DIR=${PLEXUS_BUILD_DIR:-build}
exec "$BUILD_DIR/plexus" up --config config/local.yaml -- "$BUILD_DIR/examples/plexus_example_pi"
