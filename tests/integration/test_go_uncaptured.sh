#!/usr/bin/env bash
# test_go_uncaptured.sh — Go programs the library must leave alone: a CGO_ENABLED=0 (static) build
# never loads it (unchanged, nothing recorded); a non-LLM HTTPS keep-alive loop through the hooks
# (unchanged, no database); PROMPTLOG_PATCH=0 (unchanged, nothing recorded, one debug line).
. "$(dirname "$0")/go_lib.sh"
start_mock
C=/v1/chat/completions
chat='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say this is a test"}],"max_tokens":16}'
printf '%s' "$chat" > chat.req
go_build go_llm

# --- static (CGO_ENABLED=0): LD_PRELOAD cannot reach it ------------------------------------------
CGO_ENABLED=0 go_build go_llm_static
! readelf -l go_llm_static | grep INTERP >/dev/null || fail "CGO_ENABLED=0 did not give a static binary"
run_both SSL_CERT_FILE="$MOCK_CA" ./go_llm_static chat "$MOCK_HTTPS$C" chat.req
assert_rc 0
assert_contains "$ERR" "HTTP/2.0 200"
assert_no_file "$PL_DB" "a static Go binary is not captured"

# --- a non-LLM HTTPS keep-alive loop --------------------------------------------------------------
run_both SSL_CERT_FILE="$MOCK_CA" ./go_llm loop "$MOCK_HTTPS/other" 50
assert_rc 0
assert_contains "$OUT" "49 HTTP/2.0 200"
assert_no_file "$PL_DB" "non-LLM traffic leaves no database"
PROMPTLOG_DEBUG=1 SSL_CERT_FILE="$MOCK_CA" LD_PRELOAD="$PL_PRELOAD" ./go_llm loop "$MOCK_HTTPS/other" 20 >/dev/null 2>debug.err
assert_contains debug.err "crypto/tls hooked at" "the loop did run through the hooks"
assert_not_contains debug.err "capturing" "and nothing was kept"
assert_no_file "$PL_DB"

# --- PROMPTLOG_PATCH=0 ----------------------------------------------------------------------------
run_both PROMPTLOG_PATCH=0 SSL_CERT_FILE="$MOCK_CA" ./go_llm chat "$MOCK_HTTPS$C" chat.req
assert_rc 0
assert_contains "$ERR" "HTTP/2.0 200"
assert_no_file "$PL_DB" "PROMPTLOG_PATCH=0: nothing captured"
PROMPTLOG_PATCH=0 PROMPTLOG_DEBUG=1 PROMPTLOG_DATABASE="$T/debug.db" SSL_CERT_FILE="$MOCK_CA" \
    LD_PRELOAD="$PL_PRELOAD" ./go_llm chat "$MOCK_HTTPS$C" chat.req >/dev/null 2>debug.err
assert_contains debug.err "PROMPTLOG_PATCH=0, crypto/tls not hooked"
