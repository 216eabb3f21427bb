#!/usr/bin/env bash
# socket_overhead.sh — cost of the plain-socket hooks for a real program: a keep-alive loop of N
# plain-HTTP non-LLM requests (python http.client against the local mock), and N unbuffered
# 4 KiB file reads then N writes (read()/write() on fds the hooks do not follow), alternately
# without and with the preload; with/without ratio of the median times, and the added median
# latency per captured plain-HTTP LLM exchange. Rerunnable: BUILD, BENCH_N, BENCH_IO_N,
# BENCH_LLM_N, BENCH_RUNS.
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${BENCH_N:-2000}"
IO_N="${BENCH_IO_N:-100000}"
LLM_N="${BENCH_LLM_N:-300}"
RUNS="${BENCH_RUNS:-5}"
. "$ROOT/tests/integration/lib.sh"     # mock server, $PL_LIB, $PY; temp dir $T
[ -e "$PL_LIB" ] || { echo "build $PL_LIB first (make)" >&2; exit 1; }
start_mock --delay-ms 0 --no-h2
client="$ROOT/bench/socket_overhead_client.py"
head -c 1048576 /dev/urandom > "$T/data.bin"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# measure MODE COUNT ARG: alternating runs, medians of the loop times into $WITHOUT $WITH
measure() {
    local mode="$1" n="$2" arg="$3" i
    : > "$T/without" ; : > "$T/with"
    for i in $(seq 1 "$RUNS"); do
        "$PY" "$client" "$mode" "$n" "$arg" >> "$T/without" || exit 1
        rm -f "$T/bench.db"
        PROMPTLOG_DATABASE="sqlite:///$T/bench.db" LD_PRELOAD="$PL_PRELOAD" \
            "$PY" "$client" "$mode" "$n" "$arg" >> "$T/with" || exit 1
    done
    WITHOUT="$(median < "$T/without")"
    WITH="$(median < "$T/with")"
}
ratio() { awk -v a="$WITH" -v b="$WITHOUT" 'BEGIN {print a / b}'; }

echo "Socket hook overhead: python3 loops, $RUNS alternating runs each"
printf '%-34s %8s %12s %12s %10s\n' "loop" "count" "without (s)" "with (s)" "result"
measure other "$N" "$MOCK_HTTP_PORT"
printf '%-34s %8d %12.4f %12.4f %9.3fx\n' "plain GET /other (non-LLM)" "$N" "$WITHOUT" "$WITH" "$(ratio)"
[ ! -e "$T/bench.db" ] || { echo "bench: non-LLM plain HTTP created a database" >&2; exit 1; }
measure fileio "$IO_N" "$T/data.bin"
printf '%-34s %8d %12.4f %12.4f %9.3fx\n' "file 4 KiB os.read + os.write" "$IO_N" "$WITHOUT" "$WITH" "$(ratio)"
measure llm "$LLM_N" "$MOCK_HTTP_PORT"
rows="$(sqlite3 "$T/bench.db" 'select count(*) from calls' 2>/dev/null || echo '?')"
printf '%-34s %8d %12.4f %12.4f %8.3fms\n' "plain POST chat (LLM)" "$LLM_N" "$WITHOUT" "$WITH" \
    "$(awk -v a="$WITH" -v b="$WITHOUT" -v n="$LLM_N" 'BEGIN {print (a - b) / n * 1000}')"
[ "$rows" = "$LLM_N" ] || [ "$rows" = "$((LLM_N + 1))" ] || { echo "bench: $rows rows for $LLM_N LLM calls" >&2; exit 1; }
