#!/usr/bin/env bash
# The benchmark suite in one command: builds (Release, in build-bench/), runs the raw machine
# limits, plexus over every transport x codec, and plexus side by side with its peers (stock
# Python Scaler 1.9.9, Dask distributed), and writes docs/benchmarks.md.
#
#   bench/run.sh                 # everything, ~15-25 minutes on 2 cores
#   QUICK=1 bench/run.sh         # a smoke run with small counts (the doc says so)
#   NO_DOC=1 bench/run.sh        # measure, print, leave docs/benchmarks.md alone
#   DOC_ONLY=1 bench/run.sh      # rewrite docs/benchmarks.md from the last run's results
#
# Every measurement is run 3 times (REPEAT=3) and reported as median [min-max], with the 1-minute
# load average at each run: on a busy machine the numbers mean little.
#
# Peers: stock Scaler 1.9.9 runs from .venv (scripts/setup-python.sh makes it), Dask from
# .venv-bench (bench/setup-venv.sh makes it, with the current dask[distributed]). A peer, plugin or
# benchmark that cannot run is reported as "n/a" with its reason; the rest still runs.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD="$ROOT/build-bench"
TEMPLATE="$ROOT/bench/bench.yaml"  # tcp + capnp; one copy per combination is written to $BUILD
COMBOS=(tcp/capnp zmq/capnp tcp/protobuf zmq/protobuf)
REPEAT=${REPEAT:-3}
QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
    N_THROUGHPUT=10000 N_LATENCY=300 N_PAYLOAD=2000 N_MEMORY=100000 MICRO_TIME=0.05
    BIG_BYTES=20000000 SCALER_NOOP=1000 SCALER_MIX=200 SCALER_LEAVES=32 SCALER_SLEEPS=50
    DASK_THROUGHPUT=2000 DASK_MEMORY=10000
else
    N_THROUGHPUT=100000 N_LATENCY=2000 N_PAYLOAD=10000 N_MEMORY=1000000 MICRO_TIME=0.2
    BIG_BYTES=100000000 SCALER_NOOP=10000 SCALER_MIX=2000 SCALER_LEAVES=256 SCALER_SLEEPS=500
    # Dask runs ~2,000 no-op tasks/s on this machine: 100,000 would take a minute per run.
    DASK_THROUGHPUT=20000 DASK_MEMORY=100000
fi
RESULTS="$BUILD/bench-results.jsonl"
LOG="$BUILD/bench-log.txt"
MICRO="$BUILD/bench-micro.txt"
RUN_INFO="$BUILD/bench-run.env"
SCALER_PY="$ROOT/.venv/bin/python"
DASK_PY="$ROOT/.venv-bench/bin/python"

say() { echo "== $*" >&2; }
config_for() { echo "$BUILD/bench-${1/\//-}.yaml"; }  # config_for tcp/capnp

# Records that BENCHES (space-separated) for LABEL were not measured, and why: skip "B1 B2" L WHY
skip() {
    local reason
    reason=$(tr -d '"\\' <<<"$3" | tr '\n\t' '  ' | cut -c1-300)
    for bench in $1; do
        echo "{\"bench\":\"$bench\",\"label\":\"$2\",\"skipped\":\"$reason\"}" >>"$RESULTS"
        echo "# $bench [$2] not measured: $reason" | tee -a "$LOG" >&2
    done
}

# Runs one benchmark command: its JSON lines go to $RESULTS, everything to $LOG, the human lines
# to the terminal. If it fails, those of BENCHES for LABEL it reported neither a summary nor a
# reason for are recorded as skipped, with the last line of its stderr as the reason, and the
# suite goes on: run "B1 B2" LABEL COMMAND...
run() {
    local benches=$1 label=$2
    shift 2
    say "$* (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    echo "\$ $*  # uptime: $(uptime)" >>"$LOG"
    local out="$BUILD/bench-stdout.txt" err="$BUILD/bench-stderr.txt" status=0
    "$@" 2>"$err" | tee "$out" | { grep -v '^{' || true; } >&2 || status=$?
    grep -v '^{' "$out" >>"$LOG" || true
    grep '^{' "$out" >>"$RESULTS" || true
    cat "$err" >>"$LOG"
    if [[ $status != 0 ]]; then
        tail -n 20 "$err" >&2
        local missing=""
        for bench in $benches; do
            grep -q "^{\"bench\":\"$bench\",\"label\":\"$label\",\"\(summary\|skipped\)\"" "$out" ||
                missing+=" $bench"
        done
        skip "$missing" "$label" "exit status $status: $(grep -v '^[[:space:]]*$' "$err" | tail -n 1)"
    fi
}

if [[ ${DOC_ONLY:-0} != 1 ]]; then
# ---- build ---------------------------------------------------------------------------------
say "building in $BUILD (Release)"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPLEXUS_BUILD_TESTS=OFF >/dev/null
TARGETS=(plexus plexus_transport_tcp plexus_codec_capnp plexus_bench plexus_bench_tasks raw_limits)
available=$(ninja -C "$BUILD" -t targets all 2>/dev/null | cut -d: -f1)
grep -qx plexus_micro_bench <<<"$available" && TARGETS+=(plexus_micro_bench)
ninja -C "$BUILD" "${TARGETS[@]}" >&2
# Optional plugins: a combination whose plugin does not build is reported as n/a.
declare -A BUILT=([tcp]=1 [capnp]=1)
for plugin in zmq:plexus_transport_zmq protobuf:plexus_codec_protobuf; do
    if grep -qx "${plugin#*:}" <<<"$available" && ninja -C "$BUILD" "${plugin#*:}" >&2; then
        BUILT[${plugin%%:*}]=1
    else
        say "the ${plugin%%:*} plugin does not build; its combinations are skipped"
    fi
done

: >"$RESULTS"
: >"$LOG"
START=$(date +%s)
# The tree measured, taken now: the report may be written later (DOC_ONLY=1), from another HEAD.
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain -- . ':!docs/benchmarks.md' 2>/dev/null | grep -q . &&
    echo " (with uncommitted changes)" || true)

# ---- the machine's limits ------------------------------------------------------------------
run tcp_pingpong "" "$BUILD/bench/raw_limits" pingpong --messages 20000 --size 64 --repeat "$REPEAT"
run memcpy "" "$BUILD/bench/raw_limits" memcpy --mb 100 --repeat "$REPEAT"

# ---- plexus over every transport x codec; tcp/capnp also with 1 worker ---------------------
PLEXUS="$BUILD/plexus"
DRIVER="$BUILD/bench/plexus_bench"
for combo in "${COMBOS[@]}"; do
    transport=${combo%/*} codec=${combo#*/}
    config=$(config_for "$combo")
    # Same file for the scheduler's endpoint, the workers and the client (plexus_bench --config).
    sed -e "s/transport: tcp/transport: $transport/" -e "s/codec: capnp/codec: $codec/" \
        -e "s#\.\./build-bench/#$BUILD/#" "$TEMPLATE" >"$config"
    counts=(2)
    [[ $combo == tcp/capnp ]] && counts=(1 2)
    for workers in "${counts[@]}"; do
        label="$workers worker$([[ $workers == 1 ]] || echo s) $combo"
        if [[ -z ${BUILT[$transport]:-} || -z ${BUILT[$codec]:-} ]]; then
            skip "throughput latency payload" "$label" "the $transport transport or the $codec codec plugin did not build"
            continue
        fi
        up=("$PLEXUS" up -n "$workers" --config "$config" -- "$DRIVER")
        common=(--config "$config" --repeat "$REPEAT" --label "$label")
        run throughput "$label" "${up[@]}" throughput --tasks "$N_THROUGHPUT" "${common[@]}"
        run latency "$label" "${up[@]}" latency --tasks "$N_LATENCY" "${common[@]}"
        run payload "$label" "${up[@]}" payload --tasks "$N_PAYLOAD" --size 1024 "${common[@]}"
    done
done
BASE_CONFIG=$(config_for tcp/capnp)
run bigobject "2 workers tcp/capnp" "$PLEXUS" up -n 2 --config "$BASE_CONFIG" -- "$DRIVER" bigobject \
    --size "$BIG_BYTES" --config "$BASE_CONFIG" --repeat "$REPEAT" --label "2 workers tcp/capnp"

# ---- the scheduler's memory with queued tasks (no workers) ---------------------------------
run memory scheduler "$DRIVER" memory --plexus "$PLEXUS" --config "$BASE_CONFIG" --tasks "$N_MEMORY" \
    --repeat "$REPEAT" --label "scheduler"

# ---- stock Python Scaler 1.9.9: its scheduler and plexus's, the same client and workers -----
SCALER_ARGS=(--noop "$SCALER_NOOP" --mix-tasks "$SCALER_MIX" --mix-bytes 100000
    --graph-leaves "$SCALER_LEAVES" --sleep-tasks "$SCALER_SLEEPS" --repeat "$REPEAT")
if setup_error=$("$ROOT/scripts/setup-python.sh" 2>&1); then
    for scheduler in stock plexus; do
        label=$([[ $scheduler == stock ]] && echo "stock scaler_scheduler" || echo "plexus scheduler")
        run "scaler_noop scaler_mix" "$label" "$SCALER_PY" "$ROOT/bench/python/scaler_bench.py" \
            --scheduler "$scheduler" --plexus "$PLEXUS" "${SCALER_ARGS[@]}"
    done
else
    for label in "stock scaler_scheduler" "plexus scheduler"; do
        skip "scaler_noop scaler_mix" "$label" "scripts/setup-python.sh failed: $(tail -n 1 <<<"$setup_error")"
    done
fi

# ---- Dask distributed: plexus_bench's workloads on a LocalCluster ----------------------------
DASK_BENCHES="dask_throughput dask_latency dask_bigobject dask_payload dask_memory"
if setup_error=$("$ROOT/bench/setup-venv.sh" 2>&1); then
    run "$DASK_BENCHES" dask "$DASK_PY" "$ROOT/bench/python/dask_bench.py" --throughput "$DASK_THROUGHPUT" \
        --latency "$N_LATENCY" --payload "$N_PAYLOAD" --size 1024 --big-bytes "$BIG_BYTES" \
        --memory "$DASK_MEMORY" --repeat "$REPEAT"
    DASK_VERSION=$("$DASK_PY" -c 'import dask, distributed; print(f"dask {dask.__version__}, distributed {distributed.__version__}")')
else
    skip "$DASK_BENCHES" dask "bench/setup-venv.sh could not install dask[distributed]: $(tail -n 1 <<<"$setup_error")"
    DASK_VERSION="not installed"
fi

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
# What the report needs to know about this run, for DOC_ONLY=1.
{
    for var in ELAPSED QUICK REPEAT N_THROUGHPUT N_LATENCY N_PAYLOAD N_MEMORY BIG_BYTES SCALER_NOOP \
        SCALER_MIX SCALER_LEAVES SCALER_SLEEPS DASK_THROUGHPUT DASK_MEMORY DASK_VERSION REV DIRTY; do
        printf '%s=%q\n' "$var" "${!var}"
    done
    printf 'MEASURED=%q\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
} >"$RUN_INFO"
say "measured in ${ELAPSED} s"
fi
# shellcheck source=/dev/null
source "$RUN_INFO"

[[ ${NO_DOC:-0} == 1 ]] && exit 0

# ---- docs/benchmarks.md --------------------------------------------------------------------
# The summary line of one benchmark (empty if it was not measured): summary BENCH [LABEL]
summary() {
    grep '"summary":true' "$RESULTS" | grep "\"bench\":\"$1\"" | { if [[ -n ${2:-} ]]; then grep "\"label\":\"$2\""; else cat; fi; } | head -1 || true
}
# "median min max" of one metric of a summary line: stat LINE METRIC
stat() { sed -n "s/.*\"$2\":{\"median\":\([^,]*\),\"min\":\([^,]*\),\"max\":\([^}]*\)}.*/\1 \2 \3/p" <<<"$1"; }
loads() { sed -n 's/.*"load1":\[\([^]]*\)\].*/\1/p' <<<"$1" | tr ',' ' '; }
# median [min-max] with a printf format: fmt3 FORMAT "median min max"
fmt3() { read -r m lo hi <<<"$2"; [[ -z ${m:-} ]] && { echo "n/a"; return; }; printf "$1 [$1-$1]" "$m" "$lo" "$hi"; }
# The median of a metric, empty if not measured: med "median min max"
med() { read -r m _ <<<"$1"; echo "${m:-}"; }
# a / b as "12.3x" and an optional word after it, or n/a when either is missing or b is 0
ratio() { awk -v a="$1" -v b="$2" -v w="${3:-}" 'BEGIN {
    if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.1fx%s", a / b, (w == "" ? "" : " " w) }'; }
# Whether a target holds: check "A >= B" or check "A <= B"; n/a when either side is not a number
check() { read -r a op b <<<"$1"; awk -v a="$a" -v b="$b" -v op="$op" 'BEGIN {
    number = "^[0-9.eE+-]+$"
    if (a !~ number || b !~ number) print "n/a"
    else if ((op == ">=" && a + 0 >= b + 0) || (op == "<=" && a + 0 <= b + 0)) print "**met**"
    else print "not met" }'; }
# For the benchmarks matching REGEX (and LABEL, if given) that were skipped: a blank line, then
# "- not measured: BENCH, BENCH [LABEL]: reason" lines; nothing if none was. reasons REGEX [LABEL]
reasons() {
    grep '"skipped"' "$RESULTS" | grep -E "\"bench\":\"($1)\"" | grep -F "\"label\":\"${2:-}" |
        sed 's/{"bench":"\([^"]*\)","label":"\([^"]*\)","skipped":"\([^"]*\)"}/\1|\2|\3/' |
        awk -F'|' '!seen[$1 "|" $2]++ { key = $2 "|" $3; if (key in benches) benches[key] = benches[key] ", "
                                        else order[n++] = key
                                        benches[key] = benches[key] "`" $1 "`" }
            END { if (n) print ""; for (i = 0; i < n; i++) { split(order[i], f, "|")
                  printf "- not measured: %s [%s]: %s\n", benches[order[i]], f[1], f[2] } }' || true
}
mul() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "") print ""; else print a * b }'; }

ping=$(summary tcp_pingpong)
ping50=$(med "$(stat "$ping" p50_us)")
two_rtt=$(mul "$ping50" 2)
memcpy=$(summary memcpy)

REV=${REV:-unknown}  # from the run (older run files lack it)
DIRTY=${DIRTY:-}
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
SCALER_VERSION=$("$SCALER_PY" -c 'import importlib.metadata as m; print("scaler", m.version("scaler"))' 2>/dev/null || echo "not installed")
DOC="$ROOT/docs/benchmarks.md"
{
    cat <<EOF
# plexus benchmarks

Generated by \`bench/run.sh\`$([[ $QUICK == 1 ]] && echo " **in QUICK mode (small counts: a smoke run, not a measurement)**") on ${MEASURED}, in ${ELAPSED} s.
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
| transport / codec | loopback; \`bench/bench.yaml\` (tcp / capnp, 1 executor per worker) and its copies for every transport x codec |
| peers | Python $("$SCALER_PY" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo "n/a"): ${SCALER_VERSION} (\`.venv\`); ${DASK_VERSION} (\`.venv-bench\`) |

Every figure is the **median [min-max] of ${REPEAT} runs**; "load" is the 1-minute load average
at the start of each run (a busy machine makes every figure worse; compare runs side by side, as
these tables do, not with figures from another machine). "n/a" means not measured; the reason
is listed under the table.

## The machine's own limits (\`bench/raw_limits\`)

| probe | result | load |
|---|---|---|
| loopback TCP ping-pong, 64 B, one round trip | p50 $(fmt3 %.1f "$(stat "$ping" p50_us)") us, p99 $(fmt3 %.1f "$(stat "$ping" p99_us)") us | $(loads "$ping") |
| two raw TCP round trips (the floor for client -> scheduler -> worker and back) | p50 $(awk -v p="$two_rtt" 'BEGIN{ if (p == "") print "n/a"; else printf "%.1f", p}') us | |
| memcpy 100 MB into a touched buffer | $(fmt3 %.1f "$(stat "$memcpy" gb_per_s)") GB/s | $(loads "$memcpy") |
EOF
    reasons 'tcp_pingpong|memcpy'
    cat <<EOF

## plexus end to end (\`bench/plexus_bench\` under \`plexus up -n N\`, tcp / capnp)

| benchmark | 1 worker | 2 workers | vs raw |
|---|---|---|---|
EOF
    t1=$(summary throughput "1 worker tcp/capnp"); t2=$(summary throughput "2 workers tcp/capnp")
    l1=$(summary latency "1 worker tcp/capnp"); l2=$(summary latency "2 workers tcp/capnp")
    p1=$(summary payload "1 worker tcp/capnp"); p2=$(summary payload "2 workers tcp/capnp")
    b2=$(summary bigobject "2 workers tcp/capnp")
    echo "| (a) throughput: ${N_THROUGHPUT} no-op tasks submitted at once, tasks/s | $(fmt3 %.0f "$(stat "$t1" tasks_per_s)") | $(fmt3 %.0f "$(stat "$t2" tasks_per_s)") | - |"
    echo "| (b) latency: ${N_LATENCY} sequential no-op tasks, p50 us | $(fmt3 %.0f "$(stat "$l1" p50_us)") | $(fmt3 %.0f "$(stat "$l2" p50_us)") | p50 = $(ratio "$(med "$(stat "$l1" p50_us)")" "$two_rtt") / $(ratio "$(med "$(stat "$l2" p50_us)")" "$two_rtt") two raw TCP round trips |"
    echo "| (b) latency p99 us | $(fmt3 %.0f "$(stat "$l1" p99_us)") | $(fmt3 %.0f "$(stat "$l2" p99_us)") | - |"
    echo "| (b) latency mean us | $(fmt3 %.0f "$(stat "$l1" mean_us)") | $(fmt3 %.0f "$(stat "$l2" mean_us)") | - |"
    echo "| (c) one $((BIG_BYTES / 1000000)) MB object: put, an echo task uses it, get the result; GB/s of object + result | - | $(fmt3 %.2f "$(stat "$b2" gb_per_s)") | $(ratio "$(med "$(stat "$memcpy" gb_per_s)")" "$(med "$(stat "$b2" gb_per_s)")") below memcpy |"
    echo "| (d) ${N_PAYLOAD} tasks, 1 KB argument + 1 KB result, tasks/s | $(fmt3 %.0f "$(stat "$p1" tasks_per_s)") | $(fmt3 %.0f "$(stat "$p2" tasks_per_s)") | - |"
    echo "| (d) same, MB/s of payload (arguments + results) | $(fmt3 %.2f "$(stat "$p1" mb_per_s)") | $(fmt3 %.2f "$(stat "$p2" mb_per_s)") | $(ratio "$(mul "$(med "$(stat "$memcpy" gb_per_s)")" 1000)" "$(med "$(stat "$p1" mb_per_s)")") below memcpy (1 worker) |"
    echo "| load at the runs (throughput / latency / payload; big object) | $(loads "$t1") / $(loads "$l1") / $(loads "$p1") | $(loads "$t2") / $(loads "$l2") / $(loads "$p2"); $(loads "$b2") | |"
    reasons 'throughput|latency|payload|bigobject' "1 worker tcp/capnp"
    reasons 'throughput|latency|payload|bigobject' "2 workers tcp/capnp"
    cat <<EOF

## Every transport x codec (issue #4), 2 workers

The same \`plexus_bench\` runs under \`plexus up -n 2 --config build-bench/bench-TRANSPORT-CODEC.yaml\`:
\`bench/bench.yaml\` with the transport and codec replaced in the scheduler's endpoint, the workers'
and the client's (\`plexus_bench --config\` reads its \`client:\` section), so all three agree.

| transport / codec | (a) ${N_THROUGHPUT} no-op tasks, tasks/s | (b) latency p50 us | (b) latency p99 us | (d) 1 KB in + out, tasks/s | (d) MB/s | load (a / b / d) |
|---|---|---|---|---|---|---|
EOF
    for combo in "${COMBOS[@]}"; do
        t=$(summary throughput "2 workers $combo"); l=$(summary latency "2 workers $combo"); p=$(summary payload "2 workers $combo")
        echo "| $combo | $(fmt3 %.0f "$(stat "$t" tasks_per_s)") | $(fmt3 %.0f "$(stat "$l" p50_us)") | $(fmt3 %.0f "$(stat "$l" p99_us)") | $(fmt3 %.0f "$(stat "$p" tasks_per_s)") | $(fmt3 %.2f "$(stat "$p" mb_per_s)") | $(loads "$t") / $(loads "$l") / $(loads "$p") |"
    done
    reasons 'throughput|latency|payload' "2 workers "
    m=$(summary memory)
    cat <<EOF

## (e) scheduler memory with ${N_MEMORY} queued tasks (\`plexus_bench memory\`)

\`plexus scheduler\` (tcp / capnp) alone (no worker, so every task stays queued); one
client submits ${N_MEMORY} no-op tasks, then a put()+get() barrier (answered only after the
scheduler has processed every earlier message on the link) says they are all queued. Baseline is
the scheduler's VmRSS once the client is connected; peak is VmHWM after the barrier.

| | result |
|---|---|
| bytes per queued task at peak, (VmHWM - baseline) / N | $(fmt3 %.0f "$(stat "$m" bytes_per_task_peak)") |
| bytes per queued task retained, (VmRSS - baseline) / N | $(fmt3 %.0f "$(stat "$m" bytes_per_task_retained)") |
| of which the kept Task frame (encoded size; forwarded unchanged to a worker) | $(fmt3 %.0f "$(stat "$m" task_frame_bytes)") |
| target: <= 256 B per queued task beyond its payload | beyond the frame at peak: $(awk -v a="$(med "$(stat "$m" bytes_per_task_peak)")" -v b="$(med "$(stat "$m" task_frame_bytes)")" 'BEGIN{ if (a == "") print "n/a"; else printf "%.0f B", a-b}') |
| tasks queued per second by the scheduler (submit to barrier) | $(fmt3 %.0f "$(stat "$m" queue_tasks_per_s)") |
| load at the runs | $(loads "$m") |
EOF
    reasons 'memory'
    cat <<EOF

Where those bytes go: see "Analysis" below.
EOF
    sn=$(summary scaler_noop "stock scaler_scheduler"); pn=$(summary scaler_noop "plexus scheduler")
    sm=$(summary scaler_mix "stock scaler_scheduler"); pm=$(summary scaler_mix "plexus scheduler")
    cat <<EOF

## Stock Python Scaler side by side (issue #5): \`scaler_scheduler\` vs \`plexus scheduler\`

\`bench/python/scaler_bench.py\`: the same stock Scaler client code (${SCALER_VERSION}) and 2 stock
workers (\`scaler_cluster -n 2\`) against each scheduler in turn (plexus: its zmq / capnp endpoint),
one cluster and one client per scheduler, after a warm-up that has seen both workers run tasks.
- (i) **no-op**: ${SCALER_NOOP} no-op tasks with \`client.map\` (submitted at once, gathered);
- (ii) **mix**: ${SCALER_MIX} echo tasks with 100 KB arguments and results (\`client.map\`), then a
  graph of $((2 * SCALER_LEAVES)) task nodes through \`client.get\` (a task per input, a binary
  tree of sums, a last node), then ${SCALER_SLEEPS} tasks that sleep 1 ms (\`client.map\`).

Scheduler CPU is utime + stime (+ cutime + cstime of reaped children) from \`/proc/PID/stat\`,
read before and after each workload, of the scheduler process **and every process descending
from it** (\`scaler_scheduler\` 1.9.9 keeps objects in its own process and starts no
object-storage server, which came with 1.10.0: the raw lines below list the processes counted).

| workload | wall s, stock | wall s, plexus | stock / plexus | scheduler CPU s per 1,000 tasks, stock | same, plexus | stock / plexus | load (stock; plexus) |
|---|---|---|---|---|---|---|---|
| (i) no-op | $(fmt3 %.2f "$(stat "$sn" seconds)") | $(fmt3 %.2f "$(stat "$pn" seconds)") | $(ratio "$(med "$(stat "$sn" seconds)")" "$(med "$(stat "$pn" seconds)")") | $(fmt3 %.3f "$(stat "$sn" scheduler_cpu_s_per_1k)") | $(fmt3 %.3f "$(stat "$pn" scheduler_cpu_s_per_1k)") | $(ratio "$(med "$(stat "$sn" scheduler_cpu_s_per_1k)")" "$(med "$(stat "$pn" scheduler_cpu_s_per_1k)")") | $(loads "$sn"); $(loads "$pn") |
| (ii) mix | $(fmt3 %.2f "$(stat "$sm" seconds)") | $(fmt3 %.2f "$(stat "$pm" seconds)") | $(ratio "$(med "$(stat "$sm" seconds)")" "$(med "$(stat "$pm" seconds)")") | $(fmt3 %.3f "$(stat "$sm" scheduler_cpu_s_per_1k)") | $(fmt3 %.3f "$(stat "$pm" scheduler_cpu_s_per_1k)") | $(ratio "$(med "$(stat "$sm" scheduler_cpu_s_per_1k)")" "$(med "$(stat "$pm" scheduler_cpu_s_per_1k)")") | $(loads "$sm"); $(loads "$pm") |
EOF
    reasons 'scaler_noop|scaler_mix'
    cat <<EOF

The wall time includes the Python client and workers, which are the same in both columns; the
scheduler CPU column is the scheduler's own cost.
EOF
    dt=$(summary dask_throughput); dl=$(summary dask_latency); db=$(summary dask_bigobject)
    dp=$(summary dask_payload); dm=$(summary dask_memory)
    pt=$(med "$(stat "$t2" tasks_per_s)"); dtm=$(med "$(stat "$dt" tasks_per_s)")
    pl=$(med "$(stat "$l2" p50_us)"); dlm=$(med "$(stat "$dl" p50_us)")
    pb=$(med "$(stat "$b2" gb_per_s)"); dbm=$(med "$(stat "$db" gb_per_s)")
    pp=$(med "$(stat "$p2" tasks_per_s)"); dpm=$(med "$(stat "$dp" tasks_per_s)")
    pmem=$(med "$(stat "$m" bytes_per_task_peak)"); dmm=$(med "$(stat "$dm" bytes_per_task_peak)")
    pframe=$(med "$(stat "$m" task_frame_bytes)")
    pbeyond=$(awk -v a="$pmem" -v b="$pframe" 'BEGIN { if (a == "") print ""; else print a - b }')
    cat <<EOF

## Dask side by side (issue #8)

\`bench/python/dask_bench.py\` (${DASK_VERSION}): \`LocalCluster(n_workers=2, threads_per_worker=1,
processes=True)\` over TCP, one client, the workloads of \`plexus_bench\`; plexus is the
"2 workers tcp/capnp" column above. (c) is \`scatter\` of the object, an echo task that takes it,
and \`result()\`; (e) is a \`dask scheduler\` process alone (no worker, tasks stay queued) with
VmHWM growth per task once the scheduler holds all of them.

| benchmark | plexus | Dask | plexus vs Dask | target | target met |
|---|---|---|---|---|---|
| (a) no-op tasks submitted at once, tasks/s (plexus ${N_THROUGHPUT} tasks, Dask ${DASK_THROUGHPUT}$([[ $DASK_THROUGHPUT != "$N_THROUGHPUT" ]] && echo ": fewer, to keep Dask's runs short")) | $(fmt3 %.0f "$(stat "$t2" tasks_per_s)") | $(fmt3 %.0f "$(stat "$dt" tasks_per_s)") | $(ratio "$pt" "$dtm") | >= 100x Dask | $(check "$(ratio "$pt" "$dtm" | tr -d x) >= 100") |
| (b) ${N_LATENCY} sequential no-op tasks, p50 us | $(fmt3 %.0f "$(stat "$l2" p50_us)") | $(fmt3 %.0f "$(stat "$dl" p50_us)") | $(ratio "$dlm" "$pl" faster) | p50 <= 3x two raw TCP round trips ($(awk -v p="$two_rtt" 'BEGIN{ if (p == "") print "n/a"; else printf "%.0f us", 3*p}')); plexus is at $(ratio "$pl" "$two_rtt") | $(check "$pl <= $(mul "$two_rtt" 3)") |
| (b) same, p99 us | $(fmt3 %.0f "$(stat "$l2" p99_us)") | $(fmt3 %.0f "$(stat "$dl" p99_us)") | $(ratio "$(med "$(stat "$dl" p99_us)")" "$(med "$(stat "$l2" p99_us)")" faster) | - | |
| (c) one $((BIG_BYTES / 1000000)) MB object in, used by a task, fetched back; GB/s of object + result | $(fmt3 %.2f "$(stat "$b2" gb_per_s)") | $(fmt3 %.2f "$(stat "$db" gb_per_s)") | $(ratio "$pb" "$dbm") | >= 10x Dask | $(check "$(ratio "$pb" "$dbm" | tr -d x) >= 10") |
| (d) ${N_PAYLOAD} tasks, 1 KB argument + 1 KB result, tasks/s | $(fmt3 %.0f "$(stat "$p2" tasks_per_s)") | $(fmt3 %.0f "$(stat "$dp" tasks_per_s)") | $(ratio "$pp" "$dpm") | - | |
| (e) scheduler bytes per queued no-op task at peak (plexus ${N_MEMORY} tasks, Dask ${DASK_MEMORY}) | $(fmt3 %.0f "$(stat "$m" bytes_per_task_peak)") | $(fmt3 %.0f "$(stat "$dm" bytes_per_task_peak)") | $(ratio "$dmm" "$pmem" smaller) | <= 256 B per queued task beyond its payload; plexus: $(awk -v a="$pbeyond" 'BEGIN { if (a == "") print "n/a"; else printf "%.0f B", a }') beyond the ${pframe:-?}-byte Task frame | $(check "$pbeyond <= 256") |
| load at the Dask runs (a / b / c / d / e) | | $(loads "$dt") / $(loads "$dl") / $(loads "$db") / $(loads "$dp") / $(loads "$dm") | | | |
EOF
    reasons 'dask_[a-z]+'
    cat <<EOF

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
