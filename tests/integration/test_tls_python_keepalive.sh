#!/usr/bin/env bash
# test_tls_python_keepalive.sh — one http.client.HTTPSConnection carrying several requests, LLM
# and not (GET /v1/models first, so the connection starts non-LLM), pipelined reads of a gzip'd
# body and a stream: exactly the LLM calls are recorded, each once, with what the program read.
# Also: a program whose connections carry no LLM call at all leaves no database behind.
. "$(dirname "$0")/lib.sh"
start_mock
cat > client.py <<'PY'
import gzip, http.client, json, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ssl.create_default_context(cafile=ca))
def call(method, path, body=None, headers=None, out=None):
    h = {"Content-Type": "application/json", "Authorization": "Bearer sk-test-keepalive"}
    h.update(headers or {})
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    if r.getheader("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    if out:
        open(out, "wb").write(data)
    sys.stdout.write("%s %s -> %d, %d bytes\n" % (method, path, r.status, len(data)))
chat = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say this is a test"}]})
stream = json.dumps({"model": "gpt-4", "stream": True, "stream_options": {"include_usage": True},
                     "messages": [{"role": "user", "content": "stream please"}]})
call("GET", "/v1/models")
call("POST", "/v1/chat/completions", chat, out=sys.argv[3] + ".1")
call("GET", "/other")
call("POST", "/upload", b"x" * 70000)
call("POST", "/v1/chat/completions", chat, {"Accept-Encoding": "gzip"}, out=sys.argv[3] + ".2")
call("HEAD", "/other")
call("POST", "/v1/chat/completions", stream, out=sys.argv[3] + ".3")
call("GET", "/other")
conn.close()
PY
run_both "$PY" client.py "$MOCK_HTTPS_PORT" "$MOCK_CA" "$T/resp"
assert_rc 0
assert_eq "$(mock_requests --field conn | sort -u | wc -l)" 2 "one connection per run (plain and preloaded)"
assert_eq "$(mock_requests --field proto | sort -u)" "http/1.1"

chat='{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say this is a test"}]}'
stream='{"model": "gpt-4", "stream": true, "stream_options": {"include_usage": true}, "messages": [{"role": "user", "content": "stream please"}]}'
export_prompts > prompts.jsonl
assert_lines prompts.jsonl 3 "the three chat calls, nothing else"
check chat prompts.jsonl --index 0 --request-json "$chat" --response "$T/resp.1" --no-stream
check chat prompts.jsonl --index 1 --request-json "$chat" --response "$T/resp.2" --no-stream
check chat prompts.jsonl --index 2 --request-json "$stream" --response "$T/resp.3" --stream
assert_eq "$(db_query "select path, incomplete, truncated from calls order by id")" \
    "$(printf '/v1/chat/completions|0|0\n/v1/chat/completions|0|0\n/v1/chat/completions|0|0')"

# A program that only talks non-LLM HTTPS: no record, and no database file at all.
cat > other.py <<'PY'
import http.client, ssl, sys
conn = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=ssl.create_default_context(cafile=sys.argv[2]))
for i in range(20):
    conn.request("GET", "/other")
    sys.stdout.write(conn.getresponse().read().decode())
conn.request("POST", "/upload", body=b"y" * 100000)
sys.stdout.write(conn.getresponse().read().decode())
conn.close()
PY
rm -f other.db
run_both PROMPTLOG_DATABASE="sqlite:///$T/other.db" "$PY" other.py "$MOCK_HTTPS_PORT" "$MOCK_CA"
assert_rc 0
assert_no_file other.db "non-LLM traffic leaves no database"
