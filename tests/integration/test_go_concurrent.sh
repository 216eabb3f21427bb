#!/usr/bin/env bash
# test_go_concurrent.sh — the Go hooks under concurrency: one warm-up GET, then 16 goroutines
# streaming chats at once over one HTTP/2 connection (frames interleave, Reads and Writes come from
# different goroutines and threads): all 16 recorded once each, exactly as the program read them.
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
