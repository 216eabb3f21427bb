#!/usr/bin/env bash
# test_go_tls.sh — a Go net/http client (dynamically linked, Debian's golang-go) under the preload:
# crypto/tls's (*Conn).Write/Read patched in place. Over HTTP/2 (ALPN, Go's default) a plain chat,
# a streamed chat read line by line and a streamed Anthropic call; over HTTP/1.1
# (GODEBUG=http2client=0) a plain and a streamed chat. Output identical with and without the
# preload; each call is one row, source 'go', whose export equals what the program sent and read.
. "$(dirname "$0")/go_lib.sh"
go_build go_llm
start_mock
C=/v1/chat/completions
chat='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say this is a test"}],"max_tokens":16}'
stream='{"model":"gpt-4","messages":[{"role":"user","content":"Say this is a test"}],"stream":true,"stream_options":{"include_usage":true}}'
anth='{"model":"claude-3-haiku-20240307","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Tell me an OpenTelemetry joke"}]}'

go_call h2_chat openai-chat chat "$C" "$chat"
assert_contains h2_chat.err "HTTP/2.0 200" "Go spoke HTTP/2"
go_call h2_stream openai-chat stream "$C" "$stream"
assert_file_eq h2_stream.out "$ROOT/tests/fixtures/openai_chat_stream_include_usage.sse" "the program read the stream"
go_call h2_anthropic anthropic stream /v1/messages "$anth" -- 'x-api-key: sk-ant-api03-GOSECRET' 'anthropic-version: 2023-06-01'
assert_contains h2_anthropic.out 'event: message_stop' "the Anthropic stream was read to its end"
go_call h1_chat openai-chat chat "$C" "$chat" GODEBUG=http2client=0
assert_contains h1_chat.err "HTTP/1.1 200" "GODEBUG=http2client=0 forced HTTP/1.1"
go_call h1_stream openai-chat stream "$C" "$stream" GODEBUG=http2client=0
api_check_all

assert_eq "$(db_query "select group_concat(source || ' ' || http_version || ' ' || status || ' ' || incomplete, ',') from (select * from calls order by id)")" \
    "go 20 200 0,go 20 200 0,go 20 200 0,go 11 200 0,go 11 200 0" "captured by the Go hooks, complete, h2 then h1"
assert_eq "$(mock_requests --field proto | tr '\n' ' ')" "h2 h2 h2 h2 h2 h2 http/1.1 http/1.1 http/1.1 http/1.1 " \
    "the mock saw the same protocols (two runs each)"
for f in "$PL_DB"*; do
    assert_not_contains "$f" "sk-ant-api03-GOSECRET" "the Anthropic key is not stored ($f)"
    assert_not_contains "$f" "sk-go-test-secret" "the bearer token is not stored ($f)"
done

# Under PROMPTLOG_DEBUG the library says it hooked crypto/tls and where it found the functions.
PROMPTLOG_DEBUG=1 PROMPTLOG_DATABASE="$T/debug.db" SSL_CERT_FILE="$MOCK_CA" LD_PRELOAD="$PL_PRELOAD" \
    ./go_llm chat "$MOCK_HTTPS$C" h2_chat.req >/dev/null 2>debug.err
assert_contains debug.err "crypto/tls hooked at" "the debug line says the hooks are in"
assert_contains debug.err "(functions from symtab)" "an unstripped binary is read through .symtab"
