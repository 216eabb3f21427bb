#!/usr/bin/env bash
# run.sh — `make bench`: what the preload costs real programs (issue 14's table), each figure from
# BENCH_RUNS alternating runs without / with the preload in this one run, then a summary table.
#
# Every loop is a real program (bench/client.py: python3 http.client against the local mock over
# HTTPS and plain HTTP, file I/O, process spawns; bench/perform_loop.c: libcurl) that prints
# "WALL CPU MAXRSS" for its timed loop. A figure is the median over the runs of the per-pair
# ratio or difference (with vs the without run just before it), so load drift on a busy machine
# cancels. bench/capture_cost.c adds the in-process cost of one commit. Nothing asserts a
# timing; the bench only checks that the loops captured what they should (rows) and that non-LLM
# loops left no database. Knobs: BUILD, BENCH_RUNS (7), BENCH_N (400 LLM calls a loop), BENCH_NONLLM_N (10 x BENCH_N non-LLM requests a loop),
# BENCH_IO_N (100000), BENCH_SPAWN_N (100 processes a loop), BENCH_LOOPS (3 loops a run, on the
# same connection, of which the program reports the median), BENCH_ITERATIONS (500 commits).
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUNS="${BENCH_RUNS:-7}"
N="${BENCH_N:-400}"
# Non-LLM loops are cheap (0.06 s of CPU for 400 HTTPS GETs): ten times longer, or scheduler noise
# on a small machine swamps a 1% figure.
NL_N="${BENCH_NONLLM_N:-$((N * 10))}"
IO_N="${BENCH_IO_N:-100000}"
SPAWN_N="${BENCH_SPAWN_N:-100}"
BENCH_LOOPS="${BENCH_LOOPS:-3}"
export BENCH_LOOPS
ITER="${BENCH_ITERATIONS:-500}"
. "$ROOT/tests/integration/lib.sh"     # mock server, certificates, $PL_LIB, $PL_PRELOAD, $PY; temp dir $T
[ -e "$PL_LIB" ] || { echo "build $PL_LIB first (make)" >&2; exit 1; }
. "$ROOT/bench/build.sh"               # bench_build: capture_cost and perform_loop into $BUILD/bench
bench_build || exit 1
client="$ROOT/bench/client.py"
DB="$T/bench.db"
SUMMARY="$T/summary"
: > "$SUMMARY"

median() { sort -g | awk '{a[NR]=$1} END {if (NR) print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; else print "nan"}'; }
# quartiles: "Q1 Q3" of the numbers on stdin (nearest rank), how far the pairs disagree.
quartiles() { sort -g | awk '{a[NR]=$1} END {q1=int((NR+3)/4); q3=int((3*NR+3)/4); print a[q1], a[q3]}'; }

# measure NAME VAR CMD...: RUNS alternating runs of CMD, without then with the preload put in the
# environment variable VAR (LD_PRELOAD, or BENCH_CHILD_PRELOAD for the spawn loop); each run's
# "WALL CPU MAXRSS" line goes to $T/NAME.0 (without) or $T/NAME.1 (with). The database is removed
# before each preloaded run, so after the last one it holds that run's rows only.
measure() {
    local name="$1" var="$2" i out
    shift 2
    : > "$T/$name.0"; : > "$T/$name.1"
    for i in $(seq 1 "$RUNS"); do
        out="$(env -u LD_PRELOAD "$@")" || { echo "bench: $name failed without the preload" >&2; exit 1; }
        echo "$out" >> "$T/$name.0"
        rm -f "$DB" "$DB-wal" "$DB-shm"
        out="$(env PROMPTLOG_DATABASE="sqlite:///$DB" "$var=$PL_PRELOAD" "$@")" ||
            { echo "bench: $name failed with the preload" >&2; exit 1; }
        echo "$out" >> "$T/$name.1"
    done
}

# pairs NAME EXPR: the awk EXPR for each run pair, which sees w0 c0 r0 (without: wall s, CPU s,
# peak RSS KiB) and w1 c1 r1 (with), and n (loop count, $LOOP_N). stat: their median.
pairs() {
    paste -d' ' "$T/$1.0" "$T/$1.1" |
        awk -v n="${LOOP_N:-1}" '{w0=$1; c0=$2; r0=$3; w1=$4; c1=$5; r1=$6; print '"$2"'}'
}
stat() { pairs "$@" | median; }

# row FIGURE VALUE GOAL [NAME EXPR FORMAT]: one line of the final summary table; with NAME EXPR,
# the quartiles of the per-pair figures (FORMAT, printf) show how noisy the median is.
row() {
    local spread=""
    [ $# -lt 6 ] || spread="$(printf "$6..$6" $(pairs "$4" "$5" | quartiles))"
    printf '%s|%s|%s|%s\n' "$1" "$2" "$3" "$spread" >> "$SUMMARY"
}

rows_in_db() { sqlite3 "$DB" 'select count(*) from calls' 2>/dev/null || echo 0; }
expect_rows() {
    local got; got="$(rows_in_db)"
    [ "$got" = "$1" ] || { echo "bench: $2: the last preloaded run stored $got rows, expected $1" >&2; exit 1; }
}
expect_no_db() { [ ! -e "$DB" ] || { echo "bench: $1 created a database" >&2; exit 1; }; }

# ratio_line LABEL NAME: prints and summarises the CPU and wall ratios of a non-LLM loop.
ratio_line() {
    local cpu wall
    cpu="$(stat "$2" 'c1/c0')"; wall="$(stat "$2" 'w1/w0')"
    printf '  %-46s CPU %6.3fx   wall %6.3fx   (without: %.3f s CPU)\n' "$1" "$cpu" "$wall" "$(stat "$2" c0)"
    row "$1, process CPU with/without" "$(printf '%.3fx (wall %.3fx)' "$cpu" "$wall")" "${3:-<= 1.01}" "$2" 'c1/c0' '%.3f' 
}

# call_line LABEL NAME GOAL_CPU GOAL_WALL: prints and summarises what a captured call adds.
call_line() {
    local cpu wall base
    cpu="$(LOOP_N=$N stat "$2" '(c1-c0)/n*1e6')"; wall="$(LOOP_N=$N stat "$2" '(w1-w0)/n*1e6')"
    base="$(LOOP_N=$N stat "$2" 'w0/n*1e6')"
    printf '  %-46s +%6.0f us CPU   +%6.0f us wall   per call (a call takes %.0f us without)\n' \
        "$1" "$cpu" "$wall" "$base"
    [ -z "$3" ] || LOOP_N=$N row "$1, added process CPU per call" "$(printf '%+.0f us' "$cpu")" "$3" "$2" '(c1-c0)/n*1e6' '%+.0f'
    LOOP_N=$N row "$1, added wall per call" "$(printf '%+.0f us (on a %.0f us call)' "$wall" "$base")" "$4" "$2" '(w1-w0)/n*1e6' '%+.0f' 
}

echo "promptlog bench: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "each figure: median over $RUNS alternating runs without/with the preload of the per-pair ratio or"
echo "difference; each run reports the median of its $BENCH_LOOPS loops (on one connection for HTTP)"
start_mock --delay-ms 0 --no-h2 --tcp-nodelay

echo "== start-up: $SPAWN_N x posix_spawn(/bin/true), LD_PRELOAD only in the children"
measure spawn BENCH_CHILD_PRELOAD "$PY" "$client" spawn "$SPAWN_N" /bin/true
add_ms="$(LOOP_N=$SPAWN_N stat spawn '(w1-w0)/n*1e3')"
printf '  added per process: %+.3f ms wall, %+.3f ms CPU (a process takes %.3f ms without)\n' "$add_ms" \
    "$(LOOP_N=$SPAWN_N stat spawn '(c1-c0)/n*1e3')" "$(LOOP_N=$SPAWN_N stat spawn 'w0/n*1e3')"
LOOP_N=$SPAWN_N row "LD_PRELOAD /bin/true, added per process" "$(printf '%+.3f ms' "$add_ms")" "<= +0.5 ms" spawn '(w1-w0)/n*1e3' '%+.3f' 
expect_no_db "/bin/true"

echo "== HTTPS keep-alive loops, python3 http.client, on one connection: $NL_N non-LLM requests, $N LLM calls"
measure https_get LD_PRELOAD "$PY" "$client" https-get "$MOCK_HTTPS_PORT" "$MOCK_CA" "$NL_N"
expect_no_db "the non-LLM HTTPS loop"
ratio_line "HTTPS GET /other (non-LLM)" https_get
measure https_chat LD_PRELOAD "$PY" "$client" https-chat "$MOCK_HTTPS_PORT" "$MOCK_CA" "$N"
expect_rows $((BENCH_LOOPS * N + 1)) "captured non-stream chat"
call_line "HTTPS captured chat, non-stream" https_chat "<= 100 us" "(no goal; 262 us at filing)"
rss="$(stat https_chat '(r1-r0)/1024')"
printf '  %-46s %+.1f MB peak RSS (without: %.1f MB)\n' "HTTPS captured chat, non-stream" "$rss" "$(stat https_chat 'r0/1024')"
row "peak RSS added over $BENCH_LOOPS x $N captured calls" "$(printf '%+.1f MB' "$rss")" "<= 4 MB" https_chat '(r1-r0)/1024' '%+.1f' 
# The floor under that figure: the same row committed by SQLite alone (bench/txn_floor.c), on
# copies of the database the last captured run left.
for m in full bare; do
    cp "$DB" "$T/floor.db"; rm -f "$T/floor.db-wal" "$T/floor.db-shm"
    [ ! -e "$DB-wal" ] || cp "$DB-wal" "$T/floor.db-wal"
    "$BUILD/bench/txn_floor" "$T/floor.db" "$ITER" "$m" | tee "$T/floor.$m" || exit 1
    row "floor: $(sed 's/^ *//; s/  *median.*//' "$T/floor.$m"), CPU per commit" \
        "$(sed 's/.*median *\([0-9.]*\) us *mean *\([0-9.]*\) us.*/\1 us (mean \2)/' "$T/floor.$m")" "(reference)"
done
measure https_stream LD_PRELOAD "$PY" "$client" https-stream "$MOCK_HTTPS_PORT" "$MOCK_CA" "$N"
expect_rows $((BENCH_LOOPS * N + 1)) "captured streamed chat"
call_line "HTTPS captured chat, streamed" https_stream "(no goal)" "<= 150 us"

echo "== plain sockets: HTTP keep-alive loops ($NL_N non-LLM requests, $N LLM calls) and file I/O ($IO_N x 4 KiB reads + writes)"
head -c 1048576 /dev/urandom > "$T/data.bin"
measure http_get LD_PRELOAD "$PY" "$client" http-get "$MOCK_HTTP_PORT" "$NL_N"
expect_no_db "the non-LLM plain-HTTP loop"
ratio_line "plain HTTP GET /other (non-LLM)" http_get
measure fileio LD_PRELOAD "$PY" "$client" fileio "$T/data.bin" "$IO_N"
expect_no_db "the file I/O loop"
ratio_line "file os.read + os.write" fileio
measure http_chat LD_PRELOAD "$PY" "$client" http-chat "$MOCK_HTTP_PORT" "$N"
expect_rows $((BENCH_LOOPS * N + 1)) "captured plain-HTTP chat"
call_line "plain HTTP captured chat, non-stream" http_chat "" "(no goal)"

echo "== libcurl: $NL_N curl_easy_perform on one handle (non-LLM, plain HTTP)"
measure curl_get LD_PRELOAD "$BUILD/bench/perform_loop" "$MOCK_HTTP/other" "$NL_N"
expect_no_db "the non-LLM curl loop"
ratio_line "curl_easy_perform GET /other (non-LLM)" curl_get "(no goal)"

echo "== in-process: one captured exchange through pl_capture_commit (bench/capture_cost.c)"
rm -f "$DB" "$DB-wal" "$DB-shm"
if [ -x "$BUILD/bench/capture_cost" ]; then
    PROMPTLOG_DATABASE="$DB" "$BUILD/bench/capture_cost" "$ROOT/tests/fixtures" "$ITER" | tee "$T/capture_cost.out"
    cc_us="$(sed -n 's/.*cost of one captured exchange *median *\([0-9.]*\) us.*/\1/p' "$T/capture_cost.out")"
    row "one streamed exchange committed in-process (capture_cost)" "${cc_us:-?} us" "(no goal)"
fi

echo "== entry patching: node https keep-alive loops (bench/node_overhead.sh)"
BUILD="$BUILD" bash "$ROOT/bench/node_overhead.sh"

if command -v go >/dev/null; then
    echo "== Go crypto/tls hooks: net/http keep-alive HTTPS loops (bench/go_overhead.sh)"
    BUILD="$BUILD" bash "$ROOT/bench/go_overhead.sh"
fi
echo "== the readable store: a 50-turn agent conversation vs its JSONL export, CPU per capture (bench/store_bench.sh)"
BUILD="$BUILD" "$ROOT/bench/store_bench.sh"

echo
echo "== summary ($(nproc) cores, $RUNS alternating runs, medians of per-pair figures; goals from issue 14)"
awk -F'|' '{printf "  %-64s %-29s %-28s %s\n", $1, $2, $3, $4}' <(echo "figure|measured (median)|goal|pairs' Q1..Q3"; cat "$SUMMARY")
echo "(bench took ${SECONDS} s; load average now $(cut -d' ' -f1-3 /proc/loadavg))"
