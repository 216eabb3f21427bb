#!/usr/bin/env bash
# test_h2_httpx_sync.sh — Debian's python3-httpx with http2=True, synchronous: several sequential
# requests (plain, gzip'd, streamed) on one HTTP/2 connection, captured at the TLS layer (OpenSSL
# _ex hooks → HTTP/2 reassembly). Output unchanged; each exchange recorded once, exact content.
. "$(dirname "$0")/lib.sh"
"$PY" -c 'import httpx, h2' 2>/dev/null || skip "needs python3-httpx and python3-h2"
start_mock

cat > client.py <<'PYEOF'
import json, os, sys
import httpx

base = os.environ["MOCK_HTTPS"] + "/v1/chat/completions"
os.makedirs("out", exist_ok=True)
headers = {"content-type": "application/json", "authorization": "Bearer sk-httpx-sync-secret"}
with httpx.Client(http2=True, verify=os.environ["MOCK_CA"]) as c:
    for i in range(4):
        stream = i % 2 == 1
        req = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "sync question-%02d" % i}]}
        if stream:
            req["stream"] = True
            req["stream_options"] = {"include_usage": True}
        data = json.dumps(req, separators=(",", ":"))
        with open("out/%d.req" % i, "w") as f:
            f.write(data)
        if stream:
            with c.stream("POST", base, content=data, headers=headers) as r:
                raw = b"".join(r.iter_bytes())
        else:
            r = c.post(base, content=data, headers=headers)
            raw = r.content
        with open("out/%d.resp" % i, "wb") as f:
            f.write(raw)
        sys.stdout.write("== %d %d %s %d bytes\n" % (i, r.status_code, r.http_version, len(raw)))
        sys.stdout.flush()
        sys.stdout.buffer.write(raw)
        sys.stdout.flush()
PYEOF

run_both "$PY" client.py
assert_rc 0
assert_contains "$OUT" "== 3 200 HTTP/2 "
assert_eq "$(grep -c '^== [0-9] 200 HTTP/2 ' "$OUT")" 4 "four HTTP/2 responses"

# The preloaded run's requests: the mock log holds both runs; each run used one connection.
assert_eq "$(mock_requests --field proto | sort -u)" "h2" "every request went over HTTP/2"
assert_eq "$(mock_requests --field conn | sort -u | wc -l)" 2 "one connection per run"
assert_contains "$MOCK_LOG" '"content-encoding", "gzip"' "the mock gzip'd the non-streamed bodies"

export_prompts > prompts.jsonl
assert_lines prompts.jsonl 4 "one record per exchange"
for i in 0 1 2 3; do
    line="$(grep -n "sync question-0$i" prompts.jsonl | cut -d: -f1)"
    [ -n "$line" ] || fail "no record for request $i"
    [ "$(grep -c "sync question-0$i" prompts.jsonl)" = 1 ] || fail "request $i recorded more than once"
    if [ $((i % 2)) = 1 ]; then mode=--stream; else mode=--no-stream; fi
    check chat prompts.jsonl --index $((line - 1)) --request out/$i.req --response out/$i.resp $mode
done
assert_not_contains "$PL_DB" "sk-httpx-sync-secret" "the bearer token never reaches the database"
