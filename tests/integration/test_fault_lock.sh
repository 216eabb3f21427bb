#!/usr/bin/env bash
# test_fault_lock.sh — issue 6 §1: another process holds the database's write lock for seconds.
# The program is never held up longer than PROMPTLOG_BUSY_TIMEOUT_MS per captured call (measured
# against the same run without the preload), its output is unchanged, the skipped calls are
# said once under PROMPTLOG_DEBUG; a lock shorter than the timeout is waited for and nothing is
# lost; the default bound (2000 ms) holds too.
. "$(dirname "$0")/lib.sh"
need sqlite3
start_mock
# The host: curl, or under ASan (where Debian's curl cannot run) the ASan-built cli_libcurl.
curl_host
POST=("${CURL[@]}" -sS --cacert "$MOCK_CA")
url="$MOCK_HTTPS/v1/chat/completions"
req='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
SLACK_MS=1200   # process start, TLS handshakes, a loaded CI machine

HOLDER=""
_lock_cleanup() {
    release_lock
    _pl_cleanup
}
trap _lock_cleanup EXIT

rows() { sqlite3 "$PL_DB" 'select count(*) from calls'; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# hold_lock SECONDS: another process (Python's sqlite3: one process, so killing it frees the
# lock at once) holds the write lock for that long, in the background.
hold_lock() {
    "$PY" -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
time.sleep(float(sys.argv[2]))
c.execute("COMMIT")' "$PL_DB" "$1" &
    HOLDER=$!
    local i
    for i in $(seq 1 100); do
        sqlite3 "$PL_DB" 'PRAGMA busy_timeout=0; BEGIN IMMEDIATE; ROLLBACK;' >/dev/null 2>&1 || return 0
        sleep 0.02
    done
    fail "the lock holder did not take the lock"
}
release_lock() {
    [ -n "$HOLDER" ] && { kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null; }
    HOLDER=""
}

# timed KIND VAR=VAL... CMD...: run_plain or run_pre, sets MS to the run's wall time.
timed() {
    local kind="$1"; shift
    local t0; t0=$(now_ms)
    "run_$kind" "$@"
    MS=$(( $(now_ms) - t0 ))
}

# The database exists (WAL mode, schema made) before anyone locks it.
run_pre "${POST[@]}" -d "$req" "$url"
assert_eq "$(rows)" 1 "first capture"

# 1. Locked for 8 s, timeout 400 ms, three calls in one process: at most 3 x 400 ms extra.
calls=("${POST[@]}" -d "$req" "$url" "$url" "$url")
timed plain "${calls[@]}"
plain_ms=$MS; cp "$OUT" plain.out
hold_lock 8
timed pre PROMPTLOG_BUSY_TIMEOUT_MS=400 "${calls[@]}"
pre_ms=$MS
assert_rc 0 "curl while the database is locked"
assert_file_eq plain.out "$OUT" "stdout while the database is locked"
assert_empty "$ERR" "stderr while the database is locked"
note "3 calls: plain ${plain_ms} ms, preloaded while locked ${pre_ms} ms (bound 3 x 400 ms)"
[ $((pre_ms - plain_ms)) -le $((3 * 400 + SLACK_MS)) ] ||
    fail "blocked $((pre_ms - plain_ms)) ms for 3 calls with PROMPTLOG_BUSY_TIMEOUT_MS=400"

# Same under PROMPTLOG_DEBUG: one line says why, the exit line counts the three skips.
_pl_split_env PROMPTLOG_BUSY_TIMEOUT_MS=400 PROMPTLOG_DEBUG=1 "${calls[@]}"
timeout -k 5 60 env PROMPTLOG_DATABASE="$PL_DB" "${_pl_env[@]}" LD_PRELOAD="$PL_PRELOAD" \
    "${_pl_cmd[@]}" >dbg.out 2>dbg.err </dev/null
assert_file_eq plain.out dbg.out "stdout under PROMPTLOG_DEBUG"
n_cause="$(grep -acE '^promptlog\[[0-9]+\]: insert failed: .*locked' dbg.err)"
[ "$n_cause" = 1 ] && [ "$(grep -a '^promptlog\[' dbg.err | grep -acv ': capturing ')" = 2 ] &&
    grep -aqE '^promptlog\[[0-9]+\]: exit: 0 captured, 3 skipped$' dbg.err ||
    { cat dbg.err >&2; fail "expected one 'locked' line and one exit line"; }
release_lock
assert_eq "$(rows)" 1 "skipped calls are not written later"

# 2. A lock shorter than the timeout is waited for: nothing lost.
hold_lock 1
timed pre PROMPTLOG_BUSY_TIMEOUT_MS=5000 "${POST[@]}" -d "$req" "$url"
assert_rc 0
assert_file_eq "$ROOT/tests/fixtures/openai_chat_nonstream.json" "$OUT" "stdout after waiting for the lock"
release_lock
assert_eq "$(rows)" 2 "a short lock is waited for"

# 3. The default bound: 2000 ms.
timed plain "${POST[@]}" -d "$req" "$url"
plain_ms=$MS
hold_lock 8
timed pre "${POST[@]}" -d "$req" "$url"
pre_ms=$MS
assert_rc 0
note "1 call, default timeout: plain ${plain_ms} ms, preloaded while locked ${pre_ms} ms"
[ $((pre_ms - plain_ms)) -le $((2000 + SLACK_MS)) ] ||
    fail "blocked $((pre_ms - plain_ms)) ms for one call with the default busy timeout (2000 ms)"
[ $((pre_ms - plain_ms)) -ge 1500 ] ||
    fail "returned after $((pre_ms - plain_ms)) ms: did it wait for the lock at all?"
release_lock
assert_eq "$(rows)" 2 "the call skipped under the default timeout is not written"
assert_eq "$(sqlite3 "$PL_DB" 'PRAGMA integrity_check')" ok
exit 0
