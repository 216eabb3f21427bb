#!/usr/bin/env bash
# test_go_stripped.sh — the Go hooks without .symtab: the client built with -ldflags='-s -w' is
# still captured, its crypto/tls functions found through .gopclntab; likewise as a stripped PIE
# (.gopclntab in .data.rel.ro, relocated at load time). Output identical with and without.
. "$(dirname "$0")/go_lib.sh"
start_mock
C=/v1/chat/completions
chat='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say this is a test"}],"max_tokens":16}'
printf '%s' "$chat" > chat.req
# --- stripped: .symtab gone, .gopclntab still there ----------------------------------------------
go_build go_llm_stripped -ldflags='-s -w'
readelf -S go_llm_stripped | grep '\.symtab' >/dev/null && fail "the stripped build still has .symtab"
readelf -S go_llm_stripped | grep '\.gopclntab' >/dev/null || skip "this Go keeps no .gopclntab section"
run_both SSL_CERT_FILE="$MOCK_CA" ./go_llm_stripped stream "$MOCK_HTTPS$C" chat.req
assert_rc 0
cp "$OUT" stripped.out
export_prompts > stripped.jsonl
assert_lines stripped.jsonl 1 "the stripped client is captured"
check chat stripped.jsonl --request chat.req --response stripped.out --no-stream
assert_eq "$(db_query "select source from calls")" go
PROMPTLOG_DEBUG=1 PROMPTLOG_DATABASE="$T/debug.db" SSL_CERT_FILE="$MOCK_CA" LD_PRELOAD="$PL_PRELOAD" \
    ./go_llm_stripped chat "$MOCK_HTTPS$C" chat.req >/dev/null 2>debug.err
assert_contains debug.err "(functions from gopclntab)" "found through .gopclntab"
rm -f "$PL_DB"*

# --- a stripped PIE: .gopclntab lives in .data.rel.ro there, relocated at load time --------------
go_build go_llm_pie -buildmode=pie -ldflags='-s -w'
run_both SSL_CERT_FILE="$MOCK_CA" ./go_llm_pie stream "$MOCK_HTTPS$C" chat.req
assert_rc 0
cp "$OUT" pie.out
export_prompts > pie.jsonl
assert_lines pie.jsonl 1 "the stripped PIE client is captured"
check chat pie.jsonl --request chat.req --response pie.out --no-stream
rm -f "$PL_DB"*
