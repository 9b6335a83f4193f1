#!/usr/bin/env bash
# Builds plexus for the /usr prefix and makes its packages with CPack:
#   plexus_<version>_<arch>.deb, plexus-dev_<version>_<arch>.deb       (Debian, Ubuntu)
#   plexus-<version>-1.<arch>.rpm, plexus-devel-<version>-1.<arch>.rpm (built on this machine's
#   libraries: see README "Packages")
# and prints their paths, one per line, after "packages:".
#
# Environment: PLEXUS_PACKAGE_BUILD_DIR (default build-package), PLEXUS_PACKAGE_BUILD_TYPE
# (default Release). Tests and benchmarks are not built: nothing of them is packaged.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=$(realpath -m "${PLEXUS_PACKAGE_BUILD_DIR:-build-package}")
BUILD_TYPE=${PLEXUS_PACKAGE_BUILD_TYPE:-Release}

scripts/install-deps.sh
# CPack's tools: dpkg-shlibdeps (dpkg-dev) and file for the .deb dependencies, rpmbuild (rpm).
missing=()
command -v dpkg-shlibdeps >/dev/null || missing+=(dpkg-dev)
command -v file >/dev/null || missing+=(file)
command -v rpmbuild >/dev/null || missing+=(rpm)
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    echo "installing: ${missing[*]}"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-upgrade "${missing[@]}"
fi

# Hash paths relative to the checkout (as scripts/build.sh does) and ignore the build folder's
# name, so this build reuses the compiler cache of the main build for every file they share.
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=true

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DCMAKE_INSTALL_PREFIX=/usr \
    -DPLEXUS_BUILD_TESTS=OFF -DPLEXUS_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"

rm -f "$BUILD_DIR"/*.deb "$BUILD_DIR"/*.rpm
(cd "$BUILD_DIR" && cpack -G DEB >/dev/null && cpack -G RPM >/dev/null) || {
    echo "package.sh: cpack failed; rerun in $BUILD_DIR with 'cpack --verbose' for the details" >&2
    exit 1
}

echo "packages:"
shopt -s nullglob
packages=("$BUILD_DIR"/*.deb "$BUILD_DIR"/*.rpm)
if [ ${#packages[@]} -ne 4 ]; then
    echo "package.sh: expected 4 packages, found ${#packages[@]}" >&2
    exit 1
fi
printf '%s\n' "${packages[@]}"
