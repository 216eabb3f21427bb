#!/usr/bin/env bash
# test_plain_http.sh — plain HTTP (no TLS) outside libcurl, as Python clients talk to local
# OpenAI-compatible servers and Ollama: captured by the socket hooks (source 'socket'), once per
# call; curl over plain HTTP still by the curl hooks, TLS Python by OpenSSL; files, pipes and
# non-LLM plain HTTP unchanged and unrecorded.
. "$(dirname "$0")/api_lib.sh"
start_mock

# 1. Non-LLM plain HTTP only (GET, POST upload, HEAD on one keep-alive session): same output, no
# database at all.
cat > nonllm.py <<'PY'
import sys, requests
s = requests.Session()
base = sys.argv[1]
for _ in range(3):
    print(s.get(base + "/other").text, end="")
print(s.post(base + "/upload", data=b"x" * 100000).text)
print(s.head(base + "/other").status_code)
PY
run_both "$PY" nonllm.py "$MOCK_HTTP"
assert_rc 0
assert_contains "$OUT" "other: nothing to see here"
assert_no_file "$PL_DB" "non-LLM plain HTTP created the database"

# 2. LLM calls over plain HTTP through real Python stacks (api_client.py): urllib plain and
# streamed chat, httpx streamed Ollama /api/chat (NDJSON), requests plain chat.
chat='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say this is a test"}],"max_tokens":16}'
stream='{"model":"gpt-4","messages":[{"role":"user","content":"Say this is a test"}],"stream":true,"stream_options":{"include_usage":true}}'
ask='{"role":"user","content":"Why is the sky blue?"}'
API_BASE="$MOCK_HTTP" api_call urllib_chat openai-chat urllib /v1/chat/completions "$chat"
API_BASE="$MOCK_HTTP" API_BOTH=1 api_call urllib_stream openai-chat urllib /v1/chat/completions "$stream"
API_BASE="$MOCK_HTTP" api_call ollama_stream ollama-chat httpx /api/chat "{\"model\":\"llama3\",\"messages\":[$ask]}"
API_BASE="$MOCK_HTTP" api_call requests_chat openai-chat requests /v1/chat/completions "$chat"
api_check_all
assert_eq "$(db_query "select group_concat(source) from calls")" "socket,socket,socket,socket" \
    "captured by the socket hooks"
assert_eq "$(db_query "select count(*) from calls where incomplete = 0 and status = 200")" 4

# 3. A keep-alive requests Session: non-LLM and LLM calls on one plain connection, one record.
cat > session.py <<'PY'
import sys, requests
base, body = sys.argv[1], open(sys.argv[2], "rb").read()
s = requests.Session()
print(s.get(base + "/other").text, end="")
r = s.post(base + "/v1/chat/completions", data=body, headers={"Content-Type": "application/json",
           "Authorization": "Bearer sk-test-plain-session-secret"})
open(sys.argv[3], "wb").write(r.content)
print(len(r.content), s.get(base + "/v1/models").status_code)
PY
printf '%s' "$chat" > session.req
before="$(db_query 'select count(*) from calls')"
run_both "$PY" session.py "$MOCK_HTTP" session.req "$T/session.out"
assert_rc 0
assert_eq "$(db_query 'select count(*) from calls')" "$((before + 1))" "one record for the session"
assert_contains "$OUT" "$(wc -c < session.out) 200"
export_prompts > all.jsonl
tail -1 all.jsonl > session.jsonl
check chat session.jsonl --request-json "$chat" --response session.out --no-stream
assert_not_contains "$PL_DB" "sk-test-plain-session-secret" "the API key is not stored"

# 3b. A subprocess (CPython spawns with vfork: the child shares our memory) started while a
# keep-alive connection is open, and a forked child closing its copy: the parent's call on that
# connection afterwards is still recorded, once.
cat > spawn.py <<'PY'
import os, subprocess, sys, requests
base, body = sys.argv[1], open(sys.argv[2], "rb").read()
s = requests.Session()
print(s.get(base + "/other").text, end="")
print(subprocess.run(["echo", "child"], capture_output=True, close_fds=False).stdout.decode(), end="")
pid = os.fork()
if pid == 0:
    os.closerange(3, 64)
    os._exit(0)
os.waitpid(pid, 0)
r = s.post(base + "/v1/chat/completions", data=body, headers={"Content-Type": "application/json"})
print(r.status_code, len(r.content))
PY
before="$(db_query 'select count(*) from calls')"
run_both "$PY" spawn.py "$MOCK_HTTP" session.req
assert_rc 0
assert_contains "$OUT" "child"
assert_eq "$(db_query 'select count(*) from calls')" "$((before + 1))" "spawn/fork: one record"
assert_eq "$(db_query 'select source || status || incomplete from calls order by id desc limit 1')" socket2000

# 4. curl over plain HTTP: recorded once, by the curl hooks (under ASan: examples/cli_libcurl).
curl_host
before="$(db_query 'select count(*) from calls')"
run_both "${CURL[@]}" -sS -H 'Content-Type: application/json' -d "$chat" "$MOCK_HTTP/v1/chat/completions"
assert_rc 0
assert_eq "$(db_query 'select count(*) from calls')" "$((before + 1))" "curl: one record"
assert_eq "$(db_query 'select source from calls order by id desc limit 1')" curl

# 5. TLS Python: recorded once, by the OpenSSL hooks (the TLS socket is dropped by the sniffer).
before="$(db_query 'select count(*) from calls')"
run_both MOCK_CA="$MOCK_CA" "$PY" "$API_CLIENT" requests "$MOCK_HTTPS/v1/chat/completions" session.req
assert_rc 0
assert_eq "$(db_query 'select count(*) from calls')" "$((before + 1))" "TLS: one record"
assert_eq "$(db_query 'select source from calls order by id desc limit 1')" openssl

# 6. Files and pipes: byte-identical.
head -c 3000000 /dev/urandom > big.bin
want="$(sha256sum < big.bin)"
assert_eq "$(LD_PRELOAD="$PL_PRELOAD" PROMPTLOG_DATABASE="sqlite:///$T/files.db" cat big.bin | sha256sum)" "$want" "cat | sha256sum"
cat > files.py <<'PY'
import hashlib, os, subprocess, sys
data = open(sys.argv[1], "rb").read()
with open("copy.bin", "wb") as f:
    for i in range(0, len(data), 4096):
        f.write(data[i:i + 4096])
h = hashlib.sha256()
with open("copy.bin", "rb") as f:
    while chunk := f.read(4096):
        h.update(chunk)
r, w = os.pipe()
os.write(w, b"through a pipe\n"); os.close(w)
print(h.hexdigest(), os.read(r, 100).decode(), end="")
p = subprocess.run(["sha256sum"], input=data, capture_output=True)
print(p.stdout.decode().split()[0] == h.hexdigest())
PY
run_both "$PY" files.py big.bin
assert_rc 0
assert_contains "$OUT" "True"
assert_no_file "$T/files.db" "file and pipe I/O created a database"
exit 0
