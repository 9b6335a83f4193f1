#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz: tcp framing, capnp and protobuf decoding) with clang,
# ASan and UBSan, in the ASan build the test suite also uses (./build-asan, see
# scripts/configure-sanitizer-build.sh), and runs each for a bounded time, all at once, from the
# committed seeds (tests/fuzz/corpus/<target>). Fails on any crash, sanitizer report, violated
# invariant, leak, slow input or excessive memory. The input that did it is saved as
# build-asan/artifacts/<target>/crash-* (or leak-, timeout-, oom-); replay it with
#     build-asan/tests/fuzz/fuzz_<target> <file>
# and, once the bug is fixed, commit it to tests/fuzz/regressions/<target>/ (test_fuzz_replay
# replays every file there in the normal suite).
#
# New inputs the fuzzers find are kept in build-asan/corpus/<target>, so local runs pick up
# where the last one stopped.
#
# Environment:
#   FUZZ_SECONDS  how long each target runs (default 60; scripts/test.sh sets what CI uses)
#   FUZZ_TARGETS  which targets (default: tcp_framing capnp_decode protobuf_decode)
#   FUZZ_MAX_LEN  the largest input, in bytes (default 4096: a few frames of the 1 KiB limit the
#                 framing target uses; every seed is smaller)
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_MAX_LEN=${FUZZ_MAX_LEN:-4096}
read -r -a TARGETS <<<"${FUZZ_TARGETS:-tcp_framing capnp_decode protobuf_decode}"

export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
BUILD_DIR=$(scripts/configure-sanitizer-build.sh asan)
cmake --build "$BUILD_DIR" -j "$(nproc)" --target fuzzers

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

echo "fuzzing ${TARGETS[*]} for ${FUZZ_SECONDS} s each (inputs up to ${FUZZ_MAX_LEN} bytes)"
pids=()
for target in "${TARGETS[@]}"; do
    seeds=tests/fuzz/corpus/$target
    [ -d "$seeds" ] || { echo "fuzz.sh: no seed corpus $seeds" >&2; exit 1; }
    mkdir -p "$BUILD_DIR/corpus/$target" "$BUILD_DIR/artifacts/$target"
    # -rss_limit_mb: ASan's shadow memory included; -malloc_limit_mb: no single allocation may
    # come near this for an input of a few KiB; -timeout: seconds for one input, generous for a
    # loaded machine (an honest input takes microseconds).
    "$BUILD_DIR/tests/fuzz/fuzz_$target" "$BUILD_DIR/corpus/$target" "$seeds" \
        -max_total_time="$FUZZ_SECONDS" -max_len="$FUZZ_MAX_LEN" \
        -rss_limit_mb=2048 -malloc_limit_mb=256 -timeout=30 \
        -artifact_prefix="$BUILD_DIR/artifacts/$target/" -print_final_stats=1 \
        >"$BUILD_DIR/fuzz-$target.log" 2>&1 &
    pids+=($!)
done

failed=()
for i in "${!TARGETS[@]}"; do
    target=${TARGETS[$i]}
    if wait "${pids[$i]}"; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$BUILD_DIR/fuzz-$target.log")
        cov=$(grep -o 'cov: [0-9]*' "$BUILD_DIR/fuzz-$target.log" | tail -1 || true)
        echo "fuzz $target: ok, ${runs:-?} inputs, ${cov:-cov: ?}"
    else
        failed+=("$target")
        echo "fuzz $target: FAILED (log: $BUILD_DIR/fuzz-$target.log)" >&2
        tail -60 "$BUILD_DIR/fuzz-$target.log" >&2
        ls "$BUILD_DIR/artifacts/$target"/* >&2 2>/dev/null || true
    fi
done
if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz.sh: ${failed[*]} failed; the inputs are in $BUILD_DIR/artifacts/<target>/" >&2
    exit 1
fi
