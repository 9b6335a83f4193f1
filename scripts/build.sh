#!/usr/bin/env bash
# Configures (once) and builds plexus into ./build. Repeated runs rebuild only what changed;
# ccache keeps recompiles cheap across clean clones on the same machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${PLEXUS_BUILD_DIR:-build}
# Hash paths relative to the checkout, so a fresh clone elsewhere reuses the compiler cache.
export CCACHE_BASEDIR="$PWD"
# ...and ignore the build folder's name, so the package build (scripts/package.sh) reuses it too.
export CCACHE_NOHASHDIR=true
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
fi
cmake --build "$BUILD_DIR" -j "$(nproc)"
