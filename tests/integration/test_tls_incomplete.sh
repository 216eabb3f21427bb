#!/usr/bin/env bash
# test_tls_incomplete.sh — responses that never complete are still stored, flagged incomplete,
# with what the program received: the server cuts a stream mid-way; the program exits while
# reading a stream; the program drops the connection mid-stream (SSL_free) and carries on.
. "$(dirname "$0")/lib.sh"
start_mock
cat > client.py <<'PY'
import http.client, json, os, ssl, sys
port, ca, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ssl.create_default_context(cafile=ca))
body = json.dumps({"model": "gpt-4", "stream": True, "stream_options": {"include_usage": True},
                   "messages": [{"role": "user", "content": "cut me"}]})
hdrs = {"Content-Type": "application/json"}
if mode == "cut":
    hdrs["X-Mock-Cut-After"] = "3"
conn.request("POST", "/v1/chat/completions", body=body, headers=hdrs)
r = conn.getresponse()
got = b""
try:
    for i, line in enumerate(r):
        got += line
        if mode in ("exit", "drop") and got.count(b"\n\n") >= 3:
            break
except Exception as e:
    sys.stdout.write("error: %s\n" % type(e).__name__)
sys.stdout.buffer.write(got)
sys.stdout.flush()
if mode == "exit":
    sys.exit(3)                   # the C atexit path commits what is in flight
if mode == "drop":
    conn.close()                  # SSL object freed mid-stream; then another call
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ssl.create_default_context(cafile=ca))
    conn.request("GET", "/other")
    sys.stdout.write(conn.getresponse().read().decode())
PY
for mode in cut exit drop; do
    run_both "$PY" client.py "$MOCK_HTTPS_PORT" "$MOCK_CA" "$mode"
    [ "$mode" = exit ] && assert_rc 3 || assert_rc 0
    # what the program received, minus its own error line
    grep -av '^error: ' "$OUT" | grep -av '^other: ' > "$mode.out"
done
export_prompts > prompts.jsonl
assert_lines prompts.jsonl 3 "one record per cut-short call"
assert_eq "$(db_query "select incomplete, status, stream from calls order by id")" \
    "$(printf '1|200|1\n1|200|1\n1|200|1')" "all three stored incomplete"
for i in 0 1 2; do
    assert_eq "$(check get prompts.jsonl $i incomplete)" "true" "record $i flagged incomplete in the export"
done
# the stored bodies hold at least what the program had read when it stopped
for m in cut exit drop; do
    n=$(grep -ac '^data: ' "$m.out")
    [ "$n" -ge 3 ] || fail "$m: the program read $n events"
done
