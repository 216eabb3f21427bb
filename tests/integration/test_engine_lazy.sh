#!/usr/bin/env bash
# test_engine_lazy.sh — issue 14 start-up: the preloaded library maps none of the engine's
# libraries until a connection looks like an LLM call; the engine (libpromptlog-engine.so) is
# then loaded inside the hooked write, in a forked child, from a constructor of a library being
# dlopen'ed (single- and multi-threaded: never a hang, the host's output unchanged); when it
# cannot be loaded the host runs unchanged, nothing is stored and one debug line says why.
PL_RUN_TIMEOUT=40
. "$(dirname "$0")/lib.sh"
need cc sqlite3
start_mock --delay-ms 0
src="$ROOT/tests/progs/engine_load.c"
cc -O1 -o eprog "$src" -lpthread -ldl || fail "cannot build engine_load.c"
cc -O1 -shared -fPIC -DCTOR_LIB -o ctor.so "$src" || fail "cannot build the constructor library"
P="$MOCK_HTTP_PORT"
count() { sqlite3 "$PL_DB" "select count(*) from calls $1"; }

# dbg NAME PRELOAD ARGS...: the program preloaded, with PROMPTLOG_DEBUG, into NAME.out/NAME.err.
dbg() {
    local name="$1" pre="$2"; shift 2
    timeout -k 5 30 env PROMPTLOG_DATABASE="$PL_DB" PROMPTLOG_DEBUG=1 LD_PRELOAD="$pre" "$@" \
        > "$name.out" 2> "$name.err" < /dev/null
    local rc=$?
    [ "$rc" = 124 ] && fail "$name: hung (timed out)"
    [ "$rc" = 0 ] || fail "$name: exit $rc: $(head -c 600 "$name.err")"
}

# 1. What the loader maps: nothing of the engine's for a process that makes no LLM call (a
# non-LLM HTTP request included), all of it once one is made.
run_pre cat /proc/self/maps
assert_contains "$OUT" "libpromptlog.so" "the library is loaded"
for l in libpromptlog-engine libsqlite3 libcjson libzstd libz.so libbrotli libnghttp2; do
    assert_not_contains "$OUT" "$l" "the preload pulled $l into cat"
done
dbg nonllm "$PL_PRELOAD" ./eprog maps "$P" /other
assert_contains nonllm.out "engine 0 sqlite 0 zstd 0 nghttp2 0 cjson 0" "a non-LLM request loads nothing"
assert_empty nonllm.err "nothing to say about a non-LLM request"
assert_no_file "$PL_DB" "a non-LLM request created the database"
dbg llm "$PL_PRELOAD" ./eprog maps "$P"
assert_contains llm.out "engine 1 sqlite 1 zstd 1 nghttp2 1 cjson 1" "an LLM call loads the engine"
assert_not_contains llm.err "capture engine" "loaded at once, inside the hooked write"
assert_eq "$(count "where status = 200 and incomplete = 0 and source = 'socket'")" 1 "the first call is captured"

# 2. First load in a forked child (the parent has not loaded it): both processes capture.
before="$(count '')"
run_both ./eprog fork "$P"
assert_rc 0
assert_contains "$OUT" "child: HTTP/1.1 200"
assert_eq "$(count "where id > $before")" 2 "the child's and the parent's call"
assert_eq "$(sqlite3 "$PL_DB" "select count(distinct pid) from calls where id > $before")" 2

# 3. First load from a constructor of a library the program is dlopen'ing, single-threaded:
# glibc's loader lock is recursive on this thread, the engine loads there and both are stored.
before="$(count '')"
run_both ./eprog dlopen "$P" "$T/ctor.so" 0
assert_rc 0
assert_contains "$OUT" "constructor: HTTP/1.1 200"
assert_eq "$(count "where id > $before")" 2 "the constructor's and main's call"

# 4. Same, multi-threaded: the engine loads on a helper thread, which waits for the loader lock
# this thread holds. The constructor's call is not captured (said once), no hang, same output,
# and main's call after dlopen returned is captured.
before="$(count '')"
run_both ./eprog dlopen "$P" "$T/ctor.so" 1
assert_rc 0
assert_contains "$OUT" "main: HTTP/1.1 200"
assert_eq "$(count "where id > $before")" 1 "main's call (after dlopen) is captured"
dbg ctor_mt "$PL_PRELOAD" ./eprog dlopen "$P" "$T/ctor.so" 1
assert_eq "$(grep -c 'still loading' ctor_mt.err)" 1 "one line says the constructor's call was not captured"
assert_file_eq ctor_mt.out "$RUN_DIR/plain.out" "same output with debug on"

# 5. The engine cannot be loaded (the library alone in a directory): the host runs unchanged,
# nothing is stored, one line per process says why.
mkdir -p solo && cp "$PL_LIB" solo/
solo_pre="${PL_PRELOAD/$PL_LIB/$T/solo/libpromptlog.so}"
rm -f "$PL_DB" "$PL_DB"-*
dbg solo "$solo_pre" ./eprog fork "$P"
env -u LD_PRELOAD ./eprog fork "$P" > solo.plain
assert_file_eq solo.out solo.plain "same output without the engine"
assert_eq "$(grep -c 'cannot load the capture engine' solo.err)" 2 "one line per process"
assert_no_file "$PL_DB" "nothing stored without the engine"
exit 0
