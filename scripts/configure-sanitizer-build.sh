#!/usr/bin/env bash
# Configures (once) one of the sanitizer builds and prints its folder:
#   asan  ./build-asan: clang, ASan + UBSan, with the libFuzzer targets (PLEXUS_FUZZ). The test
#         suite (scripts/test-sanitizers.sh asan) and the fuzzers (scripts/fuzz.sh) share it:
#         one build instead of two, and clang builds ASan + UBSan code about 30% faster than gcc.
#   tsan  ./build-tsan: gcc, TSan (scripts/test-sanitizers.sh tsan). gcc builds TSan code faster
#         than clang, and the zmq plugin's TSan annotations key on gcc's __SANITIZE_THREAD__.
# Both use -O1 -g1 (much quicker to build than -O2 -g, still line numbers in reports), keep
# assertions on (no -DNDEBUG), and leave out the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
case ${1:-} in
asan)
    dir=build-asan
    set -- -DPLEXUS_SANITIZE=address,undefined -DPLEXUS_FUZZ=ON
    export CC=clang CXX=clang++
    ;;
tsan)
    dir=build-tsan
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
        -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
        -DPLEXUS_BUILD_BENCH=OFF "$@" >/dev/null
fi
echo "$dir"
