#!/usr/bin/env bash
# go_overhead.sh — cost of the Go crypto/tls hooks for a real Go program (tests/progs/go_llm.go,
# net/http over TLS against the local mock, HTTP/1.1: the mock's HTTP/2 answers GETs at delayed-ACK
# pace, which would measure the mock): a keep-alive loop of N requests,
# alternately without and with the preload. Reports, as ratios of the medians, the CPU time of
# the non-LLM loop (GET /other: every Read and Write goes through the hooks, nothing is kept)
# and the added CPU time per captured LLM exchange (bench/run.sh gives the OpenSSL path's figure
# in the same run). Rerunnable: BUILD, BENCH_N, BENCH_LLM_N, BENCH_RUNS.
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${BENCH_N:-2000}"
LLM_N="${BENCH_LLM_N:-300}"
RUNS="${BENCH_RUNS:-5}"
. "$ROOT/tests/integration/go_lib.sh"  # lib.sh (mock, certificates, $T) and go_build
[ -e "$PL_LIB" ] || { echo "build $PL_LIB first (make)" >&2; exit 1; }
go_build "$T/go_llm"
start_mock --delay-ms 0 --no-h2

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# measure MODE COUNT: alternating runs; medians of wall and CPU seconds into W0 C0 (without), W1 C1
measure() {
    local mode="$1" n="$2" i
    : > "$T/without" ; : > "$T/with"
    for i in $(seq 1 "$RUNS"); do
        SSL_CERT_FILE="$MOCK_CA" "$T/go_llm" bench "$mode" "$MOCK_HTTPS" "$n" >> "$T/without" || exit 1
        rm -f "$T/bench.db"*
        SSL_CERT_FILE="$MOCK_CA" PROMPTLOG_DATABASE="sqlite:///$T/bench.db" LD_PRELOAD="$PL_PRELOAD" \
            "$T/go_llm" bench "$mode" "$MOCK_HTTPS" "$n" >> "$T/with" || exit 1
    done
    W0="$(cut -d' ' -f1 "$T/without" | median)"; C0="$(cut -d' ' -f2 "$T/without" | median)"
    W1="$(cut -d' ' -f1 "$T/with" | median)"; C1="$(cut -d' ' -f2 "$T/with" | median)"
}

echo "Go crypto/tls hook overhead: net/http HTTPS keep-alive loop against the local mock, $RUNS alternating runs each"
printf '%-34s %8s %14s %14s %10s\n' "loop" "requests" "without cpu(s)" "with cpu(s)" "result"
measure other "$N"
[ ! -e "$T/bench.db" ] || { echo "bench: a non-LLM loop created a database" >&2; exit 1; }
printf '%-34s %8d %14.4f %14.4f %9.3fx\n' "GET /other (non-LLM), CPU" "$N" "$C0" "$C1" \
    "$(awk -v a="$C1" -v b="$C0" 'BEGIN {print a / b}')"
printf '%-34s %8d %14.4f %14.4f %9.3fx\n' "GET /other (non-LLM), wall" "$N" "$W0" "$W1" \
    "$(awk -v a="$W1" -v b="$W0" 'BEGIN {print a / b}')"
measure llm "$LLM_N"
rows="$(sqlite3 "$T/bench.db" 'select count(*) from calls' 2>/dev/null || echo '?')"
printf '%-34s %8d %14.4f %14.4f %8.3fms\n' "POST chat (LLM), CPU per exchange" "$LLM_N" "$C0" "$C1" \
    "$(awk -v a="$C1" -v b="$C0" -v n="$LLM_N" 'BEGIN {print (a - b) / n * 1000}')"
printf '%-34s %8d %14.4f %14.4f %8.3fms\n' "POST chat (LLM), wall per exchange" "$LLM_N" "$W0" "$W1" \
    "$(awk -v a="$W1" -v b="$W0" -v n="$LLM_N" 'BEGIN {print (a - b) / n * 1000}')"
echo "(non-LLM: ratio of median loop times; LLM: added median time per captured exchange;"
echo " the last preloaded LLM run stored $rows rows, expected $((LLM_N + 1)))"
