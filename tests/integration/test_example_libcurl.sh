#!/usr/bin/env bash
# test_example_libcurl.sh — a libcurl C program with its own write callback (examples/chat_libcurl)
# under the preload: streamed and non-streamed chat; output unchanged, export equals what it got.
. "$(dirname "$0")/lib.sh"
prog="$PL_EXAMPLES/chat_libcurl"
[ -x "$prog" ] || fail "$prog is not built"
start_mock
url="$MOCK_HTTPS/v1/chat/completions"
stream_req='{"model":"gpt-4","messages":[{"role":"user","content":"Say this is a test"}],"stream":true,"stream_options":{"include_usage":true}}'
plain_req='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say this is a test"}],"temperature":0}'

i=0
for req in "$stream_req" "$plain_req"; do
    run_both PROMPTLOG_EXAMPLE_CAINFO="$MOCK_CA" "$prog" "$url" "$req"
    assert_rc 0 "chat_libcurl"
    # What the program received is what the mock sent (its log keeps the exact bytes).
    mock_requests --path /v1/chat/completions --last --raw > "got$i"
    assert_contains "$OUT" "$(head -c 40 "got$i" | head -1)" "the example prints what it receives"
    i=$((i + 1))
done

# Insecure mode and the plain-HTTP port work the same way.
run_both PROMPTLOG_EXAMPLE_INSECURE=1 "$prog" "$url" "$plain_req"
assert_rc 0
run_both "$prog" "$MOCK_HTTP/v1/chat/completions" "$plain_req"
assert_rc 0

export_prompts > prompts.jsonl
assert_lines prompts.jsonl 4 "one record per preloaded call"
check chat prompts.jsonl --index 0 --request-json "$stream_req" --response got0
check chat prompts.jsonl --index 1 --request-json "$plain_req" --response got1
check chat prompts.jsonl --index 3 --request-json "$plain_req" --response got1
