#!/usr/bin/env bash
# Installs the Debian 12 packages plexus builds, tests and packages with. Idempotent: packages
# already present are left as they are (never upgraded), and apt is not touched at all when
# nothing is missing.
set -euo pipefail

PACKAGES=(
    cmake g++ ninja-build pkg-config file dpkg-dev ccache
    libboost-dev capnproto libcapnp-dev libprotobuf-dev protobuf-compiler
    libzmq3-dev cppzmq-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev libexpected-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    python3 python3-venv rpm
    clang libclang-rt-14-dev llvm   # scripts/fuzz.sh: clang, libFuzzer, llvm-symbolizer
)

missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-upgrade "${missing[@]}"
