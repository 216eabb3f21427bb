#!/usr/bin/env bash
# test_non_llm.sh — non-LLM traffic under the preload leaves no trace: GET /other, POST /upload,
# GET /v1/models, HEAD, over HTTP/1.1, HTTP/2 and plain HTTP; not even a database file.
. "$(dirname "$0")/lib.sh"
curl_host
start_mock
head -c 200000 /dev/urandom > upload.bin
for proto in --http1.1 --http2; do
    run_both "${CURL[@]}" -sS $proto --cacert "$MOCK_CA" "$MOCK_HTTPS/other"
    assert_rc 0
    assert_eq "$(cat "$OUT")" "other: nothing to see here"
    run_both "${CURL[@]}" -sS $proto --cacert "$MOCK_CA" --data-binary @upload.bin "$MOCK_HTTPS/upload"
    assert_eq "$(cat "$OUT")" '{"received": 200000}'
    run_both "${CURL[@]}" -sS $proto --cacert "$MOCK_CA" "$MOCK_HTTPS/v1/models"
    assert_contains "$OUT" '"object": "list"'
    run_both "${CURL[@]}" -sS -I $proto --cacert "$MOCK_CA" "$MOCK_HTTPS/other"
    assert_rc 0
done
run_both "${CURL[@]}" -sS "$MOCK_HTTP/other" "$MOCK_HTTP/upload" -d 'x=1'
assert_rc 0
# A GET on an LLM path is not an LLM call either (the API only takes POST).
run_both "${CURL[@]}" -sS --cacert "$MOCK_CA" "$MOCK_HTTPS/v1/chat/completions"
assert_rc 0
assert_no_file "$PL_DB" "non-LLM traffic created the database"
ls -A "$T" | grep -E '\.db' && fail "a database file appeared in the working directory"
exit 0
