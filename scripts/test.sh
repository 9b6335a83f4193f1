#!/usr/bin/env bash
# Installs what is needed, then runs every test stage (CI runs exactly this, through .ci/run):
#   suite     build ./build and run the whole test suite (ctest)
#   packages  build the .deb/.rpm packages, install them, run a job from /usr/bin with
#             /etc/plexus, build the SDK examples against the installed SDK, purge (needs root)
#   asan      the test suite under ASan + UBSan (scripts/test-sanitizers.sh asan; ./build-asan)
#   fuzz      the fuzzers, FUZZ_SECONDS each (scripts/fuzz.sh; built in ./build-asan)
#   tsan      the transport tests under TSan (scripts/test-sanitizers.sh tsan; ./build-tsan)
# The builds run one after another, each with every core: on a small machine, parallel builds
# only fight over the cores and the memory.
#
# For local use, PLEXUS_SKIP_<STAGE>=1 skips a stage (PLEXUS_SKIP_SUITE, ..._PACKAGES, ..._FUZZ,
# ..._ASAN, ..._TSAN; PLEXUS_SKIP_SANITIZERS=1 skips asan and tsan). CI skips none. A failed
# stage does not stop the later ones; the script fails if any failed, after a summary of what
# each stage took.
set -euo pipefail
cd "$(dirname "$0")/.."

# Per fuzz target (they run side by side): long enough for each to pass its seeds' neighbourhood
# many times over, short enough for the CI budget (scripts/test.sh well under 30 minutes).
export FUZZ_SECONDS=${FUZZ_SECONDS:-45}

START=$(date +%s)
SUMMARY=()
FAILED=()
TIMES=$(mktemp)
trap 'rm -f "$TIMES"' EXIT

# Sets CPU to the CPU seconds (user + system) of this shell's finished children so far: a
# stage's CPU time tells what it would take on an idle machine when other load stretched its wall
# time. `times` must run in this shell itself (a $(...) subshell has no children yet).
children_cpu() {
    times >"$TIMES"
    CPU=$(awk 'NR == 2 { split($1, u, "m"); split($2, s, "m"); printf "%d", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$TIMES")
}

# stage <name> <command...>: runs the command unless PLEXUS_SKIP_<NAME>=1, timing it.
stage() {
    local name=$1
    shift
    local skip_var=PLEXUS_SKIP_${name^^}
    if [ "${!skip_var:-0}" = 1 ]; then
        SUMMARY+=("$(printf '  %-9s %7s %7s  skipped (%s=1)' "$name" - - "$skip_var")")
        return 0
    fi
    echo "== test.sh: $name"
    local begin cpu_begin status=0
    begin=$(date +%s)
    children_cpu
    cpu_begin=$CPU
    "$@" || status=$?
    children_cpu
    local took=$(($(date +%s) - begin)) cpu=$((CPU - cpu_begin))
    local outcome=ok
    if [ "$status" -ne 0 ]; then
        outcome="FAILED (exit $status)"
        FAILED+=("$name")
    fi
    SUMMARY+=("$(printf '  %-9s %5d s %5d s  %s' "$name" "$took" "$cpu" "$outcome")")
}

suite() {
    scripts/build.sh
    # Suites are independent processes on loopback with port 0, so they run in parallel.
    ctest --test-dir "${PLEXUS_BUILD_DIR:-build}" -j "$(nproc)" --output-on-failure --timeout 600
}

packages() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "skipping scripts/test-packages.sh (installs packages: needs root)"
        return 0
    fi
    scripts/test-packages.sh
}

if [ "${PLEXUS_SKIP_SANITIZERS:-0}" = 1 ]; then
    export PLEXUS_SKIP_ASAN=1 PLEXUS_SKIP_TSAN=1
fi

stage deps scripts/install-deps.sh
if [ ${#FAILED[@]} -ne 0 ]; then
    echo "test.sh: cannot install what the tests need" >&2
    exit 1
fi
stage python scripts/setup-python.sh # the stock Scaler 1.9.9 peers the interop suites run against
stage suite suite
stage packages packages
stage asan scripts/test-sanitizers.sh asan
stage fuzz scripts/fuzz.sh
stage tsan scripts/test-sanitizers.sh tsan

echo "== test.sh: summary"
printf '  %-9s %7s %7s\n' stage wall cpu
printf '%s\n' "${SUMMARY[@]}"
children_cpu
printf '  %-9s %5d s %5d s\n' total $(($(date +%s) - START)) "$CPU"
if [ ${#FAILED[@]} -ne 0 ]; then
    echo "test.sh: FAILED: ${FAILED[*]}" >&2
    exit 1
fi
