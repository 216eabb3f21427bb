#!/usr/bin/env bash
# tls_overhead.sh — cost of the TLS hooks for a real program: a keep-alive loop of N HTTPS
# requests (python http.client against the local mock), alternately without and with the preload.
# Reports the with/without ratio of the median loop times for non-LLM requests, and the added
# median latency per captured LLM exchange. Rerunnable: BUILD, BENCH_N, BENCH_LLM_N, BENCH_RUNS.
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${BENCH_N:-2000}"
LLM_N="${BENCH_LLM_N:-300}"
RUNS="${BENCH_RUNS:-5}"
. "$ROOT/tests/integration/lib.sh"     # mock server, certificates, $PL_LIB, $PY; temp dir $T
[ -e "$PL_LIB" ] || { echo "build $PL_LIB first (make)" >&2; exit 1; }
start_mock --delay-ms 0 --no-h2
client="$ROOT/bench/tls_overhead_client.py"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# measure MODE COUNT: alternating runs, medians of the loop times into $WITHOUT $WITH
measure() {
    local mode="$1" n="$2" i
    : > "$T/without" ; : > "$T/with"
    for i in $(seq 1 "$RUNS"); do
        "$PY" "$client" "$MOCK_HTTPS_PORT" "$MOCK_CA" "$mode" "$n" >> "$T/without" || exit 1
        rm -f "$T/bench.db"
        PROMPTLOG_DATABASE="sqlite:///$T/bench.db" LD_PRELOAD="$PL_PRELOAD" \
            "$PY" "$client" "$MOCK_HTTPS_PORT" "$MOCK_CA" "$mode" "$n" >> "$T/with" || exit 1
    done
    WITHOUT="$(median < "$T/without")"
    WITH="$(median < "$T/with")"
}

echo "TLS hook overhead: python3 http.client keep-alive loop against the local mock, $RUNS alternating runs each"
printf '%-34s %8s %12s %12s %10s\n' "loop" "requests" "without (s)" "with (s)" "result"
measure other "$N"
printf '%-34s %8d %12.4f %12.4f %9.3fx\n' "GET /other (non-LLM)" "$N" "$WITHOUT" "$WITH" \
    "$(awk -v a="$WITH" -v b="$WITHOUT" 'BEGIN {print a / b}')"
measure llm "$LLM_N"
rows="$(sqlite3 "$T/bench.db" 'select count(*) from calls' 2>/dev/null || echo '?')"
printf '%-34s %8d %12.4f %12.4f %8.3fms\n' "POST /v1/chat/completions (LLM)" "$LLM_N" "$WITHOUT" "$WITH" \
    "$(awk -v a="$WITH" -v b="$WITHOUT" -v n="$LLM_N" 'BEGIN {print (a - b) / n * 1000}')"
echo "(non-LLM: ratio of median loop times; LLM: added median latency per captured exchange;"
echo " the last preloaded LLM run stored $rows rows, expected $((LLM_N + 1)))"
