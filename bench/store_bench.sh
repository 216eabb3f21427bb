#!/usr/bin/env bash
# store_bench.sh — the readable store's numbers, as ratios measured in this run:
#  1. size: a 50-turn agent conversation (tests/progs/agent.py through the OpenSSL hooks: 1 KB
#     system prompt, 250-byte user turns) against its own JSONL export, after a WAL checkpoint;
#     the database already holds a short conversation, so its growth is what the 50 turns cost.
#  2. CPU: bench/store_cost.c, pl_store_insert along a conversation with and without messages.
#  3. export: records per second from the stored messages, and rebuilt from the bodies, on
#     BENCH_EXPORT_CALLS (default 5000) chat calls captured by capture_cost.
# Run by bench/run.sh (which builds capture_cost); alone: BUILD=build bench/store_bench.sh
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/tests/integration/lib.sh"
start_mock --delay-ms 0

echo "== store size: 50-turn agent conversation vs its JSONL export"
run_pre PROMPTLOG_NAMESPACE=warmup "$PY" "$ROOT/tests/progs/agent.py" "$MOCK_HTTPS/v1" 2 --seed 5
sqlite3 "$PL_DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
before=$(stat -c %s "$PL_DB")
run_pre PROMPTLOG_NAMESPACE=agent "$PY" "$ROOT/tests/progs/agent.py" "$MOCK_HTTPS/v1" 50 --seed 6
sqlite3 "$PL_DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
after=$(stat -c %s "$PL_DB")
pl_cli export prompts agent.jsonl -n agent -d "$PL_DB"
jsonl=$(stat -c %s agent.jsonl)
"$PY" - "$jsonl" "$before" "$after" <<'PY'
import sys
j, b, a = map(int, sys.argv[1:])
print("  JSONL export %d B; database grew %d B (%d -> %d): %.1fx smaller" % (j, a - b, b, a, j / max(1, a - b)))
print("  whole file %d B: %.1fx smaller (a file's fixed pages included)" % (a, j / a))
PY

echo "== store CPU per capture (bench/store_cost.c)"
pkgs="sqlite3 libcjson libzstd zlib libbrotlidec libnghttp2"
objs="$(ls "$BUILD"/obj/util/*.o "$BUILD"/obj/proto/*.o "$BUILD"/obj/llm/*.o "$BUILD"/obj/store/*.o)"
mkdir -p "$BUILD/bench"
cc -std=c11 -D_GNU_SOURCE -O2 $(pkg-config --cflags $pkgs) -o "$BUILD/bench/store_cost" "$ROOT/bench/store_cost.c" \
    $objs $(pkg-config --libs $pkgs) -ldl -lpthread && "$BUILD/bench/store_cost" "$T/cost_with.db" "$T/cost_without.db"

# 20,000 calls: a 5,000-call export lasts 0.1 s, of which the program's start and the output
# file's fsync and rename are half; the issue asks for 5,000 or more.
n="${BENCH_EXPORT_CALLS:-20000}"
echo "== export speed on $n captured chat calls"
if [ -x "$BUILD/bench/capture_cost" ]; then
    PROMPTLOG_DATABASE="$T/export.db" "$BUILD/bench/capture_cost" "$ROOT/tests/fixtures" "$((n - 1))" >/dev/null
    # Three runs each (the machine is shared): the median, wall and CPU.
    for mode in "" --rebuild; do
        TIMEFORMAT='%R %U %S'
        times=""
        for run in 1 2 3; do
            times="$times;$( { time pl_cli export prompts "out$mode.jsonl" $mode -d "$T/export.db" ; } 2>&1 )"
        done
        "$PY" -c "
import sys
n = int(sys.argv[1])
runs = sorted((float(r), float(u) + float(s)) for r, u, s in (t.split() for t in sys.argv[2].split(';') if t.strip()))
cpus = sorted(c for _, c in runs)
r, c = runs[1][0], cpus[1]
print('  export %-9s %d records: %.2f s wall, %.0f records/s; %.2f s CPU, %.0f records/s of CPU (median of 3)'
      % (sys.argv[3] or 'stored', n, r, n / r, c, n / max(c, 1e-3)))" "$(wc -l < "out$mode.jsonl")" "$times" "$mode"
    done
    cmp -s out.jsonl out--rebuild.jsonl && echo "  (stored and rebuilt exports are identical)" || echo "  stored and rebuilt exports DIFFER"
else
    echo "  $BUILD/bench/capture_cost is not built (bench/run.sh builds it)"
fi
