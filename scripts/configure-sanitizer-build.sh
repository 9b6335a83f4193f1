#!/usr/bin/env bash
# Configures (once) one of the sanitizer builds and prints its folder:
#   asan  ./build-asan: clang, ASan + UBSan, with the libFuzzer targets (PLEXUS_FUZZ). The test
#         suite (scripts/test-sanitizers.sh asan) and the fuzzers (scripts/fuzz.sh) share it:
#         one build instead of two, and clang builds ASan + UBSan code about 30% faster than gcc.
#   tsan  ./build-tsan: gcc, TSan (scripts/test-sanitizers.sh tsan). gcc builds TSan code faster
#         than clang, and the zmq plugin's TSan annotations key on gcc's __SANITIZE_THREAD__.
# asan uses -O0 -g1 (half the build time of -O1; the suite waits on sockets far more than it
# computes, and tests/fuzz keeps -O1 for the fuzzed decoders, for the fuzzers' speed), tsan
# -O1 -g1 (TSan is too slow unoptimised). Both keep line numbers in reports, keep assertions on
# (no -DNDEBUG), and leave out the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
case ${1:-} in
asan)
    dir=build-asan
    opt=-O0
    set -- -DPLEXUS_SANITIZE=address,undefined -DPLEXUS_FUZZ=ON
    export CC=clang CXX=clang++
    ;;
tsan)
    dir=build-tsan
    opt=-O1
    # -Wno-tsan: gcc warns that TSan does not model atomic_thread_fence, which Asio's fenced
    # blocks use around handlers; Asio's handler queues are mutex-protected, which TSan does see.
    set -- -DPLEXUS_SANITIZE=thread -DCMAKE_CXX_FLAGS=-Wno-tsan
    export CC=gcc CXX=g++
    ;;
*)
    echo "usage: $0 asan|tsan" >&2
    exit 2
    ;;
esac
if [ ! -f "$dir/build.ninja" ]; then
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_C_FLAGS_RELWITHDEBINFO="$opt -g1" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$opt -g1" \
        -DPLEXUS_BUILD_BENCH=OFF "$@" >/dev/null
fi
echo "$dir"
