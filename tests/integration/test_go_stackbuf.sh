#!/usr/bin/env bash
# test_go_stackbuf.sh — a crypto/tls Read into a buffer on the goroutine stack, while Read's own
# callees grow (move) that stack: the hook must take the bytes from where the buffer is at return,
# not where it was at entry (tests/progs/go_stackbuf.go: in-process TLS over net.Pipe, one
# HTTP/1.1 chat read 16 bytes at a time at changing recursion depths, GC shrinking the stack).
# Output identical with and without the preload; the record equals what the program read; the
# debug line proves a stack move did happen under a Read. Then the same over TLS inside TLS (an
# HTTPS proxy's shape: each inner Read nests an outer Read on the same goroutine): the inner
# connection is captured exactly, the outer one (TLS records, not HTTP) leaves nothing.
. "$(dirname "$0")/go_lib.sh"
GO_SRC=go_stackbuf.go go_build go_stackbuf
req='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say this is a test"}]}'
printf '%s' "$req" > chat.req
resp="$ROOT/tests/fixtures/openai_chat_nonstream.json"

run_both ./go_stackbuf chat.req "$resp"
assert_rc 0
assert_file_eq "$OUT" "$resp" "the program read the whole response"
export_prompts > prompts.jsonl
assert_lines prompts.jsonl 1
check chat prompts.jsonl --request chat.req --response "$OUT" --no-stream
assert_eq "$(db_query "select source || ' ' || status || ' ' || incomplete || ' ' || response_size from calls")" \
    "go 200 0 $(stat -c %s "$resp")"

moved=0
for i in 1 2 3; do
    PROMPTLOG_DEBUG=1 PROMPTLOG_DATABASE="$T/debug$i.db" LD_PRELOAD="$PL_PRELOAD" \
        ./go_stackbuf chat.req "$resp" >debug.out 2>debug.err
    assert_file_eq debug.out "$resp"
    assert_contains debug.err "(go, row 1)" "captured in the debug run"
    if grep -q "moved with the stack" debug.err; then moved=1; break; fi
done
[ "$moved" = 1 ] || fail "no Read saw its goroutine stack move: the test did not test anything"
assert_eq "$(sqlite3 "$T/debug$i.db" "select completion_preview from calls")" "This is a test." \
    "the record of the run whose stack moved is right"

rm -f "$PL_DB"*
run_both ./go_stackbuf chat.req "$resp" nested
assert_rc 0
assert_file_eq "$OUT" "$resp" "the program read the whole response through both layers"
export_prompts > nested.jsonl
assert_lines nested.jsonl 1 "one record: the inner connection"
check chat nested.jsonl --request chat.req --response "$OUT" --no-stream
