#!/usr/bin/env bash
# test_tls_curl_no_double.sh — `curl --http1.1` with several URLs on one keep-alive connection:
# each LLM call is recorded exactly once, by the libcurl hooks (source curl), never a second
# time by the OpenSSL hooks underneath; the non-LLM URL in between leaves nothing.
. "$(dirname "$0")/lib.sh"
curl_host
start_mock
req='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say this is a test"}]}'
url="$MOCK_HTTPS/v1/chat/completions"
run_both "${CURL[@]}" -sS --http1.1 --cacert "$MOCK_CA" -H 'Content-Type: application/json' -d "$req" "$url" \
    --next --http1.1 --cacert "$MOCK_CA" -H 'Content-Type: application/json' -d "$req" "$url"
assert_rc 0
run_both "${CURL[@]}" -sS --http1.1 --cacert "$MOCK_CA" "$MOCK_HTTPS/other" "$MOCK_HTTPS/other" \
    --next --http1.1 --cacert "$MOCK_CA" -H 'Content-Type: application/json' -d "$req" "$url"
assert_rc 0
# curl reused its connection (the mock saw one connection per run)
assert_eq "$(mock_requests --field conn | sort -u | wc -l)" 4 "one connection per curl run"
export_prompts > prompts.jsonl
assert_lines prompts.jsonl 3 "each chat call once"
for i in 0 1 2; do
    check chat prompts.jsonl --index $i --request-json "$req" --response "$ROOT/tests/fixtures/openai_chat_nonstream.json" --no-stream
done
assert_eq "$(db_query "select source, count(*) from calls group by source")" "curl|3" "all from the libcurl hooks"
