#!/usr/bin/env bash
# test_json_arena.sh — issue 14: the engine parses captured JSON into a bump arena behind cJSON's
# process-wide allocation hooks (util/jsonarena.h). A host with cJSON of its own keeps its
# hooks and its output: loaded and hooked before our engine (we leave the hooks alone), or
# loaded after it (our hooks hand the host plain malloc/free, then the host replaces them and
# the engine parses with the host's allocator). Either way every call is captured.
. "$(dirname "$0")/lib.sh"
need cc sqlite3
start_mock --delay-ms 0
cc -O1 -o host "$ROOT/tests/progs/cjson_host.c" -ldl || fail "cannot build cjson_host.c"
count() { sqlite3 "$PL_DB" "select count(*) from calls where status = 200 and incomplete = 0 and model is not null"; }

run_both ./host before "$MOCK_HTTP_PORT"
assert_rc 0
assert_contains "$OUT" 'after the call: {"a":[1,2,{"b":"text with \"quotes\""}],"c":null}'
assert_contains "$OUT" ", live 0, foreign blocks freed 0" "the host's allocator saw only its own blocks"
assert_eq "$(count)" 1 "the call of a host that hooked cJSON first is captured"

run_both ./host after "$MOCK_HTTP_PORT"
assert_rc 0
assert_contains "$OUT" 'found hooks: {"a":[1,2,{"b":"text with \"quotes\""}],"c":null}'
assert_contains "$OUT" 'host hooks: {"a":[1,2,{"b":"text with \"quotes\""}],"c":null}'
assert_contains "$OUT" ", live 0, foreign blocks freed 0"
assert_eq "$(count)" 3 "both calls of a host that loaded cJSON after the engine are captured"
# The records are whole: the prompt and the reply made it through either allocator.
assert_eq "$(sqlite3 "$PL_DB" "select count(*) from calls where prompt_preview like '%Say this is a test%' and completion_preview <> ''")" 3
