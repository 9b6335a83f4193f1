#!/usr/bin/env bash
# Builds and runs plexus's tests under the sanitizers (builds: scripts/configure-sanitizer-build.sh):
#   asan  the whole test suite with AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer,
#         in ./build-asan (it builds the fuzzers too, and replays their seeds: test_fuzz_replay),
#         except the stress tests labelled `slow` (100,000 tasks under repeated worker kills; 100
#         clients at once): unoptimised and instrumented, their processes miss heartbeat
#         deadlines on 2 cores, and the code they drive is covered by the other e2e tests here
#   tsan  the transport tests with ThreadSanitizer, in ./build-tsan: tcp and zmq (their unit,
#         wire and conformance tests) and the end-to-end tests, whose scheduler and worker
#         processes run the same instrumented binary
# Usage: scripts/test-sanitizers.sh [asan] [tsan]   (default: both)
#
# Every report is fatal (-fno-sanitize-recover=all, halt_on_error) and is written to
# <build>/sanitizer-logs/, by the test processes and by every plexus process they start, so a
# report from a child process fails the stage even when its test did not notice. The reports
# are printed on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
SUPPRESSIONS=$PWD/scripts/sanitizers
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true

STAGES=("$@")
[ ${#STAGES[@]} -ne 0 ] || STAGES=(asan tsan)

# run_ctest <build dir> <ctest arguments...>: runs the tests, then fails if any process wrote
# a sanitizer report (to <build dir>/sanitizer-logs, where the *SAN_OPTIONS below send them).
run_ctest() {
    local build=$1
    shift
    local logs=$build/sanitizer-logs
    rm -rf "$logs"
    mkdir -p "$logs"
    local status=0
    ctest --test-dir "$build" -j "$(nproc)" --output-on-failure --timeout 900 "$@" || status=$?
    if compgen -G "$logs/*" >/dev/null; then
        echo "test-sanitizers: sanitizer reports in $logs:" >&2
        for report in "$logs"/*; do
            echo "---- $report" >&2
            cat "$report" >&2
        done
        status=1
    fi
    return $status
}

for stage in "${STAGES[@]}"; do
    case $stage in
    asan)
        build=$PWD/$(scripts/configure-sanitizer-build.sh asan)
        cmake --build "$build" -j "$(nproc)"
        # detect_leaks: every process (test, scheduler, worker) must free what it allocates;
        # lsan.supp lists the third-party leaks, each with its reason. Use-after-return and
        # initialization-order checks find more bugs at little cost.
        # handle_segv/sigbus/sigfpe=0: a task that crashes must die of its signal, as it does in
        # production (the isolation tests check that the signal is named); ASan's instrumentation,
        # not its signal handler, is what finds memory errors.
        # use_tls=0: clang 14's LeakSanitizer crashes ("Tracer caught signal 11") scanning the
        # thread-local storage of a plugin that was unloaded, which every test that closes its
        # plugin registry does. Objects reachable only from thread_local storage are then not
        # roots; none of plexus's thread_local state owns heap memory that outlives its thread.
        ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:log_path=$build/sanitizer-logs/asan" \
            LSAN_OPTIONS="suppressions=$SUPPRESSIONS/lsan.supp:print_suppressions=0:use_tls=0" \
            UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$build/sanitizer-logs/ubsan" \
            run_ctest "$build" -LE '^slow$'
        ;;
    tsan)
        build=$PWD/$(scripts/configure-sanitizer-build.sh tsan)
        # Only the transport tests (their plugins, the plexus binary and the e2e tasks come as
        # their dependencies); ctest runs the tests of the executables built, skipping the
        # others' placeholders (*_NOT_BUILT) and the Python interop tests.
        cmake --build "$build" -j "$(nproc)" --target test_transport_tcp test_transport_zmq test_e2e
        # LD_PRELOAD: see tsan.supp (libzmq must stay loaded in every process). handle_*: as
        # for asan, a crashing task must die of its signal.
        LD_PRELOAD=libzmq.so.5 \
            TSAN_OPTIONS="halt_on_error=1:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:second_deadlock_stack=1:suppressions=$SUPPRESSIONS/tsan.supp:log_path=$build/sanitizer-logs/tsan" \
            run_ctest "$build" -E '_NOT_BUILT$|^interop\.'
        ;;
    *)
        echo "usage: $0 [asan] [tsan]" >&2
        exit 2
        ;;
    esac
done
