#!/usr/bin/env bash
# The benchmark suite in one command: builds (Release, in build-bench/), runs the raw machine
# limits and plexus side by side, and writes docs/benchmarks.md.
#
#   bench/run.sh                 # everything, ~5-10 minutes on 2 cores
#   QUICK=1 bench/run.sh         # a smoke run with small counts (the doc says so)
#   NO_DOC=1 bench/run.sh        # measure, print, leave docs/benchmarks.md alone
#   DOC_ONLY=1 bench/run.sh      # rewrite docs/benchmarks.md from the last run's results
#
# Every measurement is run 3 times (REPEAT=3) and reported as median [min-max], with the 1-minute
# load average at each run: on a busy machine the numbers mean little.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD="$ROOT/build-bench"
CONFIG="$ROOT/bench/bench.yaml"  # names $BUILD/bench/libplexus_bench_tasks.so relative to itself
REPEAT=${REPEAT:-3}
QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
    N_THROUGHPUT=10000 N_LATENCY=300 N_PAYLOAD=2000 N_MEMORY=100000 MICRO_TIME=0.05
else
    N_THROUGHPUT=100000 N_LATENCY=2000 N_PAYLOAD=10000 N_MEMORY=1000000 MICRO_TIME=0.2
fi
RESULTS="$BUILD/bench-results.jsonl"
LOG="$BUILD/bench-log.txt"
MICRO="$BUILD/bench-micro.txt"

say() { echo "== $*" >&2; }

if [[ ${DOC_ONLY:-0} != 1 ]]; then
# ---- build ---------------------------------------------------------------------------------
say "building in $BUILD (Release)"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPLEXUS_BUILD_TESTS=OFF >/dev/null
TARGETS=(plexus plexus_transport_tcp plexus_codec_capnp plexus_bench plexus_bench_tasks raw_limits)
available=$(ninja -C "$BUILD" -t targets all 2>/dev/null | cut -d: -f1)
grep -qx plexus_micro_bench <<<"$available" && TARGETS+=(plexus_micro_bench)
ninja -C "$BUILD" "${TARGETS[@]}" >&2
# Optional codecs: benchmarked if they build, skipped (by the loader) if not.
if grep -qx plexus_codec_protobuf <<<"$available"; then
    ninja -C "$BUILD" plexus_codec_protobuf >&2 || say "the protobuf codec does not build; its micro-benchmarks are skipped"
fi

: >"$RESULTS"
: >"$LOG"
# Runs a command, keeps its JSON lines in $RESULTS and everything in $LOG, shows the human lines.
run() {
    say "$* (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    echo "\$ $*  # uptime: $(uptime)" >>"$LOG"
    "$@" | tee -a "$LOG" | tee >(grep '^{' >>"$RESULTS") | grep -v '^{' >&2
}

START=$(date +%s)

# ---- the machine's limits ------------------------------------------------------------------
run "$BUILD/bench/raw_limits" pingpong --messages 20000 --size 64 --repeat "$REPEAT"
run "$BUILD/bench/raw_limits" memcpy --mb 100 --repeat "$REPEAT"

# ---- plexus, with 1 and 2 workers (1 executor each) ----------------------------------------
PLEXUS="$BUILD/plexus"
DRIVER="$BUILD/bench/plexus_bench"
for workers in 1 2; do
    label="$workers worker$([[ $workers == 1 ]] || echo s)"
    run "$PLEXUS" up -n "$workers" --config "$CONFIG" -- \
        "$DRIVER" throughput --tasks "$N_THROUGHPUT" --repeat "$REPEAT" --label "$label"
    run "$PLEXUS" up -n "$workers" --config "$CONFIG" -- \
        "$DRIVER" latency --tasks "$N_LATENCY" --repeat "$REPEAT" --label "$label"
    run "$PLEXUS" up -n "$workers" --config "$CONFIG" -- \
        "$DRIVER" payload --tasks "$N_PAYLOAD" --size 1024 --repeat "$REPEAT" --label "$label"
done

# ---- the scheduler's memory with queued tasks (no workers) ---------------------------------
run "$DRIVER" memory --plexus "$PLEXUS" --config "$CONFIG" --tasks "$N_MEMORY" --repeat "$REPEAT" --label "scheduler"

# ---- micro-benchmarks ----------------------------------------------------------------------
: >"$MICRO"
if [[ -x "$BUILD/bench/plexus_micro_bench" ]]; then
    say "micro-benchmarks (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$MICRO"
    "$BUILD/bench/plexus_micro_bench" --benchmark_min_time="$MICRO_TIME" --benchmark_repetitions="$REPEAT" \
        --benchmark_report_aggregates_only=true 2>&1 | tee -a "$MICRO" >&2
    echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$MICRO"
fi
ELAPSED=$(($(date +%s) - START))
echo "$ELAPSED $QUICK $REPEAT $N_THROUGHPUT $N_LATENCY $N_PAYLOAD $N_MEMORY $(date -u '+%Y-%m-%d_%H:%M_UTC')" >"$BUILD/bench-run.txt"
say "measured in ${ELAPSED} s"
fi
read -r ELAPSED QUICK REPEAT N_THROUGHPUT N_LATENCY N_PAYLOAD N_MEMORY MEASURED <"$BUILD/bench-run.txt"

[[ ${NO_DOC:-0} == 1 ]] && exit 0

# ---- docs/benchmarks.md --------------------------------------------------------------------
# The summary line of one benchmark: summary BENCH [LABEL]
summary() {
    grep '"summary":true' "$RESULTS" | grep "\"bench\":\"$1\"" | { if [[ -n ${2:-} ]]; then grep "\"label\":\"$2\""; else cat; fi; } | head -1
}
# "median min max" of one metric of a summary line: stat LINE METRIC
stat() { sed -n "s/.*\"$2\":{\"median\":\([^,]*\),\"min\":\([^,]*\),\"max\":\([^}]*\)}.*/\1 \2 \3/p" <<<"$1"; }
loads() { sed -n 's/.*"load1":\[\([^]]*\)\].*/\1/p' <<<"$1" | tr ',' ' '; }
# median [min-max] with a printf format: fmt3 FORMAT "median min max"
fmt3() { read -r m lo hi <<<"$2"; [[ -z ${m:-} ]] && { echo "n/a"; return; }; printf "$1 [$1-$1]" "$m" "$lo" "$hi"; }
med() { read -r m _ <<<"$1"; echo "${m:-0}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.1fx", a / b }'; }

ping=$(summary tcp_pingpong)
ping50=$(med "$(stat "$ping" p50_us)")
memcpy=$(summary memcpy)

REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
DOC="$ROOT/docs/benchmarks.md"
{
    cat <<EOF
# plexus benchmarks

Generated by \`bench/run.sh\`$([[ $QUICK == 1 ]] && echo " **in QUICK mode (small counts: a smoke run, not a measurement)**") on ${MEASURED//_/ }, in ${ELAPSED} s.
Reproduce with one command from the repository root:

\`\`\`sh
bench/run.sh        # builds build-bench/ (Release), runs everything, rewrites this file
\`\`\`

| machine | |
|---|---|
| CPU | ${CPU}, $(nproc) hardware threads |
| kernel | $(uname -sr) |
| compiler | $(g++ --version | head -1) |
| plexus | git ${REV}${DIRTY}, Release build |
| transport / codec | tcp / capnp, loopback; \`bench/bench.yaml\` (1 executor per worker) |

Every figure is the **median [min-max] of ${REPEAT} runs**; "load" is the 1-minute load average
at the start of each run (a busy machine makes every figure worse; compare runs side by side, as
this table does, not with figures from another machine).

## The machine's own limits (\`bench/raw_limits\`)

| probe | result | load |
|---|---|---|
| loopback TCP ping-pong, 64 B, one round trip | p50 $(fmt3 %.1f "$(stat "$ping" p50_us)") us, p99 $(fmt3 %.1f "$(stat "$ping" p99_us)") us | $(loads "$ping") |
| two raw TCP round trips (the floor for client -> scheduler -> worker and back) | p50 $(awk -v p="$ping50" 'BEGIN{printf "%.1f", 2*p}') us | |
| memcpy 100 MB into a touched buffer | $(fmt3 %.1f "$(stat "$memcpy" gb_per_s)") GB/s | $(loads "$memcpy") |

## plexus end to end (\`bench/plexus_bench\` under \`plexus up -n N --config bench/bench.yaml\`)

| benchmark | 1 worker | 2 workers | vs raw |
|---|---|---|---|
EOF
    t1=$(summary throughput "1 worker"); t2=$(summary throughput "2 workers")
    l1=$(summary latency "1 worker"); l2=$(summary latency "2 workers")
    p1=$(summary payload "1 worker"); p2=$(summary payload "2 workers")
    echo "| (a) throughput: ${N_THROUGHPUT} no-op tasks submitted at once, tasks/s | $(fmt3 %.0f "$(stat "$t1" tasks_per_s)") | $(fmt3 %.0f "$(stat "$t2" tasks_per_s)") | - |"
    echo "| (b) latency: ${N_LATENCY} sequential no-op tasks, p50 us | $(fmt3 %.0f "$(stat "$l1" p50_us)") | $(fmt3 %.0f "$(stat "$l2" p50_us)") | p50 = $(ratio "$(med "$(stat "$l1" p50_us)")" "$(awk -v p="$ping50" 'BEGIN{print 2*p}')") / $(ratio "$(med "$(stat "$l2" p50_us)")" "$(awk -v p="$ping50" 'BEGIN{print 2*p}')") two raw TCP round trips |"
    echo "| (b) latency p99 us | $(fmt3 %.0f "$(stat "$l1" p99_us)") | $(fmt3 %.0f "$(stat "$l2" p99_us)") | - |"
    echo "| (b) latency mean us | $(fmt3 %.0f "$(stat "$l1" mean_us)") | $(fmt3 %.0f "$(stat "$l2" mean_us)") | - |"
    echo "| (d) ${N_PAYLOAD} tasks, 1 KB argument + 1 KB result, tasks/s | $(fmt3 %.0f "$(stat "$p1" tasks_per_s)") | $(fmt3 %.0f "$(stat "$p2" tasks_per_s)") | - |"
    echo "| (d) same, MB/s of payload (arguments + results) | $(fmt3 %.2f "$(stat "$p1" mb_per_s)") | $(fmt3 %.2f "$(stat "$p2" mb_per_s)") | $(ratio "$(awk -v g="$(med "$(stat "$memcpy" gb_per_s)")" 'BEGIN{print g*1000}')" "$(med "$(stat "$p1" mb_per_s)")") below memcpy (1 worker) |"
    echo "| load at the runs (throughput / latency / payload) | $(loads "$t1") / $(loads "$l1") / $(loads "$p1") | $(loads "$t2") / $(loads "$l2") / $(loads "$p2") | |"
    m=$(summary memory)
    cat <<EOF

## (e) scheduler memory with ${N_MEMORY} queued tasks (\`plexus_bench memory\`)

\`plexus scheduler --config bench/bench.yaml\` alone (no worker, so every task stays queued); one
client submits ${N_MEMORY} no-op tasks, then a put()+get() barrier (answered only after the
scheduler has processed every earlier message on the link) says they are all queued. Baseline is
the scheduler's VmRSS once the client is connected; peak is VmHWM after the barrier.

| | result |
|---|---|
| bytes per queued task at peak, (VmHWM - baseline) / N | $(fmt3 %.0f "$(stat "$m" bytes_per_task_peak)") |
| bytes per queued task retained, (VmRSS - baseline) / N | $(fmt3 %.0f "$(stat "$m" bytes_per_task_retained)") |
| of which the kept Task frame (encoded size; forwarded unchanged to a worker) | $(fmt3 %.0f "$(stat "$m" task_frame_bytes)") |
| target: <= 256 B per queued task beyond its payload | beyond the frame at peak: $(awk -v a="$(med "$(stat "$m" bytes_per_task_peak)")" -v b="$(med "$(stat "$m" task_frame_bytes)")" 'BEGIN{printf "%.0f B", a-b}') |
| tasks queued per second by the scheduler (submit to barrier) | $(fmt3 %.0f "$(stat "$m" queue_tasks_per_s)") |
| load at the runs | $(loads "$m") |

Where those bytes go: see "Analysis" below.

## Micro-benchmarks (\`build-bench/bench/plexus_micro_bench\`, Google Benchmark)

Codec encode/decode of representative messages for every codec plugin the loader finds (a codec
that is not built is listed as skipped), and the tcp transport's framing. Medians of ${REPEAT}
repetitions. \`Time\` is wall-clock, \`CPU\` the benchmark thread's CPU time: on a loaded machine
read the CPU column. Framing "encode" only builds the length headers and the gather list (writev
sends the payload in place), so its bytes_per_second is not a copy rate: read items_per_second
(frames per second); framing "decode" copies each frame into its own exactly-sized Buffer.

\`\`\`
EOF
    grep -E '^#|skipped|_median|^Run on|CPU Caches|^Load' "$MICRO" | grep -v '^-' || echo "(not built: Google Benchmark not found)"
    cat <<EOF
\`\`\`

## Raw output

Every measurement line (human form; the JSON lines are in build-bench/bench-results.jsonl),
with the per-process CPU used during the run (\`cpu:\` client, scheduler, workers, as % of one
core; JSON lines also list the busiest threads):

\`\`\`
EOF
    grep -E '^(\$|#)' "$LOG"
    echo '```'
    if [[ -f "$ROOT/bench/analysis.md" ]]; then
        echo
        cat "$ROOT/bench/analysis.md"
    fi
} >"$DOC"
say "wrote $DOC"
