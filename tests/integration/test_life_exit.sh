#!/usr/bin/env bash
# test_life_exit.sh — issue 6 §2: every way a process image ends keeps what was captured.
# Right after a complete call: return from main, exit(), _exit()/os._exit, SIGKILL, exec: the
# record is there and complete. With a stream in flight: _exit and exec commit it flagged
# incomplete (hook_exec.c, process.c). vfork (subprocess), posix_spawn, fork+_exit and fork+exec children
# ending while the parent's stream is in flight neither commit nor disturb it. C programs too:
# return from main and _exit after several libcurl calls.
. "$(dirname "$0")/lib.sh"
need sqlite3
"$PY" -c 'import requests' 2>/dev/null || skip "needs python3-requests"
start_mock
url="$MOCK_HTTPS/v1/chat/completions"
life="$ROOT/tests/progs/life.py"

# rows_of MODE: "incomplete" flags of the rows that mode's call made, in order.
rows_of() {
    sqlite3 "$PL_DB" "select incomplete from calls where prompt_preview like '%lifecycle $1%' order by id" | tr '\n' ' '
}

# Right after a complete response.
for m in end:0 exit:3 _exit:4 kill:137 exec:0; do
    mode="${m%%:*}" want_rc="${m#*:}"
    run_both "$PY" "$life" "$mode" "$url" "$MOCK_CA"
    assert_rc "$want_rc" "life.py $mode"
    assert_contains "$OUT" "200 This is a test." "life.py $mode got its answer"
    assert_eq "$(rows_of "$mode")" "0 " "one complete record after '$mode'"
done
assert_contains "$OUT" "exec'd" "the exec'd program ran"

# A stream in flight when the image ends: stored, flagged incomplete.
for m in inflight_exit:5 inflight_exec:0; do
    mode="${m%%:*}" want_rc="${m#*:}"
    run_both "$PY" "$life" "$mode" "$url" "$MOCK_CA"
    assert_rc "$want_rc" "life.py $mode"
    assert_contains "$OUT" "first: data:" "life.py $mode read the first event"
    assert_eq "$(rows_of "$mode")" "1 " "one incomplete record after '$mode'"
done

# Children ending while the parent's stream is in flight.
run_both "$PY" "$life" spawn_midstream "$url" "$MOCK_CA"
assert_rc 0 "life.py spawn_midstream"
assert_contains "$OUT" "rest: "
assert_eq "$(rows_of spawn_midstream)" "0 " "one complete record, untouched by vfork/posix_spawn/fork children"
assert_eq "$(sqlite3 "$PL_DB" "select count(*) from calls where prompt_preview like '%spawn_midstream%' and completion_preview like '%This is a test%'")" 1 \
    "the parent's streamed answer is stored whole"

# C programs: return from main, and _exit after three libcurl calls.
[ -x "$PL_EXAMPLES/chat_libcurl" ] && [ -x "$PL_EXAMPLES/stress_libcurl" ] || fail "examples not built"
before="$(sqlite3 "$PL_DB" 'select count(*) from calls')"
run_both PROMPTLOG_EXAMPLE_CAINFO="$MOCK_CA" "$PL_EXAMPLES/chat_libcurl" "$url"
assert_rc 0
run_both PROMPTLOG_EXAMPLE_CAINFO="$MOCK_CA" "$PL_EXAMPLES/stress_libcurl" "$url" _exit 3
assert_rc 0
assert_eq "$(sqlite3 "$PL_DB" 'select count(*) from calls')" "$((before + 4))" "C: return from main + _exit after 3 calls"
assert_eq "$(sqlite3 "$PL_DB" 'select count(*) from calls where incomplete = 0 and status = 200')" "$((before + 4 - 2))" \
    "every record complete except the two in-flight ones"
exit 0
