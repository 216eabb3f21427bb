#!/usr/bin/env bash
# test_mock_selftest.sh — the mock server itself: byte-exact fixtures over HTTP/1.1, h2 (ALPN) and
# plain HTTP, streams in pieces, gzip, HEAD, 100-continue. No preload: if this fails, fix the mock.
. "$(dirname "$0")/lib.sh"
need curl
start_mock
fx="$ROOT/tests/fixtures"
chat='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}'

for proto in --http1.1 --http2; do
    run_plain curl -sS $proto --cacert "$MOCK_CA" "$MOCK_HTTPS/v1/chat/completions" -d "$chat"
    assert_rc 0 "curl $proto"
    assert_file_eq "$OUT" "$fx/openai_chat_stream_include_usage.sse" "chat stream $proto"
done
mock_requests --field proto > protos
assert_eq "$(tr '\n' ' ' < protos)" "http/1.1 h2 " "ALPN choice"

# Without include_usage the usage chunk is left out, like the real API.
run_plain curl -sS --cacert "$MOCK_CA" "$MOCK_HTTPS/v1/chat/completions" -d '{"model":"m","messages":[],"stream":true}'
assert_not_contains "$OUT" '"completion_tokens"'
assert_contains "$OUT" 'data: [DONE]'

# Plain HTTP, and h2 with prior knowledge on the plain port.
run_plain curl -sS "$MOCK_HTTP/api/chat" -d '{"model":"llama3","messages":[]}'
assert_file_eq "$OUT" "$fx/ollama_chat_stream.ndjson" "ollama stream over http"
run_plain curl -sS --http2-prior-knowledge "$MOCK_HTTP/api/generate" -d '{"model":"llama3","prompt":"x","stream":false}'
assert_file_eq "$OUT" "$fx/ollama_generate_nonstream.json" "ollama h2c"

# Every API's fixture, byte for byte.
declare -A routes=(
  ["/v1/chat/completions|{\"model\":\"m\"}"]=openai_chat_nonstream.json
  ["/v1/chat/completions|{\"model\":\"m\",\"tools\":[{}]}"]=openai_chat_tools_nonstream.json
  ["/v1/chat/completions|{\"model\":\"m\",\"tools\":[{}],\"stream\":true}"]=openai_chat_tools_stream.sse
  ["/v1/completions|{\"model\":\"m\"}"]=openai_completions_nonstream.json
  ["/v1/completions|{\"model\":\"m\",\"stream\":true}"]=openai_completions_stream.sse
  ["/v1/responses|{\"model\":\"m\"}"]=openai_responses_nonstream.json
  ["/v1/responses|{\"model\":\"m\",\"stream\":true}"]=openai_responses_stream.sse
  ["/v1/responses|{\"model\":\"m\",\"stream\":true,\"tools\":[{}]}"]=openai_responses_function_call_stream.sse
  ["/v1/embeddings|{\"model\":\"m\",\"input\":\"x\"}"]=openai_embeddings_base64.json
  ["/v1/messages|{\"model\":\"m\"}"]=anthropic_messages_nonstream.json
  ["/v1/messages|{\"model\":\"m\",\"stream\":true}"]=anthropic_messages_stream.sse
  ["/v1/messages|{\"model\":\"m\",\"stream\":true,\"tools\":[{}]}"]=anthropic_messages_tools_stream.sse
  ["/v1/messages|{\"model\":\"m\",\"tools\":[{}]}"]=anthropic_messages_tools_nonstream.json
  ["/v1beta/models/gemini-2.5-flash:generateContent|{}"]=gemini_generatecontent.json
  ["/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse|{}"]=gemini_stream_alt_sse.sse
  ["/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse|{\"tools\":[{}]}"]=gemini_stream_functioncall_alt_sse.sse
  ["/api/chat|{\"stream\":false}"]=ollama_chat_nonstream.json
  ["/api/generate|{}"]=ollama_generate_stream.ndjson
  ["/openai/deployments/dep1/chat/completions?api-version=2024-02-01|{\"stream\":true}"]=azure_chat_stream.sse
  ["/openai/deployments/dep1/chat/completions?api-version=2024-02-01|{}"]=azure_chat_nonstream.json
  ["/v1/chat/completions|{\"model\":\"missing-model\"}"]=openai_chat_404_error.json
)
for key in "${!routes[@]}"; do
    path="${key%%|*}"; body="${key#*|}"
    run_plain curl -sS --cacert "$MOCK_CA" "$MOCK_HTTPS$path" -d "$body"
    assert_rc 0 "$path"
    assert_file_eq "$OUT" "$fx/${routes[$key]}" "$path $body"
done

# Gemini without alt=sse: one JSON array holding the SSE fixture's objects.
run_plain curl -sS --cacert "$MOCK_CA" "$MOCK_HTTPS/v1beta/models/g:streamGenerateContent" -d '{}'
"$PY" - "$OUT" "$fx/gemini_stream_alt_sse.sse" <<'PYEOF' || fail "gemini JSON array stream"
import json, sys
arr = json.load(open(sys.argv[1]))
sse = [json.loads(l[5:]) for l in open(sys.argv[2], newline="").read().split("\r\n") if l.startswith("data:")]
assert arr == sse, "array differs"
PYEOF

# The 404 error has its status; gzip only when asked for; HEAD; 100-continue; non-LLM routes.
run_plain curl -sS -o /dev/null -w '%{http_code}' --cacert "$MOCK_CA" "$MOCK_HTTPS/v1/chat/completions" -d '{"model":"missing-model"}'
assert_eq "$(cat "$OUT")" 404
run_plain curl -sS -D headers --compressed --cacert "$MOCK_CA" "$MOCK_HTTPS/v1/messages" -d '{"model":"m"}'
assert_file_eq "$OUT" "$fx/anthropic_messages_nonstream.json" "gzip'd body decodes to the fixture"
assert_contains headers "content-encoding: gzip"
run_plain curl -sS -I --http1.1 --cacert "$MOCK_CA" "$MOCK_HTTPS/other"
assert_contains "$OUT" "content-length: 27"
head -c 100000 /dev/zero > upload.bin
run_plain curl -sS --http1.1 -H 'Expect: 100-continue' --cacert "$MOCK_CA" --data-binary @upload.bin "$MOCK_HTTPS/upload"
assert_eq "$(cat "$OUT")" '{"received": 100000}'
run_plain curl -sS --cacert "$MOCK_CA" "$MOCK_HTTPS/other"
assert_eq "$(cat "$OUT")" 'other: nothing to see here'

# Streams really arrive in pieces: 50 NDJSON lines at 20 ms each take about a second.
start=$(date +%s%N)
run_plain curl -sS -H 'X-Mock-Delay-Ms: 20' --cacert "$MOCK_CA" "$MOCK_HTTPS/api/chat" -d '{}'
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -ge 900 ] || fail "stream was not paced ($ms ms)"

# Concurrent h2 streams on one connection.
run_plain curl -sS --parallel --cacert "$MOCK_CA" \
    "$MOCK_HTTPS/api/chat" "$MOCK_HTTPS/api/generate" "$MOCK_HTTPS/v1/messages" -d '{"stream":true}'
assert_rc 0 "curl --parallel"
mock_requests --field conn | tail -3 | sort -u > conns
assert_lines conns 1 "parallel requests share one h2 connection"

# A cut stream: the client sees an incomplete transfer.
run_plain curl -sS --http1.1 -H 'X-Mock-Cut-After: 3' --cacert "$MOCK_CA" "$MOCK_HTTPS/api/chat" -d '{}'
assert_eq "$RC" 18 "cut http/1.1 stream"
assert_lines "$OUT" 3
run_plain curl -sS -H 'X-Mock-Cut-After: 3' --cacert "$MOCK_CA" "$MOCK_HTTPS/api/chat" -d '{}'
assert_eq "$RC" 92 "cut h2 stream (RST_STREAM)"

# The log keeps what the client sent, credentials included (tests compare against it).
run_plain curl -sS --cacert "$MOCK_CA" -H 'Authorization: Bearer sk-test-LOGGED' "$MOCK_HTTPS/v1/embeddings" -d '{"model":"e","input":"x"}'
assert_contains "$MOCK_LOG" "sk-test-LOGGED"
