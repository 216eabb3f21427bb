#!/usr/bin/env bash
# test_go_variants.sh — the Go hooks beyond the plain case: 16 goroutines streaming at once on one
# HTTP/2 connection (all 16 recorded once, exactly); the client stripped (-ldflags='-s -w': found
# through .gopclntab), also as a PIE; a CGO_ENABLED=0 (static) build, which never loads the library: unchanged,
# nothing recorded; a non-LLM HTTPS keep-alive loop: unchanged, no database; PROMPTLOG_PATCH=0:
# unchanged, nothing recorded. Every run gives the same output with and without the preload.
. "$(dirname "$0")/go_lib.sh"
start_mock
C=/v1/chat/completions
chat='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say this is a test"}],"max_tokens":16}'
printf '%s' "$chat" > chat.req

# --- 16 concurrent streams on one HTTP/2 connection ---------------------------------------------
go_build go_llm
mkdir -p out
run_both SSL_CERT_FILE="$MOCK_CA" ./go_llm concurrent "$MOCK_HTTPS" 16 out
assert_rc 0
assert_eq "$(grep -c '^== [0-9]* HTTP/2.0 200 ' "$OUT")" 16 "sixteen HTTP/2 responses"
assert_eq "$(mock_requests --field conn | sort -u | wc -l)" 2 "one connection per run"
export_prompts > conc.jsonl
assert_lines conc.jsonl 16 "one record per streamed call, none for /other"
for i in $(seq 0 15); do
    q="$(printf 'go question-%02d' "$i")"
    [ "$(grep -c "$q" conc.jsonl)" = 1 ] || fail "request $i not recorded exactly once"
    line="$(grep -n "$q" conc.jsonl | cut -d: -f1)"
    check chat conc.jsonl --index $((line - 1)) --request out/$i.req --response out/$i.resp --stream
done
assert_eq "$(db_query "select count(*) from calls where source = 'go' and incomplete = 0 and status = 200")" 16
rm -f "$PL_DB"*

# --- stripped: .symtab gone, .gopclntab still there ----------------------------------------------
go_build go_llm_stripped -ldflags='-s -w'
readelf -S go_llm_stripped | grep -q '\.symtab' && fail "the stripped build still has .symtab"
readelf -S go_llm_stripped | grep -q '\.gopclntab' || skip "this Go keeps no .gopclntab section"
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

# --- static (CGO_ENABLED=0): LD_PRELOAD cannot reach it ------------------------------------------
CGO_ENABLED=0 go_build go_llm_static
file go_llm_static | grep -q 'statically linked' || fail "CGO_ENABLED=0 did not give a static binary"
run_both SSL_CERT_FILE="$MOCK_CA" ./go_llm_static chat "$MOCK_HTTPS$C" chat.req
assert_rc 0
assert_contains "$ERR" "HTTP/2.0 200"
assert_no_file "$PL_DB" "a static Go binary is not captured"

# --- a non-LLM HTTPS keep-alive loop --------------------------------------------------------------
run_both SSL_CERT_FILE="$MOCK_CA" ./go_llm loop "$MOCK_HTTPS/other" 50
assert_rc 0
assert_contains "$OUT" "49 HTTP/2.0 200"
assert_no_file "$PL_DB" "non-LLM traffic leaves no database"

# --- PROMPTLOG_PATCH=0 ----------------------------------------------------------------------------
run_both PROMPTLOG_PATCH=0 SSL_CERT_FILE="$MOCK_CA" ./go_llm chat "$MOCK_HTTPS$C" chat.req
assert_rc 0
assert_contains "$ERR" "HTTP/2.0 200"
assert_no_file "$PL_DB" "PROMPTLOG_PATCH=0: nothing captured"
PROMPTLOG_PATCH=0 PROMPTLOG_DEBUG=1 PROMPTLOG_DATABASE="$T/debug.db" SSL_CERT_FILE="$MOCK_CA" \
    LD_PRELOAD="$PL_PRELOAD" ./go_llm chat "$MOCK_HTTPS$C" chat.req >/dev/null 2>debug.err
assert_contains debug.err "PROMPTLOG_PATCH=0, crypto/tls not hooked"
