#!/usr/bin/env bash
# test_tls_python_urllib.sh — CPython's urllib (OpenSSL via _ssl, loaded RTLD_LOCAL, *_ex calls)
# under the preload: a plain chat, a gzip'd chat (the program asks for gzip itself and decodes
# it) and a streamed SSE chat; same output with and without, and the export equals what it read.
. "$(dirname "$0")/lib.sh"
start_mock
cat > client.py <<'PY'
import gzip, ssl, sys, urllib.request
base, ca, mode = sys.argv[1], sys.argv[2], sys.argv[3]
body = open(sys.argv[4], "rb").read()
hdrs = {"Content-Type": "application/json", "Authorization": "Bearer sk-test-urllib-secret"}
if mode == "gzip":
    hdrs["Accept-Encoding"] = "gzip"
req = urllib.request.Request(base + "/v1/chat/completions", data=body, headers=hdrs)
with urllib.request.urlopen(req, context=ssl.create_default_context(cafile=ca)) as r:
    if mode == "stream":
        for line in r:                       # SSE read line by line as it arrives
            sys.stdout.buffer.write(line)
            sys.stdout.flush()
    else:
        data = r.read()
        enc = r.headers.get("Content-Encoding")
        if mode == "gzip" and enc != "gzip":
            sys.exit("the server did not gzip")
        if enc == "gzip":
            data = gzip.decompress(data)
        sys.stdout.buffer.write(data)
PY
plain_req='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say this is a test"}],"max_tokens":16}'
stream_req='{"model":"gpt-4","messages":[{"role":"user","content":"Say this is a test"}],"stream":true,"stream_options":{"include_usage":true}}'

printf '%s' "$plain_req" > plain.req
run_both "$PY" client.py "$MOCK_HTTPS" "$MOCK_CA" plain plain.req
assert_rc 0
cp "$OUT" plain.out

run_both "$PY" client.py "$MOCK_HTTPS" "$MOCK_CA" gzip plain.req
assert_rc 0
cp "$OUT" gzip.out
assert_file_eq gzip.out plain.out "the gzip'd answer decodes to the same text"

printf '%s' "$stream_req" > stream.req
run_both "$PY" client.py "$MOCK_HTTPS" "$MOCK_CA" stream stream.req
assert_rc 0
assert_file_eq "$OUT" "$ROOT/tests/fixtures/openai_chat_stream_include_usage.sse" "the program read the stream"
cp "$OUT" stream.out

export_prompts > prompts.jsonl
assert_lines prompts.jsonl 3 "one record per call"
check chat prompts.jsonl --index 0 --request-json "$plain_req" --response plain.out --no-stream
check chat prompts.jsonl --index 1 --request-json "$plain_req" --response gzip.out --no-stream
check chat prompts.jsonl --index 2 --request-json "$stream_req" --response stream.out --stream
assert_eq "$(db_query "select source, status, incomplete from calls order by id")" \
    "$(printf 'openssl|200|0\nopenssl|200|0\nopenssl|200|0')" "captured by the OpenSSL hooks, complete"
# the stored response body of the gzip'd call is the decoded JSON, not gzip bytes
assert_eq "$(db_query "select count(*) from calls where id = 2 and content_type like 'application/json%'")" 1
assert_not_contains "$PL_DB" "sk-test-urllib-secret" "the API key is not stored"
