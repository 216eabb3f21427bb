#!/usr/bin/env bash
# test_curl_variants.sh — the other ways curl hands us a request or a response: a READFUNCTION
# upload (-T), output to a file (-o), a gzip'd response (--compressed), a custom method, several
# transfers in one process (--next), and an HTTP error status. Output unchanged, records exact.
. "$(dirname "$0")/lib.sh"
curl_host
start_mock
url="$MOCK_HTTPS/v1/chat/completions"
c=("${CURL[@]}" -sS --cacert "$MOCK_CA")
req1='{"model":"gpt-upload","messages":[{"role":"user","content":"sent with -T (a read callback)"}]}'
req2='{"model":"gpt-file","messages":[{"role":"user","content":"written with -o"}],"stream":true}'
req3='{"model":"gpt-gzip","messages":[{"role":"user","content":"gzip please"}]}'
req4='{"model":"gpt-next-a","messages":[{"role":"user","content":"first"}]}'
req5='{"model":"gpt-next-b","messages":[{"role":"user","content":"second"}],"stream":true}'
req6='{"model":"missing-model","messages":[{"role":"user","content":"nobody home"}]}'
fx="$ROOT/tests/fixtures"

# 1. Upload through READFUNCTION: the body is teed, the server still gets all of it.
printf '%s' "$req1" > req1.json
run_both "${c[@]}" --http1.1 -X POST -H 'Content-Type: application/json' -T req1.json "$url"
assert_rc 0
assert_eq "$(mock_requests --path /v1/chat/completions --last --field body)" "$req1" "server got the upload"
cp "$OUT" r1.out

# 2. Output to a file: stdout stays empty, the file has the stream.
run_both "${c[@]}" -o "$T/r2.out" "$url" -d "$req2"
assert_empty "$OUT"
mock_requests --path /v1/chat/completions --last --raw > r2.sent
assert_file_eq r2.out r2.sent "the file holds the stream"

# 3. --compressed: the wire is gzip, the program and the record see the decoded JSON.
run_both "${c[@]}" --compressed "$url" -d "$req3"
assert_file_eq "$OUT" "$fx/openai_chat_nonstream.json" "curl decoded the gzip'd body"
assert_eq "$(mock_requests --path /v1/chat/completions --last --field response_headers | grep -c gzip)" 1 "the mock gzip'd it"
cp "$OUT" r3.out

# 4. Two transfers in one process, streamed and not.
run_both "${c[@]}" "$url" -d "$req4" --next "${c[@]:1}" "$url" -d "$req5"
assert_rc 0
cp "$fx/openai_chat_nonstream.json" r4.out
mock_requests --path /v1/chat/completions --last --raw > r5.out
assert_eq "$(cat r4.out r5.out | wc -c)" "$(wc -c < "$OUT")" "curl printed both responses"

# 5. An HTTP error: curl -f fails with 22, the record keeps the status.
run_both "${c[@]}" -f "$url" -d "$req6"
assert_rc 22

export_prompts > prompts.jsonl
assert_lines prompts.jsonl 6 "one record per call"
check chat prompts.jsonl --index 0 --request-json "$req1" --response r1.out
check chat prompts.jsonl --index 1 --request-json "$req2" --response r2.out
check chat prompts.jsonl --index 2 --request-json "$req3" --response r3.out
check chat prompts.jsonl --index 3 --request-json "$req4" --response r4.out
check chat prompts.jsonl --index 4 --request-json "$req5" --response r5.out
assert_eq "$(check get prompts.jsonl 5 model)" missing-model
assert_eq "$(db_query 'select status from calls order by id desc limit 1')" 404 "error status stored"
assert_eq "$(db_query "select method from calls where model='gpt-upload'")" POST "custom method"
