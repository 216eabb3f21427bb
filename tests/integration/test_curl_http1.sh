#!/usr/bin/env bash
# test_curl_http1.sh — the curl CLI over HTTP/1.1 (TLS) under the preload: a streamed chat with
# include_usage and a non-streamed one; output unchanged, and the export equals what curl printed.
. "$(dirname "$0")/lib.sh"
curl_host
start_mock
url="$MOCK_HTTPS/v1/chat/completions"
stream_req='{"model":"gpt-4","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say this is a test"}],"temperature":0.2,"stream":true,"stream_options":{"include_usage":true}}'
plain_req='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say this is a test"}],"max_tokens":16,"seed":7}'

run_both "${CURL[@]}" -sS --http1.1 --cacert "$MOCK_CA" -H 'Content-Type: application/json' \
    -H 'Authorization: Bearer sk-test-http1' "$url" -d "$stream_req"
assert_rc 0
assert_file_eq "$OUT" "$ROOT/tests/fixtures/openai_chat_stream_include_usage.sse" "curl printed the stream"
cp "$OUT" stream.out

run_both "${CURL[@]}" -sS --http1.1 -k -H 'Content-Type: application/json' "$url" -d "$plain_req"
assert_rc 0
cp "$OUT" plain.out

mock_requests --field proto | sort -u > protos
assert_eq "$(cat protos)" "http/1.1" "every request went over HTTP/1.1"

export_prompts > prompts.jsonl
assert_lines prompts.jsonl 2 "one record per preloaded call"
check chat prompts.jsonl --index 0 --request-json "$stream_req" --response stream.out
check chat prompts.jsonl --index 1 --request-json "$plain_req" --response plain.out
assert_eq "$(check get prompts.jsonl 0 namespace)" default

export_models > models.jsonl
check models models.jsonl gpt-4 gpt-4o-mini --namespace default

assert_eq "$(db_query 'select stream, status from calls order by id')" "$(printf '1|200\n0|200')" "calls table"

# Legacy /v1/completions is a text prompt: exported with --type text, not as chat.
text_req='{"model":"davinci-002","prompt":"Say this is a test","max_tokens":7,"stream":true}'
run_both "${CURL[@]}" -sS --http1.1 --cacert "$MOCK_CA" "$MOCK_HTTPS/v1/completions" -d "$text_req"
assert_file_eq "$OUT" "$ROOT/tests/fixtures/openai_completions_stream.sse"
cp "$OUT" text.out
export_prompts --type text > text.jsonl
assert_lines text.jsonl 1 "one text prompt"
check text text.jsonl --request-json "$text_req" --response text.out
export_prompts > prompts.jsonl
assert_lines prompts.jsonl 2 "the text prompt is not in the chat export"
