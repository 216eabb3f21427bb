#!/usr/bin/env bash
# profile.sh — `make profile`: where the instructions of one captured exchange go, with callgrind
# (deterministic; perf has no hardware counters on this VM). Two profiles, each the difference of
# a short and a long run so start-up and the database open cancel out (bench/profile_report.py):
#   1. bench/capture_cost.c, collecting inside pl_capture_commit only (normalize, redact,
#      compress, SQLite) for one streamed chat completion;
#   2. python3 http.client, non-stream chat calls over one keep-alive HTTPS connection to the local
#      mock, with and without the preload: the whole per-call cost, hooks and HTTP parsing included;
#      2b the same for streamed calls; 2c the floor, SQLite alone committing the same row;
#   3. the start of /bin/true with and without the preload (loading, constructors);
#   4. the system calls of one commit (strace -c of capture_cost at the two lengths);
#   5. CPU time (kernel included) by object and system call, with perf's software clock.
# Knobs: BUILD, PROFILE_SHORT (20) / PROFILE_LONG (60) calls, PROFILE_DIR (callgrind files kept).
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHORT="${PROFILE_SHORT:-20}"
LONG="${PROFILE_LONG:-60}"
. "$ROOT/tests/integration/lib.sh"     # mock server, certificates, $PL_LIB, $PY; temp dir $T
[ -e "$PL_LIB" ] || { echo "build $PL_LIB first (make)" >&2; exit 1; }
[ "$PL_ASAN" = 0 ] || { echo "profile a non-ASan build" >&2; exit 1; }
need valgrind callgrind_annotate
unset LD_PRELOAD
. "$ROOT/bench/build.sh"
bench_build || exit 1
OUTDIR="${PROFILE_DIR:-$BUILD/profile}"
mkdir -p "$OUTDIR"
report="$ROOT/bench/profile_report.py"
cg() { valgrind --tool=callgrind --callgrind-out-file="$1" "${@:2}" >/dev/null 2>"$1.log" || { cat "$1.log" >&2; exit 1; }; }

echo "== 1. in-process: pl_capture_commit of a streamed chat completion (bench/capture_cost.c)"
if [ -x "$BUILD/bench/capture_cost" ]; then
    for n in "$SHORT" "$LONG"; do
        rm -f "$T/cc.db"
        # capture_cost makes one commit before its loop: n + 1 commits, the same +1 in both.
        PROMPTLOG_DATABASE="$T/cc.db" cg "$OUTDIR/capture_cost.$n.out" --toggle-collect=pl_capture_commit \
            "$BUILD/bench/capture_cost" "$ROOT/tests/fixtures" "$n"
    done
    "$PY" "$report" "$OUTDIR/capture_cost.$SHORT.out" "$OUTDIR/capture_cost.$LONG.out" $((LONG - SHORT))
else
    echo "  (capture_cost does not build against this tree: skipped)"
fi

# py_profile KIND TAG WHERE: callgrind of bench/client.py KIND at both lengths, without and with the
# preload (files TAG_plain.N.out / TAG_pre.N.out, database $T/TAG.db), checking that every call
# was captured (calls WHERE), then the per-call report.
py_profile() {
    local kind="$1" tag="$2" where="$3" n rows
    for n in "$SHORT" "$LONG"; do
        cg "$OUTDIR/${tag}_plain.$n.out" "$PY" "$ROOT/bench/client.py" "$kind" "$MOCK_HTTPS_PORT" "$MOCK_CA" "$n"
        rm -f "$T/$tag.db"
        PROMPTLOG_DATABASE="sqlite:///$T/$tag.db" LD_PRELOAD="$PL_LIB" \
            cg "$OUTDIR/${tag}_pre.$n.out" "$PY" "$ROOT/bench/client.py" "$kind" "$MOCK_HTTPS_PORT" "$MOCK_CA" "$n"
        rows="$(sqlite3 "$T/$tag.db" "select count(*) from calls where $where" 2>/dev/null || echo 0)"
        [ "$rows" = $((n + 1)) ] || { echo "profile: $kind: $rows rows captured for $((n + 1)) calls" >&2; exit 1; }
    done
    "$PY" "$report" "$OUTDIR/${tag}_pre.$SHORT.out" "$OUTDIR/${tag}_pre.$LONG.out" $((LONG - SHORT)) \
        "$OUTDIR/${tag}_plain.$SHORT.out" "$OUTDIR/${tag}_plain.$LONG.out"
}

echo
echo "== 2. python3 http.client, non-stream chat over one keep-alive HTTPS connection (bench/client.py)"
start_mock --delay-ms 0 --no-h2 --tcp-nodelay
py_profile https-chat py "stream = 0"

echo
echo "== 2b. the same, streamed chat (bench/client.py https-stream)"
py_profile https-stream pys "stream = 1"

echo
# How much of the SQLite transaction is SQLite's own floor: the non-stream run's last row
# re-inserted by SQLite alone (bench/txn_floor.c), same two-length difference.
echo "== 2c. the SQLite floor: the captured row re-inserted by SQLite alone (bench/txn_floor.c)"
for m in full bare; do
    for n in "$SHORT" "$LONG"; do
        cp "$T/py.db" "$T/floor.db"; rm -f "$T/floor.db-wal" "$T/floor.db-shm"
        cg "$OUTDIR/floor_$m.$n.out" "$BUILD/bench/txn_floor" "$T/floor.db" "$n" "$m"
    done
    a="$(callgrind_annotate "$OUTDIR/floor_$m.$SHORT.out" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')"
    b="$(callgrind_annotate "$OUTDIR/floor_$m.$LONG.out" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')"
    printf '  %-58s %9d instructions per commit\n' \
        "$([ $m = full ] && echo "calls row + 2 call_messages rows, this schema" || echo "calls row alone, no secondary index")" \
        $(( (b - a) / (LONG - SHORT) ))
done

echo
echo "== 3. start-up: /bin/true with and without the preload"
cg "$OUTDIR/true_plain.out" /bin/true
LD_PRELOAD="$PL_LIB" cg "$OUTDIR/true_pre.out" /bin/true
"$PY" "$report" --startup "$OUTDIR/true_pre.out" "$OUTDIR/true_plain.out"
echo
# Callgrind sees no kernel time, yet a commit's system calls (WAL frames, locks, the SIGXFSZ
# guard) are a good part of its CPU: count them per commit, the same two-length difference.
echo "== 4. system calls per commit (strace -c of bench/capture_cost)"
if command -v strace >/dev/null && [ -x "$BUILD/bench/capture_cost" ]; then
    for n in "$SHORT" "$LONG"; do
        rm -f "$T/cc.db" "$T/cc.db-wal" "$T/cc.db-shm"
        PROMPTLOG_DATABASE="$T/cc.db" strace -f -c -o "$OUTDIR/syscalls.$n" \
            "$BUILD/bench/capture_cost" "$ROOT/tests/fixtures" "$n" >/dev/null || exit 1
    done
    # strace -c rows: % time, seconds, usecs/call, calls, [errors,] syscall
    awk -v d=$((LONG - SHORT)) 'FNR == 1 {f++} $NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" {
            c[$NF] += (f == 1 ? -$4 : $4) }
        END { for (k in c) if (c[k] / d >= 0.05) { printf "  %-20s %6.2f per commit\n", k, c[k] / d; t += c[k] / d }
              printf "  %-20s %6.2f per commit\n", "all", t }' \
        "$OUTDIR/syscalls.$SHORT" "$OUTDIR/syscalls.$LONG" | sort -k2 -gr
else
    echo "  (needs strace and bench/capture_cost: skipped)"
fi

echo
# Instructions are not time: perf's software clock (this VM has no hardware counters) sees the
# kernel and cache misses too. The same Python loop, longer, without and with the preload.
echo "== 5. CPU time by object and system call (perf record -e cpu-clock, python3 non-stream chat)"
PERF_N="${PROFILE_PERF_N:-2000}"
if command -v perf >/dev/null && perf record -q -e cpu-clock -o "$OUTDIR/perf.probe" true >/dev/null 2>&1; then
    perf record -q -e cpu-clock -F 10000 -g -o "$OUTDIR/perf.plain" \
        "$PY" "$ROOT/bench/client.py" https-chat "$MOCK_HTTPS_PORT" "$MOCK_CA" "$PERF_N" >/dev/null 2>&1
    rm -f "$T/pp.db"
    PROMPTLOG_DATABASE="sqlite:///$T/pp.db" LD_PRELOAD="$PL_LIB" perf record -q -e cpu-clock -F 10000 -g \
        -o "$OUTDIR/perf.pre" "$PY" "$ROOT/bench/client.py" https-chat "$MOCK_HTTPS_PORT" "$MOCK_CA" "$PERF_N" >/dev/null 2>&1
    "$PY" "$ROOT/bench/perf_report.py" "$OUTDIR/perf.plain" "$OUTDIR/perf.pre" "$PERF_N" 10000
else
    echo "  (needs perf with access to the software clock: skipped)"
fi

echo
echo "(callgrind files in $OUTDIR: callgrind_annotate --inclusive=yes FILE, or kcachegrind)"
