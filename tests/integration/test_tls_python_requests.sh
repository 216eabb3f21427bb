#!/usr/bin/env bash
# test_tls_python_requests.sh — python3-requests (urllib3, OpenSSL) asks for gzip by default: the
# mock gzips the answer, requests decodes it for the program, and the stored record holds the
# same decoded text; a streamed call through the same Session (keep-alive) is recorded too.
. "$(dirname "$0")/lib.sh"
"$PY" -c 'import requests' 2>/dev/null || skip "needs python3-requests"
start_mock
cat > client.py <<'PY'
import json, sys, requests
base, ca, out = sys.argv[1], sys.argv[2], sys.argv[3]
s = requests.Session()
chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say this is a test"}]}
r = s.post(base + "/v1/chat/completions", json=chat, verify=ca, headers={"Authorization": "Bearer sk-test-req"})
if r.headers.get("Content-Encoding") != "gzip":
    sys.exit("expected a gzip'd answer")
open(out + ".1", "wb").write(r.content)
s.get(base + "/other", verify=ca)
stream = dict(chat, stream=True)
with s.post(base + "/v1/chat/completions", json=stream, verify=ca, stream=True) as r:
    data = b"".join(r.iter_content(chunk_size=None))
open(out + ".2", "wb").write(data)
sys.stdout.buffer.write(data)
PY
run_both "$PY" client.py "$MOCK_HTTPS" "$MOCK_CA" "$T/resp"
assert_rc 0
export_prompts > prompts.jsonl
assert_lines prompts.jsonl 2
check chat prompts.jsonl --index 0 --request-json '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say this is a test"}]}' --response "$T/resp.1" --no-stream
check chat prompts.jsonl --index 1 --request-json '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say this is a test"}], "stream": true}' --response "$T/resp.2" --stream
assert_eq "$(db_query "select source, incomplete from calls order by id")" "$(printf 'openssl|0\nopenssl|0')"
