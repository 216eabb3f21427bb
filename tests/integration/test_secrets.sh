#!/usr/bin/env bash
# test_secrets.sh — credentials never reach the disk: API keys in Authorization, x-api-key,
# api-key, x-goog-api-key, Cookie/Set-Cookie headers and ?key=/?api_key= parameters are absent
# from the database file (and its WAL), every export, and every decompressed record (`show`).
. "$(dirname "$0")/lib.sh"
curl_host
start_mock
c=("${CURL[@]}" -sS --cacert "$MOCK_CA")
run_both "${c[@]}" -H 'Authorization: Bearer sk-test-SECRET-openai' \
    "$MOCK_HTTPS/v1/chat/completions" -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true}'
run_both "${c[@]}" --http1.1 -H 'Authorization: Bearer sk-test-SECRET-h1' -H 'Cookie: session=sk-test-SECRET-cookie' \
    -H 'X-Mock-Set-Cookie: 1' "$MOCK_HTTPS/v1/chat/completions" -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
run_both "${c[@]}" -H 'x-api-key: sk-ant-test-SECRET-anthropic' -H 'anthropic-version: 2023-06-01' \
    "$MOCK_HTTPS/v1/messages" -d '{"model":"claude-3-haiku-20240307","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}'
run_both "${c[@]}" -H 'x-goog-api-key: AIza-test-SECRET-goog' \
    "$MOCK_HTTPS/v1beta/models/gemini-2.5-flash:generateContent" -d '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}'
run_both "${c[@]}" "$MOCK_HTTPS/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=AIza-test-SECRET-query" \
    -d '{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}'
run_both "${c[@]}" "$MOCK_HTTPS/v1/embeddings?api_key=sk-test-SECRET-apikeyparam" -d '{"model":"text-embedding-3-small","input":"hi"}'
run_both "${c[@]}" -H 'api-key: test-SECRET-azure' \
    "$MOCK_HTTPS/openai/deployments/dep1/chat/completions?api-version=2024-02-01" -d '{"messages":[{"role":"user","content":"hi"}],"stream":true}'
run_both "${c[@]}" -H 'Proxy-Authorization: Basic test-SECRET-proxy' \
    "$MOCK_HTTPS/v1/completions" -d '{"model":"davinci-002","prompt":"hi"}'

assert_file "$PL_DB" "LLM calls were captured"
n="$(db_query 'select count(*) from calls')"
assert_eq "$n" 8 "every call captured"
# The headers really were sent (so their absence below means redaction, not loss).
assert_contains "$MOCK_LOG" "sk-test-SECRET-openai"

{
    export_prompts
    export_prompts --type text
    export_models
    for ns in default; do export_prompts -n "$ns"; done
} > exports.jsonl
for id in $(db_query 'select id from calls order by id'); do
    pl_cli show "$id" -d "sqlite:///$PL_DB" > "show.$id" 2>&1 || fail "prompt-logger show $id failed: $(cat "show.$id")"
    [ -s "show.$id" ] || fail "prompt-logger show $id printed nothing"
done
assert_contains show.1 "chat/completions" "show prints the record"
# Push the WAL into the main file, then grep every byte we wrote.
sqlite3 "$PL_DB" 'pragma wal_checkpoint(truncate)' > /dev/null 2>&1
for f in "$PL_DB"* exports.jsonl show.*; do
    if grep -aq 'SECRET' "$f"; then
        grep -ao '.\{0,40\}SECRET.\{0,20\}' "$f" | head -5 >&2
        fail "a secret reached $f"
    fi
done
# The redacted headers are still there, only without their values.
grep -aqi 'authorization' show.* || fail "the Authorization header name vanished instead of being redacted"
