#!/usr/bin/env bash
# test_decode_error.sh — a response whose content coding is corrupt is not lost in silence: the
# program gets the bytes the server sent (it asked for gzip and decodes nothing itself), and the
# record keeps exactly those bytes, flagged decode_error, through the libcurl layer and the
# OpenSSL layer alike; show and the export say so.
. "$(dirname "$0")/lib.sh"
need sqlite3
start_mock
url="$MOCK_HTTPS/v1/chat/completions"
body='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'

# 1. libcurl: Accept-Encoding set by hand, so libcurl hands the coded bytes to the program.
curl_host
run_both "${CURL[@]}" -sS --cacert "$MOCK_CA" -H 'Content-Type: application/json' \
    -H 'Accept-Encoding: gzip' -H 'X-Mock-Corrupt-Coding: 1' "$url" -d "$body"
assert_eq "$(head -c 2 "$OUT" | od -An -tx1 | tr -d ' ')" "1f8b" "the program got the gzip bytes"

# 2. Python http.client over OpenSSL: the same, one layer down.
cat > client.py <<PY
import http.client, ssl, sys
ctx = ssl.create_default_context(cafile="$MOCK_CA")
c = http.client.HTTPSConnection("127.0.0.1", $MOCK_HTTPS_PORT, context=ctx)
c.request("POST", "/v1/chat/completions", body='$body',
          headers={"Content-Type": "application/json", "Accept-Encoding": "gzip",
                   "X-Mock-Corrupt-Coding": "1"})
sys.stdout.buffer.write(c.getresponse().read())
PY
run_both "$PY" client.py
py_out="$OUT"

assert_eq "$(db_query 'select count(*) from calls')" 2
assert_eq "$(db_query 'select group_concat(source || ":" || decode_error, " ") from calls order by id')" \
    "curl:1 openssl:1" "both layers flag the corrupt coding"
# The stored body is exactly what arrived: its size is the program's byte count.
assert_eq "$(db_query 'select response_size from calls where source = "openssl"')" \
    "$(stat -c %s "$py_out")" "the stored body is the undecoded bytes"
pl_cli show 2 -d "sqlite:///$PL_DB" > show.txt || fail "show failed"
grep -Eq '^decode_error +1$' show.txt || fail "show does not say decode_error"
export_prompts > p.jsonl
assert_eq "$(grep -c '"decode_error":true' p.jsonl)" 2 "the export flags both"
