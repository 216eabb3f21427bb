#!/usr/bin/env bash
# test_life_selfio.sh — issue 9 §1: fds closed or replaced behind our back never hang the host
# and never cost a record. A marked socket closed by a raw close syscall, then a socket sharing
# its lock stripe making its first LLM call (the database's own close() used to re-enter our
# close hook and take the held stripe lock: a hang); a file dup2'ed onto a marked socket;
# close_range by syscall and through glibc. Each run is bounded: a hang fails the test.
. "$(dirname "$0")/lib.sh"
need sqlite3
start_mock
prog="$ROOT/tests/progs/selfio.py"
printf '%s' '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say this is a test"}]}' > chat.req

# run_mode MODE CALLS: same output with and without the preload, within 60 s, CALLS new records.
run_mode() {
    local before
    before=0; [ -e "$PL_DB" ] && before="$(db_query 'select count(*) from calls')"
    run_both timeout -k 5 60 "$PY" "$prog" "$1" 127.0.0.1 "$MOCK_HTTP_PORT" chat.req
    assert_rc 0 "selfio.py $1 finished (124 = hung)"
    assert_eq "$(grep -c '^HTTP/1.1 200 OK True$' "$OUT")" "$2" "selfio.py $1: every call answered"
    assert_eq "$(db_query 'select count(*) from calls')" "$((before + $2))" "selfio.py $1: every call captured"
    assert_eq "$(db_query "select count(*) from calls where source != 'socket' or status != 200 or incomplete != 0")" 0 \
        "selfio.py $1: complete socket records"
}

run_mode rawclose 2
run_mode dup2 1
assert_contains "$OUT" "POST /v1/chat/completions HTTP/1.1" "dup2: the file got the program's bytes"
run_mode closerange 4
# Only the LLM calls were recorded: the files written on reused numbers were not.
assert_eq "$(db_query "select count(*) from calls where host = 'x'")" 0 "no record from file writes"
exit 0
