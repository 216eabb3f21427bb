#!/usr/bin/env bash
# node_overhead.sh — cost of entry patching for node: a keep-alive loop of N HTTPS requests
# (node's https against the local mock), alternately without and with the preload. Reports the
# with/without ratio of median CPU time (user+system, inside the loop) for non-LLM requests, and
# the added median latency per captured LLM exchange (bench/run.sh gives the PLT path's figure for
# Python in the same run). Rerunnable: BUILD, BENCH_N, BENCH_LLM_N, BENCH_RUNS.
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${BENCH_N:-2000}"
LLM_N="${BENCH_LLM_N:-300}"
RUNS="${BENCH_RUNS:-5}"
. "$ROOT/tests/integration/lib.sh"
command -v node >/dev/null || { echo "node not installed: skipped"; exit 0; }
[ -e "$PL_LIB" ] || { echo "build $PL_LIB first (make)" >&2; exit 1; }
start_mock --delay-ms 0 --no-h2
client="$ROOT/bench/node_overhead_client.js"
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# measure MODE COUNT: medians of wall and CPU seconds into WALL_WITHOUT/WITH, CPU_WITHOUT/WITH
measure() {
    local mode="$1" n="$2" i
    : > "$T/without"; : > "$T/with"
    for i in $(seq 1 "$RUNS"); do
        node "$client" "$MOCK_HTTPS_PORT" "$MOCK_CA" "$mode" "$n" >> "$T/without" || exit 1
        rm -f "$T/bench.db"
        PROMPTLOG_DATABASE="sqlite:///$T/bench.db" LD_PRELOAD="$PL_PRELOAD" \
            node "$client" "$MOCK_HTTPS_PORT" "$MOCK_CA" "$mode" "$n" >> "$T/with" || exit 1
    done
    WALL_WITHOUT="$(cut -d' ' -f1 "$T/without" | median)"; WALL_WITH="$(cut -d' ' -f1 "$T/with" | median)"
    CPU_WITHOUT="$(cut -d' ' -f2 "$T/without" | median)"; CPU_WITH="$(cut -d' ' -f2 "$T/with" | median)"
}

echo "Entry-patch overhead: node https keep-alive loop against the local mock, $RUNS alternating runs each"
printf '%-34s %8s %14s %14s %10s\n' "loop" "requests" "without" "with" "result"
measure other "$N"
printf '%-34s %8d %12.4fs %12.4fs %9.4fx  (CPU; wall %.4fx)\n' "GET /other (non-LLM), CPU time" "$N" \
    "$CPU_WITHOUT" "$CPU_WITH" "$(awk -v a="$CPU_WITH" -v b="$CPU_WITHOUT" 'BEGIN {print a / b}')" \
    "$(awk -v a="$WALL_WITH" -v b="$WALL_WITHOUT" 'BEGIN {print a / b}')"
measure llm "$LLM_N"
rows="$(sqlite3 "$T/bench.db" 'select count(*) from calls' 2>/dev/null || echo '?')"
printf '%-34s %8d %12.4fs %12.4fs %8.3fms\n' "POST /v1/chat/completions (LLM)" "$LLM_N" "$WALL_WITHOUT" \
    "$WALL_WITH" "$(awk -v a="$WALL_WITH" -v b="$WALL_WITHOUT" -v n="$LLM_N" 'BEGIN {print (a - b) / n * 1000}')"
echo "(non-LLM: ratio of median CPU times; LLM: added median wall time per captured exchange;"
echo " the last preloaded LLM run stored $rows rows, expected $((LLM_N + 1)))"
